"""The ONNX reference evaluator (onnx.reference) computes wrong values: Loop with a trip count and its cond input left empty (opset 24)

ONNX Runtime run the same model correctly. Found with onnx 1.23.2.
The expected values are what ONNX Runtime computes on this model (it gave the exact result on the larger model this one was reduced from).
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
   out0 = Loop (t1, "", x2) <body: graph = body (int64 t2, bool t3, float t4) => (bool t3, float t5) {
      t5 = Relu (t4)
   }>
}
''')
INPUTS = {'x2': np.array(-1.251402735710144, dtype=np.float32)}
EXPECTED = [np.array(0.0, dtype=np.float32)]  # what ONNX Runtime computes

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    actual = run_model(MODEL.SerializeToString(), INPUTS)
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
