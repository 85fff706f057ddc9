"""The ONNX reference evaluator (onnx.reference) computes wrong values: Loop on float32 (opset 24)

ONNX Runtime run the same model correctly. Found with onnx 1.23.2.
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
repro (float x2) => (float out0) 
   <int64 t1 =  {2}>
{
   out0 = Loop (t1, "", x2) <body: graph = body (int64 t2, bool t3, float t4) => (bool t5, float t6) {
      t6 = Relu (t4)
      t5 = Identity (t3)
   }>
}
''')
INPUTS = {'x2': np.array(-1.251402735710144, dtype=np.float32)}
EXPECTED = [np.array(0.0, dtype=np.float32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    actual = run_model(MODEL.SerializeToString(), INPUTS)
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED, strict=True):
            np.testing.assert_allclose(a, e, rtol=0.001, atol=0.001 * np.abs(e.astype(float)).mean(), strict=True)
    except (AssertionError, ValueError) as e:
        print(e)
        return 1
    print('outputs as expected: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
