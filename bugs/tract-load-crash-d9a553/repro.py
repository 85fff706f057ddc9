"""tract fails to load a valid model: Cast -> IsInf -> Shape -> Expand -> NonZero -> Transpose -> ScatterND on a 0-d bool/float16 (opset 12)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 12]
>
repro (float16[1,1] x1, bool x3) => (bool[1,1] out0) {
   t1 = Cast <to: int = 11> (x1)
   t2 = IsInf (t1)
   t3 = Shape (t2)
   t4 = Expand (x3, t3)
   t5 = NonZero (t4)
   t6 = Transpose <perm: ints = [1, 0]> (t5)
   t7 = Constant <value: tensor = bool[0] t14 {}> ()
   out0 = ScatterND (t2, t6, t7)
}
''')
INPUTS = {'x1': np.array([[-0.83056640625]], dtype=np.float16), 'x3': np.array(True, dtype=np.bool)}

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
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('No supertype found for F', '" ScatterNd')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
