"""tract fails to load a valid model: Unsqueeze -> Concat -> DFT <axis = 2, inverse = 1> on float32 (opset 19)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 9,
   opset_import: ["" : 19]
>
repro (float[1,3,2,3] x0) => (float[1,3,4,3,2] out0) 
   <float[1,3,2,3] t1 =  {1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}, int64[1] t2 =  {-1}, int64[1] t3 =  {-1}, int32 t4 =  {4}>
{
   t5 = Unsqueeze (x0, t2)
   t6 = Unsqueeze (t1, t3)
   t7 = Concat <axis: int = -1> (t5, t6)
   out0 = DFT <axis: int = 2, inverse: int = 1, onesided: int = 0> (t7, t4)
}
''')
INPUTS = {'x0': np.array([[[[1.401298464324817e-45, -1.182580590248108, -1.182580590248108], [1.401298464324817e-45, -1.182580590248108, 1.401298464324817e-45]], [[-1.182580590248108, -1.182580590248108, 1.401298464324817e-45], [-1.182580590248108, -1.182580590248108, -1.182580590248108]], [[-1.182580590248108, -1.182580590248108, 1.401298464324817e-45], [-1.182580590248108, 1.401298464324817e-45, 1.401298464324817e-45]]]], dtype=np.float32)}

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
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Output mismatch after rewiring expansion for output #', '" Dft17')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
