"""OpenVINO (CPU) computes wrong values: Div on int32 (opset 22)

The ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, tract run the same model correctly. Found with onnx 1.23.2, openvino 2026.4.1.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 22]
>
repro (int32[5,4,2] x0) => (int32[5,4,2] out0) 
   <int32[1] t1 =  {7}>
{
   out0 = Div (x0, t1)
}
''')
INPUTS = {'x0': np.array([[[2147483647, 21795514], [0, 3042422], [-1, 1311888894], [2147483646, -131048100]], [[-2147483648, 16777217], [-2147483648, -1], [0, -2147483648], [2147483647, 2147483646]], [[-2147483647, 1], [2147483646, -1], [32768, 2147483647], [-25482776, -2147483648]], [[-2147483648, -22604125], [32768, 2229597], [1304977, -2147483647], [0, -127445297]], [[122169624, 49652503], [-1, -2147483648], [-2147483648, 1], [9926989, -16777217]]], dtype=np.int32)}
EXPECTED = [np.array([[[306783378, 3113644], [0, 434631], [0, 187412699], [306783378, -18721157]], [[-306783378, 2396745], [-306783378, 0], [0, -306783378], [306783378, 306783378]], [[-306783378, 0], [306783378, 0], [4681, 306783378], [-3640396, -306783378]], [[-306783378, -3229160], [4681, 318513], [186425, -306783378], [0, -18206471]], [[17452803, 7093214], [0, -306783378], [-306783378, 0], [1418141, -2396745]]], dtype=np.int32)]  # the exact result, rounded to the output type

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
