"""ONNX Runtime gives NaN/Inf where the result is finite: Det -> Sigmoid -> Log -> Sub -> Mul -> Add -> Neg -> ReduceMean (opset 16)

The ONNX reference evaluator (onnx.reference) run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
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
repro () => (float out0) 
   <float[3,5,5] t1 =  {-0.4,-1.2,-1,1.1,1,-1.6,1.1,-0.8,0.9,0.2,-1,-1.2,0.1,-1.9,1.4,1.7,-1,-1.4,-1.9,1.1,-0.7,-0.4,-1.3,1.8,-0.3,0.5,-0.3,-0.8,-0.2,-0.4,1.9,-0,-0.9,-1.2,-0.2,-0.3,0.4,1.1,1.3,-1.2,-1.9,0.8,-1.3,-0.8,-0.8,-0.8,0.8,-0.9,1.4,0.3,1.2,0,-0.5,0.7,1.8,-2,-0.6,-0.1,-0.1,1,0.9,1.8,-0.6,0.8,0,1.2,1.1,-1.9,1.2,1,0.5,-1,-1.2,-1.2,0}, float[3] t2 =  {1,1,1}, float[3] t3 =  {0,0,0}>
{
   t4 = Det (t1)
   t5 = Sigmoid (t4)
   t6 = Log (t5)
   t7 = Constant <value: tensor = float[1] {1}> ()
   t8 = Sub (t7, t5)
   t9 = Log (t8)
   t10 = Mul (t2, t6)
   t11 = Mul (t3, t9)
   t12 = Add (t10, t11)
   t13 = Neg (t12)
   out0 = ReduceMean <keepdims: int = 0> (t13)
}
''')
INPUTS = {}
EXPECTED = [np.array(11.505279541015625, dtype=np.float32)]  # the exact result, rounded to the output type

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
