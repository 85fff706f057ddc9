"""tract kills the process running a valid model: Mod on int8 (opset 27)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 27]
>
repro (int8[2,3,1,6] x13) => (int8[2,3,1,6] out0) 
   <int8[3,1,6] t1 =  {1,-5,8,-7,-4,-5,-8,8,5,-3,-1,5,-7,-5,-3,0,6,-4}>
{
   out0 = Mod <fmod: int = 0> (t1, x13)
}
''')
INPUTS = {'x13': np.array([[[[-8, 8, -4, -5, -8, 7]], [[-1, 8, -5, 6, 4, -2]], [[3, -1, 4, 5, 7, 6]]], [[[-4, -1, -7, -1, -2, -7]], [[1, -5, 1, -6, -5, 1]], [[4, 3, 3, 2, -3, 8]]]], dtype=np.int8)}

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
