"""torch.onnx.export (TorchScript exporter, dynamo=False) computes wrong values: x1.clamp(8, x1) with x1: int64[2,3,1]

Every runtime that ran the model fails on it (ONNX Runtime with basic graph optimizations, the ONNX reference evaluator (onnx.reference), tract); torch.onnx.export (dynamo exporter), torch.onnx.export (dynamo exporter, optimize=False)'s model of the same graph passes on ONNX Runtime with basic graph optimizations. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
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
        self.register_buffer('c2', torch.tensor(8, dtype=torch.int64))

    def forward(self, x1):
        v3 = x1.clamp(self.c2, x1)
        return v3,

INPUTS = {'x1': np.array([[[-9223372036854775807], [4243440501371589281], [4294967296]], [[9223372036854775806], [0], [-1]]], dtype=np.int64)}
EXPECTED = [np.array([[[-9223372036854775807], [4243440501371589281], [4294967296]], [[9223372036854775806], [0], [-1]]], dtype=np.int64)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=10, input_names=['x1'], output_names=['out0'])
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
