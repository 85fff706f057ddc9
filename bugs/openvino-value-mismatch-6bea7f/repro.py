"""OpenVINO (CPU) computes wrong values: QuantizeLinear -> DequantizeLinear -> MatMul on float32 (opset 16)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, tract run the same model correctly. Found with onnx 1.23.2, openvino 2026.4.1.
The expected values are what ONNX Runtime computes on this model (it gave the exact result on the larger model this one was reduced from).
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
repro (float[3,1] x1) => (int8[3,1] t16) 
   <int8[1,1] t1 =  {-3}, float t2 =  {0.125}, float t3 =  {0.125}, float t4 =  {0.25}, float t5 =  {0.0625}, int8 t6 =  {5}>
{
   t7 = QuantizeLinear (x1, t2)
   t8 = DequantizeLinear (t7, t3)
   t9 = DequantizeLinear (t1, t4)
   t10 = MatMul (t8, t9)
   t16 = QuantizeLinear (t10, t5, t6)
}
''')
INPUTS = {'x1': np.array([[0.024608369916677475], [1.644298791885376], [0.2323208749294281]], dtype=np.float32)}
EXPECTED = [np.array([[5], [-15], [2]], dtype=np.int8)]  # what ONNX Runtime computes

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
