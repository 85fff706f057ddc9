"""OpenVINO (CPU) computes wrong values: Cast -> ReduceMin <keepdims = 0> on int32 (opset 16)

The ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, tract run the same model correctly. Found with onnx 1.23.2, openvino 2026.4.1.
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
repro (int32[5,5] x0) => (bool out0) {
   t1 = Cast <to: int = 9> (x0)
   t2 = Cast <to: int = 6> (t1)
   t3 = ReduceMin <keepdims: int = 0> (t2)
   out0 = Cast <to: int = 9> (t3)
}
''')
INPUTS = {'x0': np.array([[3, -2147483648, -61509792, -2147483647, 3], [-2147483648, -61509792, -61509792, 3, 3], [3, -2147483647, -2147483648, -2147483647, -2147483647], [3, -2147483647, -2147483648, -2147483648, 3], [-61509792, 3, 3, -2147483648, -61509792]], dtype=np.int32)}
EXPECTED = [np.array(True, dtype=np.bool)]  # the exact result, rounded to the output type

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
