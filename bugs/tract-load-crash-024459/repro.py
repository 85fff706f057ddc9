"""tract fails to load a valid model: Reshape -> Slice on float32 (opset 25)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 25]
>
repro (float[4,4] x6) => (float[1,1,16,1] out0, float[16] out1) 
   <int64[4] t1 =  {1,1,16,1}, int64[1] t2 =  {16}, int64[2] t3 =  {0,0}, int64[2] t4 =  {4611686018427387904,3}, int64[2] t5 =  {0,1}, int64[2] t6 =  {2,1}>
{
   t7 = Reshape (x6, t1)
   out1 = Reshape (x6, t2)
   out0 = Slice (t7, t3, t4, t5, t6)
}
''')
INPUTS = {'x6': np.array([[-1.7821725606918335, 1.0518079996109009, 1.4178491830825806, 0.8562794923782349], [-0.312463641166687, 0.3083043396472931, 1.4921385049819946, -1.9229471683502197], [0.8293111324310303, 0.5512263178825378, 0.4001883864402771, -1.407145619392395], [-1.585410475730896, 1.6648441553115845, -0.5214190483093262, -1.5984065532684326]], dtype=np.float32)}

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
        return 1 if 'Invalid axis' in f'{type(e).__name__}: {e}' else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
