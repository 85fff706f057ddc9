"""tract fails to load a valid model: QuantizeLinear -> DequantizeLinear on a 0-d float32 (opset 23)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 11,
   opset_import: ["" : 23]
>
repro (float x0) => (float out0) 
   <float t1 =  {0.0625}, int8 t2 =  {5}, float t3 =  {0.0625}, int8 t4 =  {5}, float t5 =  {0.25}, uint8 t6 =  {128}, float t7 =  {0.25}, uint8 t8 =  {128}>
{
   t9 = QuantizeLinear (x0, t1, t2)
   t10 = DequantizeLinear (t9, t3, t4)
   t11 = QuantizeLinear (t10, t5, t6)
   out0 = DequantizeLinear (t11, t7, t8)
}
''')
INPUTS = {'x0': np.array(-0.9199463129043579, dtype=np.float32)}

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
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Trying to substitute a ,U', 'QuantizeLinearU')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
