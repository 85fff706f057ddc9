"""torch.onnx.export (dynamo exporter) computes wrong values: F.avg_pool2d(x7, divisor_override=1, kernel_size=(3, 2), padding=(0, 1)) with x7: float32[1,3,1]

Every runtime gets torch.onnx.export (dynamo exporter)'s model wrong the same way (no other exporter could export the graph). Found with onnx 1.23.2, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F


class Model(torch.nn.Module):
    def forward(self, x7):
        v6 = F.avg_pool2d(x7, divisor_override=1, kernel_size=(3, 2), padding=(0, 1))
        return v6,

INPUTS = {'x7': np.array([[[0.7290545105934143], [-1.242666244506836], [-1.2380151748657227]]], dtype=np.float32)}
EXPECTED = [np.array([[[-1.751626968383789]]], dtype=np.float32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=23, input_names=['x7'], output_names=['out0'],
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
