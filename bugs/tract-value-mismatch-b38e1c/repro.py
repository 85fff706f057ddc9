"""tract computes wrong values: Add -> ReduceMin -> ArgMin -> Cast on float32 (opset 26)

The ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
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
repro (float[2] x0) => (int64 out0, uint8 out1) 
   <float[1] t1 =  {0.001}, int64[1] t2 =  {0}>
{
   t3 = Add (x0, t1)
   t4 = ReduceMin <keepdims: int = 0> (t3, t2)
   out0 = ArgMin <axis: int = 0, keepdims: int = 0> (t3)
   out1 = Cast <to: int = 2> (t4)
}
''')
INPUTS = {'x0': np.array([1.0759793519973755, -1.884136438369751], dtype=np.float32)}
EXPECTED = [np.array(1, dtype=np.int64), np.array(255, dtype=np.uint8)]  # the exact result, rounded to the output type

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
