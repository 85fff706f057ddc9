"""ONNX Runtime computes wrong values: Div -> Less -> Ceil -> Floor -> Where -> Cast -> Atan -> Equal -> Add on float32 (opset 18)

The ONNX reference evaluator (onnx.reference), OpenVINO (CPU), tract run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: t3 = 0; t4 = 1; t5 = -3.14062; t6 = 3.14062
MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 18]
>
repro (float[2,2] x0) => (float16[2,2] out0) 
   <float[1] t1 =  {1.6772056}, float t2 =  {0}, float16 t3 =  {0}, float16 t4 =  {15360}, float16 t5 =  {49736}, float16 t6 =  {16968}>
{
   t7 = Div (x0, t1)
   t8 = Less (t7, t2)
   t9 = Ceil (t7)
   t10 = Floor (t7)
   t11 = Where (t8, t9, t10)
   t12 = Cast <to: int = 10> (t11)
   t13 = Div (t12, t12)
   t14 = Atan (t13)
   t15 = Equal (t12, t3)
   t16 = Where (t15, t12, t14)
   t17 = Div (t4, t12)
   t18 = Less (t17, t3)
   t19 = Where (t18, t5, t6)
   t20 = Div (t4, t12)
   t21 = Less (t20, t3)
   t22 = Where (t21, t19, t3)
   out0 = Add (t16, t22)
}
''')
INPUTS = {'x0': np.array([[0.4196864664554596, -1.7274256944656372], [1.7867501974105835, -1.387170433998108]], dtype=np.float32)}
EXPECTED = [np.array([[0.0, -2.35546875], [0.78515625, -3.140625]], dtype=np.float16)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


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
