"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model tract cannot load: torch.unflatten(x12, -2, (-1, 3)); v10.movedim([0, -1, -2, -3], [-3, -2, -1, 0]) with x12: float32[1,3,1]

The model torch.onnx.export (TorchScript exporter, dynamo=False) wrote is invalid: output out0 dim 0 is declared 7957695011165139721 but is 1; output out0 dim 2 is declared 49 but is 1; output out0 dim 3 is declared 3171401 but is 3. Found with onnx 1.23.2, torch 2.13.0+cpu, tract 0.23.9.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x12):
        v10 = torch.unflatten(x12, -2, (-1, 3))
        v11 = v10.movedim([0, -1, -2, -3], [-3, -2, -1, 0])
        return v11,

INPUTS = {'x12': np.array([[[1.5532130002975464], [-1.1888717412948608], [1.6081451177597046]]], dtype=np.float32)}

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
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=20, input_names=['x12'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('tract raises', type(e).__name__, str(e)[:2000])
        return 1 if "Node /Transpose (Transpose), attribute 'perm': expected list of non-negative ints" in f'{type(e).__name__}: {e}' else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
