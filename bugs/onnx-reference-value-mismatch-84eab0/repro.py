"""The ONNX reference evaluator (onnx.reference) computes wrong values: Cast -> Unique -> Reshape -> Gather on float32 (opset 26)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 26]
>
repro (float[4,2] x0) => (int64[4,2] out0) 
   <int64[2] t1 =  {4,2}>
{
   t7 = Cast <to: int = 10> (x0)
   t2, t3, t4, t5 = Unique <sorted: int = 1> (t7)
   t6 = Reshape (t4, t1)
   out0 = Gather <axis: int = 0> (t5, t6)
}
''')
INPUTS = {'x0': np.array([[-0.4726736545562744, -1.582373857498169], [-1.1754943508222875e-38, 1.586606502532959], [-0.0, 1.7113454341888428], [0.22965720295906067, 1.808331847190857]], dtype=np.float32)}
EXPECTED = [np.array([[1, 1], [1, 1], [1, 1], [1, 1]], dtype=np.int64)]  # the exact result, rounded to the output type

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
