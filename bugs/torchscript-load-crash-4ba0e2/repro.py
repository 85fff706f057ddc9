"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model tract cannot load: torch.sum(x0, dim=(), keepdim=True); v1.view_as(x2) with x0: int8[1,2], x2: int8[]

The model torch.onnx.export (TorchScript exporter, dynamo=False) wrote is invalid: output out0 is declared of rank 2 but has shape []. Found with onnx 1.23.2, torch 2.13.0+cpu, tract 0.23.9.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x0, x2):
        v1 = torch.sum(x0, dim=(), keepdim=True)
        v3 = v1.view_as(x2)
        return v3,

INPUTS = {'x0': np.array([[3, 8]], dtype=np.int8), 'x2': np.array(3, dtype=np.int8)}

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
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=8, input_names=['x0', 'x2'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('tract raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Reshape volume mismatch: input', '" Reshape')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
