"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model tract cannot load: torch.argmax -> torch.amin -> torch.amin -> torch.argmax

The model breaks the ONNX spec's input constraints (ArgMax's axis 0 is outside [-0, -1] for its input of rank 0), which tract rightly enforces. Found with onnx 1.23.2, torch 2.13.0+cpu, tract 0.23.9.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x8):
        v2 = torch.argmax(x8, dim=None, keepdim=True)
        v4 = torch.amin(v2, dim=(1, 3), keepdim=False)
        v6 = torch.amin(v4, dim=(0, 1), keepdim=False)
        v7 = torch.argmax(v6, dim=0, keepdim=True)
        return v7,

INPUTS = {'x8': np.array([[[[0.011246198788285255]]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    import os, tempfile
    import tract
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model_bytes)
        runnable = tract.onnx().load(os.path.join(d, "model.onnx")).into_model().into_runnable()
    return [t.to_numpy() for t in runnable.run(list(feeds.values()))]


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=12, input_names=['x8'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('tract raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Illegal combination of values for rank and axis', '" Reduce')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
