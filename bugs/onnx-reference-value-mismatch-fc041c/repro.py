"""The ONNX reference evaluator (onnx.reference) computes wrong values: RoiAlign <output_height = 2, output_width = 2, sampling_ratio = 2, spatial_scale = 0.5> on float16 (opset 13)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: t1 = 3.5, 0, 5.5, 2, 7.5, 0, 9.5, 2
MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 13]
>
repro (float16[6,1,2,6] x7) => (float16[2,1,2,2] out0) 
   <float16[2,4] t1 =  {17152,0,17792,16384,18304,0,18624,16384}, int64[2] t2 =  {3,4}>
{
   out0 = RoiAlign <output_height: int = 2, output_width: int = 2, sampling_ratio: int = 2, spatial_scale: float = 0.5> (x7, t1, t2)
}
''')
HERE = __import__('os').path.dirname(__import__('os').path.abspath(__file__))
INPUTS_NPZ = np.load(HERE + '/inputs.npz')
EXPECTED_NPZ = np.load(HERE + '/expected.npz')  # the exact result, rounded to the output type
INPUTS = {n: INPUTS_NPZ[n] for n in ['x7']}
EXPECTED = [EXPECTED_NPZ[f'out{i}'] for i in range(1)]

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
