"""tract gives NaN/Inf where the result is finite: Cast -> ReduceSum -> Max -> Div on float32 (opset 20)

The ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
The expected values are what ONNX Runtime computes on this model (it gave the exact result on the larger model this one was reduced from).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 9,
   opset_import: ["" : 20]
>
repro (float[2,3] x0) => (float16[3] t20) {
   t1 = Constant <value: tensor = int64[1] {-2}> ()
   t2 = Constant <value: tensor = int64[1] {-2}> ()
   t3 = Cast <to: int = 10> (x0)
   t4 = ReduceSum <keepdims: int = 0, noop_with_empty_axes: int = 0> (t3, t1)
   t5 = Cast <to: int = 10> (x0)
   t6 = ReduceSum <keepdims: int = 0, noop_with_empty_axes: int = 0> (t5, t2)
   t7 = Cast <to: int = 1> (t6)
   t8 = Constant <value: tensor = float[1] t17 {1.1920929e-07}> ()
   t9 = Max (t7, t8)
   t10 = Cast <to: int = 10> (t9)
   t20 = Div (t4, t10)
}
''')
INPUTS = {'x0': np.array([[0.648623526096344, 0.0, 0.648623526096344], [0.648623526096344, 0.0, 0.648623526096344]], dtype=np.float32)}
EXPECTED = [np.array([1.0, 0.0, 1.0], dtype=np.float16)]  # what ONNX Runtime computes

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
            np.testing.assert_allclose(a, e, rtol=0.02, atol=0.02 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=True)
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
