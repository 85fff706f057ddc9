"""tract computes wrong values: Cast -> MaxPool on float32 (opset 12)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
The expected values are what ONNX Runtime computes on this model (it gave the exact result on the larger model this one was reduced from).
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
repro (float[5,5,5] x1) => (float[5,5,1] out0) {
   t1 = Cast <to: int = 10> (x1)
   t2 = MaxPool <ceil_mode: int = 1, dilations: ints = [1], kernel_shape: ints = [3], pads: ints = [0, 0], strides: ints = [2]> (t1)
   t3, t4 = MaxPool <ceil_mode: int = 1, dilations: ints = [1], kernel_shape: ints = [3], pads: ints = [0, 0], strides: ints = [2]> (t2)
   out0 = Cast <to: int = 1> (t3)
}
''')
HERE = __import__('os').path.dirname(__import__('os').path.abspath(__file__))
INPUTS_NPZ = np.load(HERE + '/inputs.npz')
EXPECTED_NPZ = np.load(HERE + '/expected.npz')  # what ONNX Runtime computes
INPUTS = {n: INPUTS_NPZ[n] for n in ['x1']}
EXPECTED = [EXPECTED_NPZ[f'out{i}'] for i in range(1)]

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
            np.testing.assert_allclose(a, e, rtol=0.001, atol=0.001 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=True)
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
