"""tract fails to load a valid model: Gemm on float16 (opset 17)

The ONNX reference evaluator (onnx.reference), ONNX Runtime, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: t1 = -1.98242
MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 17]
>
repro (float16[5,1] x1, float16[1,5] x5) => (float16[1,1] out0) 
   <float16 t1 =  {49134}>
{
   out0 = Gemm <alpha: float = 1, beta: float = 1> (x5, x1, t1)
}
''')
INPUTS = {'x1': np.array([[1.8369140625], [1.4892578125], [0.58251953125], [1.9365234375], [0.92333984375]], dtype=np.float16), 'x5': np.array([[-1.5029296875, 0.1888427734375, -1.869140625, 1.9609375, -1.33203125]], dtype=np.float16)}

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
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Output mismatch after rewiring expansion for output #', '" Gemm')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
