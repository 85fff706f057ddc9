"""torch.onnx.export (TorchScript exporter, dynamo=False) kills the process running a valid model: torch.unique(x5, sorted=True, return_inverse=True, return_counts=True); torch.chunk(v2_1, 4, dim=-2) with x5: float32[4,1]

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
    def forward(self, x5):
        v2_u = torch.unique(x5, sorted=True, return_inverse=True, return_counts=True)
        v2, v2_1 = v2_u[1], v2_u[2][v2_u[1]]
        v4, v4_1, v4_2, v4_3 = torch.chunk(v2_1, 4, dim=-2)
        return v4,

INPUTS = {'x5': np.array([[0.6280606389045715], [1.0093382596969604], [1.418927788734436], [0.0002545416064094752]], dtype=np.float32)}




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
        torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=16, input_names=['x5'], output_names=['out0'])
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
