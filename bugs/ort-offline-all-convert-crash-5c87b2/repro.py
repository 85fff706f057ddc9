"""ONNX Runtime's offline graph optimization (all levels) fails: Shape -> Size -> Sub -> If -> Tile on a 0-d bool/float32 (opset 13)

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
repro (float x3, bool[1] t16__cut, bool[1] t7__cut) => (float[Tileout0_dim_0] out0) {
   t1 = Constant <value: tensor = int64[1] {1}> ()
   t2 = Shape (x3)
   t3 = Size (t2)
   t4 = Constant <value: tensor = int64 {1}> ()
   t5 = Sub (t3, t4)
   t6 = If (t7__cut) <then_branch: graph = body () => (int64["Concat/Concat_output_0_dim_0"] t7) {
      t8 = Constant <value: tensor = int64[1] {1}> ()
      t9 = Reshape (t5, t8)
      t10 = Expand (t8, t9)
      t11 = Constant <value: tensor = int64[1] {1}> ()
      t7 = Concat <axis: int = 0> (t10, t11)
   }, else_branch: graph = body () => (int64[1] t12) {
      t12 = Identity (t1)
   }>
   t13 = If (t16__cut) <then_branch: graph = body () => (float[] t14) {
      t15 = Constant <value: tensor = int64[1] {1}> ()
      t16 = Abs (t5)
      t17 = Reshape (t16, t15)
      t18 = Expand (t15, t17)
      t19 = Concat <axis: int = 0> (t18, t2)
      t14 = Reshape (x3, t19)
   }, else_branch: graph = body () => (float t20) {
      t20 = Identity (x3)
   }>
   out0 = Tile (t13, t6)
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
