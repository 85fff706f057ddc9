"""torch.onnx.export (TorchScript exporter, dynamo=False) computes wrong values: x1.greater(-1.5) with x1: int8[]

Every runtime that ran the model fails on it (ONNX Runtime with basic graph optimizations, the ONNX reference evaluator (onnx.reference), OpenVINO (CPU), tract); torch.onnx.export (dynamo exporter), torch.onnx.export (dynamo exporter, optimize=False)'s model of the same graph passes on ONNX Runtime with basic graph optimizations. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x1):
        v2 = x1.greater(-1.5)
        return v2,

INPUTS = {'x1': np.array(-1, dtype=np.int8)}
EXPECTED = [np.array(True, dtype=np.bool)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=8, input_names=['x1'], output_names=['out0'])
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
