"""The ONNX reference evaluator (onnx.reference) computes wrong values: Cast -> ReduceMean -> Sub -> Mul -> ReduceSum -> Div -> QuantizeLinear -> DequantizeLinear on float32 (opset 20)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2.
The expected values are what ONNX Runtime computes on this model (it gave the exact result on the larger model this one was reduced from).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: t1 = 2; t2 = 0.03125; t3 = 0.03125; t4 = 0.03125; t5 = 0.03125
MODEL = onnx.parser.parse_model('''
<
   ir_version: 9,
   opset_import: ["" : 20]
>
repro (float[4] x1) => (float out0) 
   <float16 t1 =  {16384}, float16 t2 =  {10240}, float16 t3 =  {10240}, float16 t4 =  {10240}, float16 t5 =  {10240}>
{
   t6 = Cast <to: int = 10> (x1)
   t7 = ReduceMean <keepdims: int = 1> (t6)
   t8 = Cast <to: int = 10> (x1)
   t9 = Sub (t8, t7)
   t10 = Mul (t9, t9)
   t11 = ReduceSum <keepdims: int = 0> (t10)
   t12 = Div (t11, t1)
   t13 = QuantizeLinear (t12, t2)
   t14 = DequantizeLinear (t13, t3)
   t15 = QuantizeLinear (t14, t4)
   t16 = DequantizeLinear (t15, t5)
   out0 = Cast <to: int = 1> (t16)
}
''')
INPUTS = {'x1': np.array([-1.1202855110168457, -0.6977710127830505, -1.1647047996520996, 1.1142648458480835], dtype=np.float32)}
EXPECTED = [np.array(1.71875, dtype=np.float32)]  # what ONNX Runtime computes

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
