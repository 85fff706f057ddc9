"""ONNX Runtime computes wrong values: Resize <coordinate_transformation_mode = "tf_crop_and_resize", cubic_coeff_a = -0.6, mode = "cubic"> on float32 (opset 25)

The ONNX reference evaluator (onnx.reference), tract run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
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
repro (float[1,1,2,1] x8) => (float[1,2,2,1] out0) 
   <float[4] t1 =  {0.5,0.25,0.75,1}, int64[2] t2 =  {2,2}>
{
   out0 = Resize <axes: ints = [1, 2], coordinate_transformation_mode: string = "tf_crop_and_resize", cubic_coeff_a: float = -0.6, mode: string = "cubic"> (x8, t1, "", t2)
}
''')
INPUTS = {'x8': np.array([[[[-0.8237090110778809], [1.2679529190063477]]]], dtype=np.float32)}
EXPECTED = [np.array([[[[-0.3792308568954468], [1.2679529190063477]], [[-0.3792308568954468], [1.2679529190063477]]]], dtype=np.float32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


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
