"""ONNX Runtime's offline graph optimization (all levels) fails: Shape -> Size -> Sub -> Greater -> If -> Less -> Cast -> Tile on a 0-d float32 (opset 13)

ONNX Runtime's offline graph optimization (all levels) fails on a model it was given. Found with onnx 1.23.2, onnxruntime 1.32.0.
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
repro (float x3) => (float[Tileout0_dim_0] out0) {
   t1 = Constant <value: tensor = int64[1] {1}> ()
   t2 = Shape (x3)
   t3 = Size (t2)
   t4 = Constant <value: tensor = int64 {1}> ()
   t5 = Sub (t3, t4)
   t6 = Constant <value: tensor = int64[1] {0}> ()
   t7 = Greater (t5, t6)
   t8 = If (t7) <then_branch: graph = body () => (int64["Concat/Concat_output_0_dim_0"] t9) {
      t10 = Constant <value: tensor = int64[1] {1}> ()
      t11 = Reshape (t5, t10)
      t12 = Expand (t10, t11)
      t13 = Constant <value: tensor = int64[1] {1}> ()
      t9 = Concat <axis: int = 0> (t12, t13)
   }, else_branch: graph = body () => (int64[1] t14) {
      t14 = Identity (t1)
   }>
   t15 = Constant <value: tensor = int64[1] {0}> ()
   t16 = Less (t5, t15)
   t17 = If (t16) <then_branch: graph = body () => (float[] t18) {
      t19 = Constant <value: tensor = int64[1] {1}> ()
      t20 = Abs (t5)
      t21 = Reshape (t20, t19)
      t22 = Expand (t19, t21)
      t23 = Concat <axis: int = 0> (t22, t2)
      t18 = Reshape (x3, t23)
   }, else_branch: graph = body () => (float t24) {
      t24 = Identity (x3)
   }>
   t25 = Cast <to: int = 7> (t8)
   out0 = Tile (t17, t25)
}
''')

def transform_model(model_bytes, opset):
    import os, tempfile
    import onnxruntime as ort
    with tempfile.TemporaryDirectory() as d:
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.optimized_model_filepath = os.path.join(d, "optimized.onnx")
        ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
        with open(opts.optimized_model_filepath, "rb") as f:
            return f.read()


def main():
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 13)
    except Exception as e:
        print("ONNX Runtime's offline graph optimization (all levels) raises", type(e).__name__, str(e)[:2000])
        return 1 if 'Negative dimension value on Concat axis' in f'{type(e).__name__}: {e}' else 2
    print("ONNX Runtime's offline graph optimization (all levels) converts the model: fixed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
