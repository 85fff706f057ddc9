"""tract computes wrong values: Slice -> Cast -> Add on int8 (opset 12)

The ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 12]
>
repro (int8[4,1] x11, int8[4,1] x15) => (int8[4,1] out0) 
   <int64[2] t1 =  {4611686018427387904,3}, int64[2] t2 =  {-4611686018427387904,-4611686018427387904}, int64[2] t3 =  {-1,-1}>
{
   t4 = Slice (x15, t1, t2, "", t3)
   t5 = Cast <to: int = 6> (t4)
   t6 = Cast <to: int = 6> (x11)
   t7 = Add (t5, t6)
   out0 = Cast <to: int = 3> (t7)
}
''')
INPUTS = {'x11': np.array([[8], [-3], [8], [7]], dtype=np.int8), 'x15': np.array([[-7], [-3], [6], [-7]], dtype=np.int8)}
EXPECTED = [np.array([[1], [3], [5], [0]], dtype=np.int8)]  # the exact result, rounded to the output type

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
