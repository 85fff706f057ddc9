"""tract fails to load a valid model: Shape -> ConstantOfShape -> ScatterND on int8 (opset 11)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 6,
   opset_import: ["" : 11]
>
repro (int8[4] x0) => (int8[unk__2] t20) 
   <int64[1,1] t1 =  {-3}>
{
   t2 = Constant <value: tensor = int8[1] t16 {6}> ()
   t3 = Shape (x0)
   t4 = ConstantOfShape <value: tensor = int8[1] {0}> (t3)
   t20 = ScatterND (t4, t1, t2)
}
''')
INPUTS = {'x0': np.array([-3, -8, 1, 0], dtype=np.int8)}

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
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('ScatterND index -', 'out of bounds for data shape', 'xf), dynamic ndim=', '" ScatterNd')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
