"""torch.onnx.export (dynamo exporter) computes wrong values: torch.mean(x, dtype=torch.float32) of an int32 tensor (the mean is taken in int32, then cast; with any dim)

Every runtime gets torch.onnx.export (dynamo exporter)'s model wrong the same way (no other exporter could export the graph). Found with onnx 1.23.2, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x0):
        v1 = torch.mean(x0, dim=(), dtype=torch.float32)
        return v1,

INPUTS = {'x0': np.array([[-2, 3, 8], [-5, -3, -5], [1, 6, -1]], dtype=np.int32)}
EXPECTED = [np.array(0.2222222238779068, dtype=np.float32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=23, input_names=['x0'], output_names=['out0'],
                                optimize=True)
    model = program.model_proto.SerializeToString()
    actual = run_model(model, INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_allclose(a, e, rtol=0.001, atol=0.001 * np.abs(e.astype(float)).mean(), strict=True)
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
