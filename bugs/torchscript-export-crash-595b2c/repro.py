"""torch.onnx.export (TorchScript exporter, dynamo=False) raises: x0.minimum -> x4.floor_divide -> v2.clone -> v9.minimum

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
        self.register_buffer('c5', torch.tensor([0.5952003002166748], dtype=torch.float32))
        self.register_buffer('c8', torch.tensor([0.4104756712913513], dtype=torch.float32))
        self.register_buffer('c12', torch.tensor([-0.0], dtype=torch.float32))

    def forward(self, x0, x1, x4):
        v2 = x0.minimum(x1)
        v6 = x4.floor_divide(self.c5)
        v9 = v2.clone().logical_and_(self.c8)
        v13 = v9.minimum(self.c12)
        return v6, v13

INPUTS = {'x0': np.array([[-0.2139361947774887]], dtype=np.float32), 'x1': np.array([[1.0329502820968628]], dtype=np.float32), 'x4': np.array([[-0.5647525787353516]], dtype=np.float32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    try:
        buf = io.BytesIO()
        torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=7, input_names=['x0', 'x1', 'x4'], output_names=['out0', 'out1'])
        model = buf.getvalue()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('SymbolicValueError: Inputs of Min must have same dtype.Got Bool and Float', 'device=cpu), %c', 'device=cpu), %c', 'device=cpu), %c', 'device=cpu) = prim::Param')) else 2
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
