"""tract fails to load a valid model: Shape -> Concat -> Div -> Expand -> Reshape -> Cast -> Transpose -> MatMul -> ConstantOfShape -> Add on float16 (opset 27)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: t31 = 1, 1, 1; t38 = 1, 1, 1, 1, 1, 1
MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 27, "ai.onnx.ml" : 5, "ai.onnx.training" : 1, "ai.onnx.preview" : 1, "com.microsoft" : 1, "ai.onnx.preview.training" : 1, "com.microsoft.experimental" : 1, "com.microsoft.nchwc" : 1, "org.pytorch.aten" : 1]
>
repro (float16[1,3,1,2] x0) => (float[unk__21,3,unk__17,unk__8] t67) {
   t1 = Constant <value: tensor = int64[1] t13 {1}> ()
   t2 = Constant <value: tensor = int64[1] t15 {1}> ()
   t3 = Shape <end: int = 2, start: int = 1> (x0)
   t4 = Shape <end: int = 1, start: int = 0> (x0)
   t5 = Concat <axis: int = 0> (t4, t3, t1, t2)
   t6 = Constant <value: tensor = int64[1] t20 {3}> ()
   t7 = Div (t3, t6)
   t8 = Concat <axis: int = 0> (t4, t6, t7, t1, t2)
   t9 = Constant <value: tensor = float16[1,3,1,1,1] t31 {15360,15360,15360}> ()
   t10 = Expand (t9, t8)
   t11 = Reshape <allowzero: int = 0> (t10, t5)
   t12 = Cast <saturate: int = 1, round_mode: string = "up", to: int = 1> (t11)
   t13 = Shape <end: int = 4, start: int = 3> (x0)
   t14 = Concat <axis: int = 0> (t4, t3, t1, t13)
   t15 = Concat <axis: int = 0> (t4, t6, t7, t1, t13)
   t16 = Constant <value: tensor = float16[1,3,1,1,2] t38 {15360,15360,15360,15360,15360,15360}> ()
   t17 = Expand (t16, t15)
   t18 = Reshape <allowzero: int = 0> (t17, t14)
   t19 = Transpose <perm: ints = [0, 1, 3, 2]> (t18)
   t20 = Cast <saturate: int = 1, round_mode: string = "up", to: int = 1> (t19)
   t21 = Cast <saturate: int = 1, round_mode: string = "up", to: int = 1> (x0)
   t22 = MatMul (t21, t20)
   t23 = Shape <end: int = -1, start: int = -2> (x0)
   t24 = Concat <axis: int = 0> (t23, t1)
   t25 = ConstantOfShape (t24)
   t26 = Add (t22, t25)
   t67 = MatMul (t26, t12)
}
''')
INPUTS = {'x0': np.array([[[[-6.097555160522461e-05, -2.0]], [[6.103515625e-05, 2.0]], [[0.0, -0.0]]]], dtype=np.float16)}

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
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Impossible to unify F', '" MatMulInference')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
