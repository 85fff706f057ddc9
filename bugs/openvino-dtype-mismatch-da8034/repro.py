"""OpenVINO (CPU) gives a wrong output type: Cast -> Div -> Atan -> Equal -> Where -> Less -> Add on bfloat16 (opset 17)

The ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled run the same model correctly. Found with onnx 1.23.2, openvino 2026.4.1.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import ml_dtypes
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 17]
>
repro (bfloat16[1] x0) => (bfloat16[1] out0) 
   <float t1 =  {0}, float t2 =  {1}, float t3 =  {-3.1415927}, float t4 =  {3.1415927}>
{
   t5 = Cast <to: int = 1> (x0)
   t6 = Cast <to: int = 1> (x0)
   t7 = Div (t5, t6)
   t8 = Atan (t7)
   t9 = Equal (t5, t1)
   t10 = Where (t9, t5, t8)
   t11 = Div (t2, t5)
   t12 = Less (t11, t1)
   t13 = Where (t12, t3, t4)
   t14 = Div (t2, t6)
   t15 = Less (t14, t1)
   t16 = Where (t15, t13, t1)
   t17 = Add (t10, t16)
   out0 = Cast <to: int = 16> (t17)
}
''')
HERE = __import__('os').path.dirname(__import__('os').path.abspath(__file__))
INPUTS_NPZ = np.load(HERE + '/inputs.npz')


class _Bfloat16Npz:
    def __init__(self, npz):
        self.npz = npz

    def __getitem__(self, key):
        a = self.npz[key]
        return a.view(ml_dtypes.bfloat16) if a.dtype.kind == 'V' and a.dtype.itemsize == 2 else a


INPUTS_NPZ = _Bfloat16Npz(INPUTS_NPZ)
EXPECTED_NPZ = np.load(HERE + '/expected.npz')  # the exact result, rounded to the output type
EXPECTED_NPZ = _Bfloat16Npz(EXPECTED_NPZ)
INPUTS = {n: INPUTS_NPZ[n] for n in ['x0']}
EXPECTED = [EXPECTED_NPZ[f'out{i}'] for i in range(1)]

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
            np.testing.assert_allclose(a, e, rtol=0.1, atol=0.1 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=True)
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
