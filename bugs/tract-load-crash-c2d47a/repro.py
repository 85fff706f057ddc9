"""tract fails to load a valid model: Slice on uint8 (opset 26)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 26]
>
repro (uint8[1,5,1,1,1] x3) => (uint8[1,1,1,1,1] out0) 
   <int64[5] t1 =  {0,4611686018427387904,0,2,0}, int64[5] t2 =  {1,3,4,-4611686018427387904,-4611686018427387904}, int64[5] t3 =  {0,1,2,3,4}, int64[5] t4 =  {1,-3,1,-1,-1}>
{
   out0 = Slice (x3, t1, t2, t3, t4)
}
''')
INPUTS = {'x3': np.array([[[[[3]]], [[[15]]], [[[2]]], [[[1]]], [[[10]]]]], dtype=np.uint8)}

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
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Condition failed: `start <= end`', '" StridedSlice')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
