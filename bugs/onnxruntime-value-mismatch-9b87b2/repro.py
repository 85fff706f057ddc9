"""ONNX Runtime computes wrong values: ReduceMean -> Sub -> Pow -> Add -> Sqrt -> Div -> Mul on float32 (opset 20)

ONNX Runtime with graph optimizations disabled (same kernels, other settings) run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
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
repro (float[1,3] x0) => (float[1,3] out0) 
   <float[3] t1 =  {1,1,1}, float[3] t2 =  {1,1,1}, int64[1] t3 =  {-1}, float t4 =  {3}, int64[1] t5 =  {-1}, float t6 =  {0.001}>
{
   t7 = ReduceMean <keepdims: int = 1> (x0, t3)
   t8 = Sub (x0, t7)
   t9 = Pow (t8, t4)
   t10 = ReduceMean <keepdims: int = 1> (t9, t5)
   t11 = Add (t10, t6)
   t12 = Sqrt (t11)
   t13 = Div (t8, t12)
   t14 = Mul (t13, t1)
   out0 = Add (t14, t2)
}
''')
INPUTS = {'x0': np.array([[1.6021958589553833, -1.7401407957077026, -1.6906495094299316]], dtype=np.float32)}
EXPECTED = [np.array([[2.3449082374572754, 0.312498539686203, 0.3425932228565216]], dtype=np.float32)]  # the exact result, rounded to the output type

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
