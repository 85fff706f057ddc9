"""torch.onnx.export (TorchScript exporter, dynamo=False) raises: F.interpolate(x8, scale_factor=(0.75, 0.75), recompute_scale_factor=True); F.interpolate(v6, size=(8, 3)) with x8: float32[1,1,3,2]

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
    def forward(self, x8):
        v6 = F.interpolate(x8, scale_factor=(0.75, 0.75), recompute_scale_factor=True)
        v7 = F.interpolate(v6, size=(8, 3))
        return v7,

INPUTS = {'x8': np.array([[[[1.373856544494629, 1.0750911235809326], [-0.48851677775382996, 0.27247050404548645], [-0.2532711625099182, -1.9508750438690186]]]], dtype=np.float32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    try:
        buf = io.BytesIO()
        torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=9, input_names=['x8'], output_names=['out0'])
        model = buf.getvalue()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1 if "TypeError: 'NoneType' object is not subscriptable" in f'{type(e).__name__}: {e}' else 2
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
