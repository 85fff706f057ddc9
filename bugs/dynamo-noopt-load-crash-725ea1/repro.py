"""torch.onnx.export (dynamo exporter, optimize=False) exports a model tract cannot load: torch.all(x1, dim=(0,), keepdim=True) with x1: float32[]

The model breaks the ONNX spec's input constraints (ReduceMin's axis 0 is outside [-0, -1] for its input of rank 0), which tract rightly enforces. Found with onnx 1.23.2, onnxscript 0.7.2, torch 2.13.0+cpu, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x1):
        v7 = torch.all(x1, dim=(0,), keepdim=True)
        return v7,

INPUTS = {'x1': np.array(-0.5095342397689819, dtype=np.float32)}

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
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=21, input_names=['x1'], output_names=['out0'],
                                optimize=False)
    model = program.model_proto.SerializeToString()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('tract raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Illegal combination of values for rank and axis', '" Reduce13')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
