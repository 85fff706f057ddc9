"""tract computes wrong values: GlobalLpPool on float16 (opset 16)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 16]
>
repro (float16[1,1,2] x1) => (float16[1,1,1] out0) {
   out0 = GlobalLpPool (x1)
}
''')
INPUTS = {'x1': np.array([[[1.1064453125, -1.4853515625]]], dtype=np.float16)}
EXPECTED = [np.array([[[1.8525390625]]], dtype=np.float16)]  # the exact result, rounded to the output type

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
