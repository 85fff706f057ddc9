"""torch.onnx.export (TorchScript exporter, dynamo=False) raises: x9.unbind(-1); torch.cat([[-0.1846], v4_7], dim=0) with x9: float32[1,8]

torch.onnx.export (TorchScript exporter, dynamo=False) fails before any runtime runs its model. Found with onnx 1.23.2, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import traceback
import torch


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c7', torch.tensor([-0.1846182942390442], dtype=torch.float32))

    def forward(self, x9):
        v4, v4_1, v4_2, v4_3, v4_4, v4_5, v4_6, v4_7 = x9.unbind(-1)
        v8 = torch.cat([self.c7, v4_7], dim=0)
        return v8,

INPUTS = {'x9': np.array([[1.0, 1.0, 1.0, -1.1754943508222875e-38, -1.1754943508222875e-38, 1.0, 1.0, 1.0]], dtype=np.float32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    try:
        buf = io.BytesIO()
        torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=10, input_names=['x9'], output_names=['out0'])
        model = buf.getvalue()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1 if 'AssertionError: All tensors must have the same rank' in f'{type(e).__name__}: {e}' and 'torch/onnx/' in traceback.extract_tb(e.__traceback__)[-1].filename.replace('\\', '/') else 2
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
