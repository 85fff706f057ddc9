"""torch.onnx.export (TorchScript exporter, dynamo=False) kills the process running a valid model: x8.movedim([0, 1, 2, 3], [3, 2, 1, 0]); v6.movedim([0, -1, -2, -3], [-3, -2, -1, 0]) with x8: float32[1,1,1,1]

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
    def forward(self, x8):
        v6 = x8.movedim([0, 1, 2, 3], [3, 2, 1, 0])
        v7 = v6.movedim([0, -1, -2, -3], [-3, -2, -1, 0])
        return v7,

INPUTS = {'x8': np.array([[[[-1.5859112739562988]]]], dtype=np.float32)}




def main():
    if "--child" not in sys.argv:
        import os, subprocess
        r = subprocess.run([sys.executable, os.path.abspath(__file__), '--child'], timeout=600)
        if r.returncode < 0:
            print('the process died with signal', -r.returncode)
            return 1
        return r.returncode
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    try:
        buf = io.BytesIO()
        torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=10, input_names=['x8'], output_names=['out0'])
        model = buf.getvalue()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
