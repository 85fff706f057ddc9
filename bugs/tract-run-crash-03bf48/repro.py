"""tract fails to run a valid model: Transpose -> GRU <direction = "forward", linear_before_reset = 1> on float32 (opset 24)

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
repro (float[2,5,1] x3) => (float[1,2,5] t19) {
   t1 = Transpose <perm: ints = [1, 0, 2]> (x3)
   t2 = Constant <value: tensor = float[1,15,1] t14 {1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}> ()
   t3 = Constant <value: tensor = float[1,15,5] t16 {1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}> ()
   t4, t19 = GRU <direction: string = "forward", hidden_size: int = 5, linear_before_reset: int = 1> (t1, t2, t3)
}
''')
INPUTS = {'x3': np.array([[[0.08314245194196701], [0.7542527914047241], [-0.367037296295166], [-1.6609541177749634], [0.25401878356933594]], [[-0.48875555396080017], [-1.534265160560608], [1.703023910522461], [-0.1584877371788025], [-0.43818187713623047]]], dtype=np.float32)}

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
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('xw not contiguous', '" GruSeq')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
