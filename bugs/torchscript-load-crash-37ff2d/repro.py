"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model tract cannot load: torch.index_fill(x1, 0, [0], -8.478373527526855) with x1: float32[]

The model breaks the ONNX spec's input constraints (ScatterElements's indices reach 0..0 along an axis of 0; ScatterElements's indices have rank 1, its data rank 0 (must be equal)), which tract rightly enforces. Found with onnx 1.23.2, torch 2.13.0+cpu, tract 0.23.9.
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
        self.register_buffer('c2', torch.tensor([0], dtype=torch.int64))

    def forward(self, x1):
        v3 = torch.index_fill(x1, 0, self.c2, -8.478373527526855)
        return v3,

INPUTS = {'x1': np.array(-1.4589191675186157, dtype=np.float32)}

def run_model(model_bytes, feeds):
    import os, tempfile
    import tract
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model_bytes)
        runnable = tract.onnx().load(os.path.join(d, "model.onnx")).into_model().into_runnable()
    return [t.to_numpy() for t in runnable.run(list(feeds.values()))]


def main():
    if "--child" not in sys.argv:
        import os, subprocess
        r = subprocess.run([sys.executable, os.path.abspath(__file__), '--child'], timeout=600)
        if r.returncode < 0:
            print('the process died with signal', -r.returncode)
            return 1
        return r.returncode
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=18, input_names=['x1'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('tract raises', type(e).__name__, str(e)[:2000])
        return 0
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
