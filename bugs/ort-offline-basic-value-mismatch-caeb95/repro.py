"""ONNX Runtime's offline graph optimization (basic level)'s output computes wrong values on tract: Div -> Atan -> Greater -> Add -> Sub -> Where -> Less -> IsNaN on a 0-d float32 (opset 21)

The model passes on tract before ONNX Runtime's offline graph optimization (basic level) and computes wrongly after it; no other runtime family ran the model (tract is the only one without a kernel gap for it): no witness either way. Found with onnx 1.23.2, onnxruntime 1.32.0, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 21]
>
repro (float x0) => (float out0) 
   <float t1 =  {-0}, float t2 =  {-0.065451704}>
{
   t3 = Identity (x0)
   t4 = Div (t3, t1)
   t5 = Atan (t4)
   t6 = Constant <value: tensor = float {0}> ()
   t7 = Constant <value: tensor = float {3.1415927}> ()
   t8 = Greater (t3, t6)
   t9 = Add (t5, t7)
   t10 = Sub (t5, t7)
   t11 = Where (t8, t9, t10)
   t12 = Less (t1, t6)
   t13 = Where (t12, t11, t5)
   t14 = IsNaN (t13)
   t15 = Where (t14, t6, t13)
   t16 = Identity (t15)
   t17 = Div (t16, t2)
   t18 = Atan (t17)
   t19 = Constant <value: tensor = float {0}> ()
   t20 = Constant <value: tensor = float {3.1415927}> ()
   t21 = Greater (t16, t19)
   t22 = Add (t18, t20)
   t23 = Sub (t18, t20)
   t24 = Where (t21, t22, t23)
   t25 = Less (t2, t19)
   t26 = Where (t25, t24, t18)
   t27 = IsNaN (t26)
   out0 = Where (t27, t19, t26)
}
''')
INPUTS = {'x0': np.array(0.9219722151756287, dtype=np.float32)}
EXPECTED = [np.array(1.6124401092529297, dtype=np.float32)]  # the exact result, rounded to the output type

def transform_model(model_bytes, opset):
    import os, tempfile
    import onnxruntime as ort
    with tempfile.TemporaryDirectory() as d:
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        opts.optimized_model_filepath = os.path.join(d, "optimized.onnx")
        ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
        with open(opts.optimized_model_filepath, "rb") as f:
            return f.read()


def run_model(model_bytes, feeds):
    import os, tempfile
    import tract
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model_bytes)
        runnable = tract.onnx().load(os.path.join(d, "model.onnx")).into_model().into_runnable()
    return [t.to_numpy() for t in runnable.run(list(feeds.values()))]


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 21)
    actual = run_model(model, INPUTS)
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
