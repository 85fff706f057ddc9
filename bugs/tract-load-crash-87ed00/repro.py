"""tract fails to load a valid model: Reshape -> Shape -> Slice -> Concat -> Einsum on uint8 (opset 19)

OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
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
repro (uint8[1,1,2] x0) => (uint8[unk__2,1] t19) 
   <uint8[1,1] t1 =  {1}>
{
   t2 = Constant <value: tensor = int64[2] t9 {0,-1}> ()
   t3 = Reshape <allowzero: int = 0> (x0, t2)
   t4 = Shape (t3)
   t5 = Constant <value: tensor = int64[1] {-1}> ()
   t6 = Constant <value: tensor = int64[1] {9223372036854775807}> ()
   t7 = Slice (t4, t5, t6)
   t8 = Constant <value: tensor = int64[1] {-1}> ()
   t9 = Concat <axis: int = 0> (t8, t7)
   t10 = Reshape <allowzero: int = 0> (x0, t9)
   t19 = Einsum <equation: string = "ij,jk->ik"> (t10, t1)
}
''')
INPUTS = {'x0': np.array([[[6, 16]]], dtype=np.uint8)}

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
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Impossible to unify Val', '" EinSum')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
