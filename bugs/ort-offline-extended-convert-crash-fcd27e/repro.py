"""ONNX Runtime's offline graph optimization (extended level) fails: Mul -> Add -> Tanh -> Pow on float32 (opset 13)

ONNX Runtime's offline graph optimization (extended level) fails on a model it was given. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 13]
>
repro (float[1] x0) => (float[1] out2, float[1] t28) 
   <float[1] t1 =  {1.3101768}, float t2 =  {0.044715}, float t3 =  {1}, float t4 =  {0.7978846}, float t5 =  {1}, float t6 =  {0.5}, float t7 =  {3}, float t8 =  {0.044715}, float t9 =  {0.7978846}, float t10 =  {0.5}>
{
   t11 = Mul (x0, t2)
   t12 = Mul (t11, x0)
   t13 = Add (t12, t3)
   t14 = Mul (x0, t4)
   t15 = Mul (t13, t14)
   t16 = Tanh (t15)
   t17 = Add (t16, t5)
   t18 = Mul (x0, t6)
   t19 = Mul (t17, t18)
   out2 = Add (t19, t1)
   t20 = Pow (x0, t7)
   t21 = Mul (t20, t8)
   t22 = Add (x0, t21)
   t23 = Mul (t22, t9)
   t24 = Mul (x0, t10)
   t28 = Mul (t23, t24)
}
''')

def transform_model(model_bytes, opset):
    import os, tempfile
    import onnxruntime as ort
    with tempfile.TemporaryDirectory() as d:
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        opts.optimized_model_filepath = os.path.join(d, "optimized.onnx")
        ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
        with open(opts.optimized_model_filepath, "rb") as f:
            return f.read()


def main():
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 13)
    except Exception as e:
        print("ONNX Runtime's offline graph optimization (extended level) raises", type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InvalidArgument', 'INVALID_ARGUMENT : Invalid model. Node input', 'is not a graph input, initializer, or output of a previous node')) else 2
    print("ONNX Runtime's offline graph optimization (extended level) converts the model: fixed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
