"""OpenVINO (CPU) gives a wrong output shape: Resize <coordinate_transformation_mode = "align_corners", cubic_coeff_a = -0.5, exclude_outside = 1, keep_aspect_ratio_policy = "not_smaller", mode = "cubic"> on float16 (opset 20)

The ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, tract run the same model correctly. Found with onnx 1.23.2, openvino 2026.4.1.
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
repro (float16[2,2] x1) => (float16[3,3] out0) 
   <int64[2] t1 =  {3,2}>
{
   out0 = Resize <coordinate_transformation_mode: string = "align_corners", cubic_coeff_a: float = -0.5, exclude_outside: int = 1, keep_aspect_ratio_policy: string = "not_smaller", mode: string = "cubic"> (x1, "", "", t1)
}
''')
INPUTS = {'x1': np.array([[-1.3720703125, 0.05645751953125], [1.8837890625, -0.58251953125]], dtype=np.float16)}
EXPECTED = [np.array([[-1.3720703125, -0.65771484375, 0.05645751953125], [0.255859375, -0.0035858154296875, -0.262939453125], [1.8837890625, 0.650390625, -0.58251953125]], dtype=np.float16)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(core.read_model(model_bytes), "CPU", {'INFERENCE_PRECISION_HINT': 'f32', 'INFERENCE_NUM_THREADS': '1'})
    result = compiled({p.get_any_name(): feeds[p.get_any_name()] for p in compiled.inputs})
    return [result[o] for o in compiled.outputs]


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
