"""torch.onnx.export (TorchScript exporter, dynamo=False) raises: F.tanhshrink -> x0.clamp_min -> v1.clone -> x6.max -> torch.min -> v9.clamp_min

torch.onnx.export (TorchScript exporter, dynamo=False) fails before any runtime runs its model. Found with onnx 1.23.2, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c3', torch.tensor(8, dtype=torch.int32))
        self.register_buffer('c8', torch.tensor(0.6668504476547241, dtype=torch.float32))

    def forward(self, x0, x6, x11):
        v1 = F.tanhshrink(x0)
        v4 = x0.clamp_min(self.c3)
        v5 = v1.clone().less_equal_(3)
        v7 = x6.max()
        v9 = torch.min(v5, self.c8)
        v12 = v9.clamp_min(x11)
        return v4, v7, v12

INPUTS = {'x0': np.array([-8], dtype=np.int32), 'x6': np.array(0, dtype=np.int32), 'x11': np.array(-0.5476447343826294, dtype=np.float32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    try:
        buf = io.BytesIO()
        torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=9, input_names=['x0', 'x6', 'x11'], output_names=['out0', 'out1', 'out2'])
        model = buf.getvalue()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('SymbolicValueError: Inputs of Min must have same dtype.Got Bool and Float', 'Float(requires_grad=', 'Float(requires_grad=', 'device=cpu) = prim::Param')) else 2
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
