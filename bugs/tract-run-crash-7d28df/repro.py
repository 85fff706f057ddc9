"""tract fails to run a valid model: Gather -> Unsqueeze -> Concat -> Cast -> GRU -> Transpose -> Reshape on float32 (opset 24)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 12,
   opset_import: ["" : 24]
>
repro (float[2,1,5] x1) => (float[2,1,8] out0, float[2,1,4] out1) 
   <float16[12,5] t1 =  {15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360}, float16[12,4] t2 =  {15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360}, float16[12] t3 =  {15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360}, float16[12] t4 =  {15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360}, float16[12,5] t5 =  {15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360}, float16[12,4] t6 =  {15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360}, float16[12] t7 =  {15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360}, float16[12] t8 =  {15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360}, int64[12] t9 =  {4,5,6,7,0,1,2,3,8,9,10,11}, int64[1] t10 =  {0}, int64[12] t11 =  {4,5,6,7,0,1,2,3,8,9,10,11}, int64[1] t12 =  {0}, int64[12] t13 =  {4,5,6,7,0,1,2,3,8,9,10,11}, int64[12] t14 =  {4,5,6,7,0,1,2,3,8,9,10,11}, int64[1] t15 =  {0}, int64[12] t16 =  {4,5,6,7,0,1,2,3,8,9,10,11}, int64[1] t17 =  {0}, int64[12] t18 =  {4,5,6,7,0,1,2,3,8,9,10,11}, int64[1] t19 =  {0}, int64[12] t20 =  {4,5,6,7,0,1,2,3,8,9,10,11}, int64[12] t21 =  {4,5,6,7,0,1,2,3,8,9,10,11}, int64[1] t22 =  {0}, int64[3] t23 =  {2,1,8}>
{
   t24 = Gather <axis: int = 0> (t1, t9)
   t25 = Unsqueeze (t24, t10)
   t26 = Gather <axis: int = 0> (t2, t11)
   t27 = Unsqueeze (t26, t12)
   t28 = Gather <axis: int = 0> (t3, t13)
   t29 = Gather <axis: int = 0> (t4, t14)
   t30 = Concat <axis: int = 0> (t28, t29)
   t31 = Unsqueeze (t30, t15)
   t32 = Gather <axis: int = 0> (t5, t16)
   t33 = Unsqueeze (t32, t17)
   t34 = Gather <axis: int = 0> (t6, t18)
   t35 = Unsqueeze (t34, t19)
   t36 = Gather <axis: int = 0> (t7, t20)
   t37 = Gather <axis: int = 0> (t8, t21)
   t38 = Concat <axis: int = 0> (t36, t37)
   t39 = Unsqueeze (t38, t22)
   t40 = Concat <axis: int = 0> (t25, t33)
   t41 = Concat <axis: int = 0> (t27, t35)
   t42 = Concat <axis: int = 0> (t31, t39)
   t47 = Cast <to: int = 10> (x1)
   t43, t44 = GRU <direction: string = "bidirectional", hidden_size: int = 4, linear_before_reset: int = 1> (t47, t40, t41, t42)
   t45 = Transpose <perm: ints = [0, 2, 1, 3]> (t43)
   t46 = Reshape (t45, t23)
   t48 = Identity (t46)
   t49 = Identity (t44)
   out0 = Cast <to: int = 1> (t48)
   out1 = Cast <to: int = 1> (t49)
}
''')
INPUTS = {'x1': np.array([[[0.7349991202354431, 0.26385197043418884, 1.498096227645874, -0.04619402065873146, -0.7564446926116943]], [[-1.0489195585250854, -1.7561277151107788, -0.9925832152366638, -0.3912149965763092, 1.567242980003357]]], dtype=np.float32)}

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
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Input at index', 'has incorrect dtype or shape (got', 'expected to match fact', '" Scan')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
