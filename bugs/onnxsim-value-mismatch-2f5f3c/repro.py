"""onnx-simplifier (onnxsim)'s output computes wrong values on the ONNX reference evaluator (onnx.reference): Shape -> Slice -> Min on int8 (opset 25)

The model passes on the ONNX reference evaluator (onnx.reference) before onnx-simplifier (onnxsim) and fails after it: every runtime that ran the model fails on it (the ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled). Found with onnx 1.23.2, onnxruntime 1.32.0, onnxsim 0.8.1.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 25]
>
repro (int8[2] x3) => (int64[1] out0) 
   <int64[1] t1 =  {-9223372036854775807}, int64[1] t2 =  {0}, int64[1] t3 =  {99}, int64[1] t4 =  {0}, int64[1] t5 =  {1}>
{
   t6 = Shape (x3)
   t7 = Identity (t6)
   t8 = Slice (t7, t2, t3, t4, t5)
   out0 = Min (t1, t8)
}
''')
INPUTS = {'x3': np.array([-1, -6], dtype=np.int8)}
EXPECTED = [np.array([-9223372036854775807], dtype=np.int64)]  # the exact result, rounded to the output type

def transform_model(model_bytes, opset):
    import onnx
    import onnxsim
    simplified, _ = onnxsim.simplify(onnx.load_model_from_string(model_bytes), check_n=0)
    return simplified.SerializeToString()


def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 25)
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
