"""tract kills the process loading a valid model: Mul -> MatMulInteger -> CastLike -> Cast -> Add on a 0-d float32 (opset 23)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 23]
>
repro (float x8) => (float[1] out0) 
   <float t1 =  {0.003921569}, uint8 t2 =  {0}, uint8[1,10] t3 =  {255,255,255,255,255,255,255,255,255,255}, float t4 =  {0.007874016}, int8 t5 =  {0}, int8[10] t6 =  {127,127,127,127,127,127,127,127,127,127}>
{
   t7 = Constant <value_float: float = 0.2> ()
   t8 = Constant <value_float: float = 0.6> ()
   t9 = Mul (t1, t4)
   t10 = MatMulInteger (t3, t6, t2, t5)
   t11 = CastLike (t7, x8)
   t12 = Cast <to: int = 1> (t10)
   t13 = Mul (x8, t11)
   t14 = Mul (t12, t9)
   t15 = CastLike (t8, t14)
   t16 = Mul (t14, t15)
   out0 = Add (t13, t16)
}
''')
INPUTS = {'x8': np.array(-0.6481245160102844, dtype=np.float32)}

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
