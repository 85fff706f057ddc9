"""tract kills the process running a valid model: Div -> Cast -> Less -> Xor -> Mod -> Equal -> Not -> And -> Sub -> Where on int8 (opset 17)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 17]
>
repro (int8[5,5,2] x0) => (int8[5,5,2] out0) 
   <int8[5,5,1] t1 =  {-6,-2,2,2,-1,-5,6,3,2,5,-6,5,-8,-7,8,1,-1,-3,0,-6,7,2,0,-8,5}, bool[5,5,1] t2 =  {1,1,0,0,1,1,0,0,0,0,1,0,1,1,0,0,1,1,0,1,0,0,0,1,0}>
{
   t3 = Div (t1, x0)
   t4 = Cast <to: int = 7> (x0)
   t5 = Constant <value: tensor = int64 {0}> ()
   t6 = Less (t4, t5)
   t7 = Xor (t2, t6)
   t8 = Mod <fmod: int = 0> (t1, x0)
   t9 = Cast <to: int = 7> (t8)
   t10 = Constant <value: tensor = int64 {0}> ()
   t11 = Equal (t9, t10)
   t12 = Not (t11)
   t13 = And (t7, t12)
   t14 = Constant <value: tensor = int8 {1}> ()
   t15 = Sub (t3, t14)
   out0 = Where (t13, t15, t3)
}
''')
INPUTS = {'x0': np.array([[[3, 5], [3, 5], [2, 8], [6, 7], [6, 3]], [[4, 2], [8, 3], [7, 3], [1, 7], [6, 2]], [[7, 6], [1, 2], [7, 8], [7, 2], [4, 3]], [[5, 2], [6, 3], [8, 6], [5, 1], [4, 7]], [[3, 2], [2, 2], [4, 4], [5, 3], [4, 6]]], dtype=np.int8)}

def run_model(model_bytes, feeds):
    import os, tempfile
    import tract
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model_bytes)
        runnable = tract.onnx().load(os.path.join(d, "model.onnx")).into_model().into_runnable()
    return [t.to_numpy() for t in runnable.run(list(feeds.values()))]


def main():
    if "--child" not in sys.argv:
        import os, subprocess
        r = subprocess.run([sys.executable, os.path.abspath(__file__), '--child'], timeout=600)
        if r.returncode < 0:
            print('the process died with signal', -r.returncode)
            return 1
        return r.returncode
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('tract raises', type(e).__name__, str(e)[:2000])
        return 0
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
