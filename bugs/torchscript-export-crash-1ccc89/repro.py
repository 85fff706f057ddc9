"""torch.onnx.export (TorchScript exporter, dynamo=False) kills the process running a valid model: torch.std(x0, dim=None, keepdim=True); torch.chunk(v1, 1, dim=0)[0] with x0: float32[1,2]

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
    def forward(self, x0):
        v1 = torch.std(x0, dim=None, keepdim=True)
        v5 = torch.chunk(v1, 1, dim=0)[0]
        return v5,

INPUTS = {'x0': np.array([[0.7290545105934143, -1.242666244506836]], dtype=np.float32)}




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
        torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=15, input_names=['x0'], output_names=['out0'])
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
