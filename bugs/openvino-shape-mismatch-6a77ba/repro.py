"""OpenVINO (CPU) gives a wrong output shape: Unsqueeze -> MaxPool <ceil_mode = 1> -> Squeeze on float32 (opset 24)

The ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with graph optimizations disabled run the same model correctly. Found with onnx 1.23.2, openvino 2026.4.1.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 12,
   opset_import: ["" : 24]
>
repro (float[1,3] x0) => (float[1,1] out0) 
   <int64[1] t1 =  {0}, int64[1] t2 =  {0}>
{
   t3 = Unsqueeze (x0, t1)
   t4 = MaxPool <ceil_mode: int = 1, dilations: ints = [1], kernel_shape: ints = [2], pads: ints = [0, 0], strides: ints = [3]> (t3)
   out0 = Squeeze (t4, t2)
}
''')
INPUTS = {'x0': np.array([[1.0543674230575562, 1.0165420770645142, -0.39864274859428406]], dtype=np.float32)}
EXPECTED = [np.array([[1.0543674230575562]], dtype=np.float32)]  # the exact result, rounded to the output type

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
