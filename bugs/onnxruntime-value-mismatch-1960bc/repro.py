"""ONNX Runtime computes wrong values: Shrink <bias = 1, lambd = 0> on int32 (opset 24)

The ONNX reference evaluator (onnx.reference), OpenVINO (CPU), tract run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 12,
   opset_import: ["" : 24]
>
repro (int32[3] x0) => (int32[3] out0) {
   out0 = Shrink <bias: float = 1, lambd: float = 0> (x0)
}
''')
INPUTS = {'x0': np.array([-2147483648, 2147483647, 8], dtype=np.int32)}
EXPECTED = [np.array([-2147483647, 2147483646, 7], dtype=np.int32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    actual = run_model(MODEL.SerializeToString(), INPUTS)
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
