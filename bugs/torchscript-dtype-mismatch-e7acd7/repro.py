"""torch.onnx.export (TorchScript exporter, dynamo=False) gives a wrong output type: torch.addcmul(x0, [-2], x2) with x0: int8[], x2: int8[]

Every runtime that ran the model fails on it (tract, the ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU)); torch.onnx.export (dynamo exporter), torch.onnx.export (dynamo exporter, optimize=False)'s model of the same graph passes on tract. Found with onnx 1.23.2, torch 2.13.0+cpu, tract 0.23.9.
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
        self.register_buffer('c1', torch.tensor([-2], dtype=torch.int8))

    def forward(self, x0, x2):
        v3 = torch.addcmul(x0, self.c1, x2)
        return v3,

INPUTS = {'x0': np.array(-7, dtype=np.int8), 'x2': np.array(8, dtype=np.int8)}
EXPECTED = [np.array([-23], dtype=np.int8)]  # the exact result, rounded to the output type

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
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=20, input_names=['x0', 'x2'], output_names=['out0'])
    model = buf.getvalue()
    actual = run_model(model, INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_array_equal(a, e, strict=True)
    except AssertionError as e:
        print(e)
        return 1
    print('outputs as expected: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
