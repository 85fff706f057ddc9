"""torch.onnx.export (dynamo exporter) gives a wrong output type: F.mse_loss(x0, [0.6841], reduction='none') with x0: float16[]

Every runtime that ran the model fails on it (tract, the ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU)); torch.onnx.export (TorchScript exporter, dynamo=False)'s model of the same graph passes on tract. Found with onnx 1.23.2, onnxscript 0.7.2, torch 2.13.0+cpu, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c2', torch.tensor([0.68408203125], dtype=torch.float16))

    def forward(self, x0):
        v3 = F.mse_loss(x0, self.c2, reduction='none')
        return v3,

INPUTS = {'x0': np.array(-0.87060546875, dtype=np.float16)}
EXPECTED = [np.array([2.41796875], dtype=np.float16)]  # the exact result, rounded to the output type

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
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=19, input_names=['x0'], output_names=['out0'],
                                optimize=True)
    model = program.model_proto.SerializeToString()
    actual = run_model(model, INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_allclose(a, e, rtol=0.02, atol=0.02 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=True)
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
