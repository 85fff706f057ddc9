"""tract fails to load a valid model: DynamicQuantizeLinear -> Mul -> MatMulInteger -> Cast on float32 (opset 20)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 20]
>
repro (float[1,2] x6) => (float[1] out0) 
   <float t1 =  {0.007874016}, int8 t2 =  {0}, int8[2] t3 =  {127,127}>
{
   t5, t6, t7 = DynamicQuantizeLinear (x6)
   t8 = Mul (t6, t1)
   t9 = MatMulInteger (t5, t3, t7, t2)
   t10 = Cast <to: int = 1> (t9)
   out0 = Mul (t10, t8)
}
''')
INPUTS = {'x6': np.array([[1.847120761871338, 1.4872605800628662]], dtype=np.float32)}

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
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Output mismatch after rewiring expansion for output #', '" MatMulInteger')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
