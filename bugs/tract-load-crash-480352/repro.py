"""tract fails to load a valid model: Einsum on float32 (opset 24)

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
repro (float[1,3,3] x1) => (float out0) 
   <float[1,3,3] t1 =  {1,1,1,1,1,1,1,1,1}>
{
   out0 = Einsum <equation: string = "abc,abc"> (x1, t1)
}
''')
INPUTS = {'x1': np.array([[[1.2771010398864746, -0.47365838289260864, -0.8541534543037415], [-0.012717749923467636, 0.1502295434474945, 1.7045557498931885], [-1.5814268589019775, -0.8849368095397949, -0.7734717726707458]]], dtype=np.float32)}

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
        return 1 if 'Trying to substitute a ,F' in f'{type(e).__name__}: {e}' else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
