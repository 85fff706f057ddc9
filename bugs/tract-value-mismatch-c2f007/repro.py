"""tract computes wrong values: Cast -> MatMul -> Mul -> Softplus -> Div -> Greater -> Where -> Equal -> Not on float32 (opset 14)

The ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: t1 = -1.40918, -1.79492; t2 = 1.8125, -0, 1.8125; t3 = 2; t4 = 2; t5 = 20
MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 14]
>
repro (float[3,2,1] x0) => (bool[3,1] out0) 
   <float16[2] t1 =  {48547,48942}, float16[3,1] t2 =  {16192,32768,16192}, float16 t3 =  {16384}, float16 t4 =  {16384}, float16 t5 =  {19712}>
{
   t13 = Cast <to: int = 10> (x0)
   t6 = MatMul (t1, t13)
   t7 = Mul (t6, t3)
   t8 = Softplus (t7)
   t9 = Div (t8, t4)
   t10 = Greater (t7, t5)
   t11 = Where (t10, t6, t9)
   t12 = Equal (t11, t2)
   out0 = Not (t12)
}
''')
INPUTS = {'x0': np.array([[[1.6638143062591553], [0.3905054032802582]], [[1.704142689704895], [1.5612510442733765]], [[-1.175716519355774], [-1.9574403762817383]]], dtype=np.float32)}
EXPECTED = [np.array([[True], [True], [True]], dtype=np.bool)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import os, tempfile
    import tract
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model_bytes)
        runnable = tract.onnx().load(os.path.join(d, "model.onnx")).into_model().into_runnable()
    return [t.to_numpy() for t in runnable.run(list(feeds.values()))]


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
