"""onnxslim fails: If -> Tile on int64 (opset 13)

onnxslim fails on a model it was given. Found with onnx 1.23.2, onnxslim 0.1.98.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: out0 = 0
MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 13]
>
repro (int64[unk__2] t35__cut) => (float16 out0, float16 out1) {
   out0 = Constant <value: tensor = float16 out0 {0}> ()
   t1 = Constant <value: tensor = int64[0] t11 {}> ()
   t2 = Constant <value: tensor = int64 t14 {0}> ()
   t3 = Constant <value: tensor = bool[1] t26 {0}> ()
   t4 = If (t3) <then_branch: graph = body () => (float16[] t5) {
      t6 = Constant <value: tensor = int64[1] {1}> ()
      t7 = Abs (t2)
      t8 = Reshape (t7, t6)
      t9 = Expand (t6, t8)
      t10 = Concat <axis: int = 0> (t9, t1)
      t5 = Reshape (out0, t10)
   }, else_branch: graph = body () => (float16 t11) {
      t11 = Identity (out0)
   }>
   out1 = Tile (t4, t35__cut)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    import onnxslim
    return onnxslim.slim(onnx.load_model_from_string(model_bytes)).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 13)
    except Exception as e:
        print('onnxslim raises', type(e).__name__, str(e)[:2000])
        return 1
    print('onnxslim converts the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
