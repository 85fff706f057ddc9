"""torch.onnx.export (TorchScript exporter, dynamo=False) raises: torch.atan2(x0, 3); v8.repeat((1, 1)) with x0: int8[1]

torch.onnx.export (TorchScript exporter, dynamo=False) fails before any runtime runs its model. Found with onnx 1.23.2, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c7', torch.tensor(3, dtype=torch.int8))

    def forward(self, x0):
        v8 = torch.atan2(x0, self.c7)
        v10 = v8.repeat((1, 1))
        return v10,

INPUTS = {'x0': np.array([2], dtype=np.int8)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    try:
        buf = io.BytesIO()
        torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=7, input_names=['x0'], output_names=['out0'])
        model = buf.getvalue()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('RuntimeError: input_shape.size() == reshape.size() INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/torch/csrc/jit/passes/onnx/shape_type_inference.cpp"', 'please report a bug to PyTorch. ONNX Tile input shapes do not match')) else 2
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
