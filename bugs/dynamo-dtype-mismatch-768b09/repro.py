"""torch.onnx.export (dynamo exporter) gives a wrong output type: x5.multiply(-1.5) with x5: bool[]

Every runtime that ran the model fails on it (the ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU), tract); torch.onnx.export (TorchScript exporter, dynamo=False)'s model of the same graph passes on the ONNX reference evaluator (onnx.reference). Found with onnx 1.23.2, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x5):
        v4 = x5.multiply(-1.5)
        return v4,

INPUTS = {'x5': np.array(False, dtype=np.bool)}
EXPECTED = [np.array(-0.0, dtype=np.float32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=20, input_names=['x5'], output_names=['out0'],
                                optimize=True)
    model = program.model_proto.SerializeToString()
    actual = run_model(model, INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_allclose(a, e, rtol=0.001, atol=0.001 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=True)
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
