"""torch.onnx.export (TorchScript exporter, dynamo=False) raises: torch.cdist(x0, c1, 0.0, 'use_mm_for_euclid_dist') with x0: float32[1,3,4]

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
        self.register_buffer('c1', torch.tensor([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]], dtype=torch.float32))

    def forward(self, x0):
        v2 = torch.cdist(x0, self.c1, 0.0, 'use_mm_for_euclid_dist')
        return v2,

INPUTS = {'x0': np.array([[[-0.3589989244937897, -0.28167492151260376, 1.235466718673706, -0.8807976841926575], [-0.1837492436170578, 1.8126091957092285, -0.45483705401420593, -1.3517205715179443], [-1.3854008913040161, 1.0594110488891602, -0.5830511450767517, 0.4731677770614624]]], dtype=np.float32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    try:
        buf = io.BytesIO()
        torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=12, input_names=['x0'], output_names=['out0'])
        model = buf.getvalue()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ("SymbolicValueError: Cannot determine scalar type for this '<class 'torch.TensorType'>' instance and a default value was not provided.  [Caused by the value '", 'defined in (%', '= onnx::Sub(%')) else 2
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
