"""torch.onnx.export (TorchScript exporter, dynamo=False) raises: torch.all(x2, dim=None) with x2: bool[]

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
    def forward(self, x2):
        v5 = torch.all(x2, dim=None)
        return v5,

INPUTS = {'x2': np.array(False, dtype=np.bool)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    try:
        buf = io.BytesIO()
        torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=16, input_names=['x2'], output_names=['out0'])
        model = buf.getvalue()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1 if "AttributeError: 'NoneType' object has no attribute 'view'" in f'{type(e).__name__}: {e}' else 2
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
