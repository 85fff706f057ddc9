"""torch.onnx.export (TorchScript exporter, dynamo=False) raises: x0.clone -> x1.arccos -> torch.max

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
        self.register_buffer('c2', torch.tensor(-0.0, dtype=torch.float32))
        self.register_buffer('c9', torch.tensor(1.1500813961029053, dtype=torch.float32))

    def forward(self, x0, x1):
        v3 = x0.clone().index_fill_(-1, x1, self.c2)
        v8 = x1.arccos()
        v10 = torch.max(v8, self.c9)
        return v10, v3

INPUTS = {'x0': np.array([[0.31607091426849365]], dtype=np.float32), 'x1': np.array([0], dtype=np.int64)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    try:
        buf = io.BytesIO()
        torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=9, input_names=['x0', 'x1'], output_names=['out0', 'out1'])
        model = buf.getvalue()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('SymbolicValueError: Inputs of Max must have same dtype.Got Long and Float', 'Float(requires_grad=', 'Float(requires_grad=', 'device=cpu) = prim::Param')) else 2
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
