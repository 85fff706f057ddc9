"""tract fails to load a valid model: Shape -> Size -> Sub -> Greater -> If -> Less -> Cast -> Tile on int8 (opset 20)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
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
repro (int8[1] x8) => (int8[Tileout0_dim_0] out0) {
   t1 = Constant <value: tensor = int64[1] {1}> ()
   t2 = Shape (x8)
   t3 = Size (t2)
   t4 = Constant <value: tensor = int64 {1}> ()
   t5 = Sub (t3, t4)
   t6 = Constant <value: tensor = int64[1] {0}> ()
   t7 = Greater (t5, t6)
   t8 = If (t7) <then_branch: graph = body () => (int64[2] t9) {
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
   t17 = If (t16) <then_branch: graph = body () => (int8[] t18) {
      t19 = Constant <value: tensor = int64[1] {1}> ()
      t20 = Abs (t5)
      t21 = Reshape (t20, t19)
      t22 = Expand (t19, t21)
      t23 = Concat <axis: int = 0> (t22, t2)
      t18 = Reshape (x8, t23)
   }, else_branch: graph = body () => (int8[1] t24) {
      t24 = Identity (x8)
   }>
   t25 = Cast <to: int = 7> (t8)
   t26 = Tile (t17, t25)
   t27 = Constant <value: tensor = float[0] {}> ()
   t28 = Shape (t26)
   t29 = Size (t28)
   t30 = Constant <value: tensor = int64 {0}> ()
   t31 = Sub (t29, t30)
   t32 = Constant <value: tensor = int64[1] {0}> ()
   t33 = Greater (t31, t32)
   t34 = If (t33) <then_branch: graph = body () => (float[1] t35) {
      t36 = Constant <value: tensor = int64[1] {1}> ()
      t37 = Reshape (t31, t36)
      t38 = Expand (t36, t37)
      t39 = Cast <to: int = 1> (t38)
      t40 = Constant <value: tensor = float[0] {}> ()
      t35 = Concat <axis: int = 0> (t39, t40)
   }, else_branch: graph = body () => (float[0] t41) {
      t41 = Identity (t27)
   }>
   t42 = Constant <value: tensor = int64[1] {0}> ()
   t43 = Less (t31, t42)
   t44 = If (t43) <then_branch: graph = body () => (int8[] t45) {
      t46 = Constant <value: tensor = int64[1] {1}> ()
      t47 = Abs (t31)
      t48 = Reshape (t47, t46)
      t49 = Expand (t46, t48)
      t50 = Concat <axis: int = 0> (t49, t28)
      t45 = Reshape (t26, t50)
   }, else_branch: graph = body () => (int8[Tileout0_dim_0] t51) {
      t51 = Identity (t26)
   }>
   t52 = Cast <to: int = 7> (t34)
   out0 = Tile (t44, t52)
}
''')
INPUTS = {'x8': np.array([-3], dtype=np.int8)}

def run_model(model_bytes, feeds):
    import os, tempfile
    import tract
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model_bytes)
        runnable = tract.onnx().load(os.path.join(d, "model.onnx")).into_model().into_runnable()
    return [t.to_numpy() for t in runnable.run(list(feeds.values()))]


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('tract raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('TractError: Translating node #', 'If ToTypedTranslator')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
