"""onnxslim kills the process running a valid model: RandomNormal <mean = -2, scale = 0> -> Add on float32 (opset 10)

onnxslim fails on a model it was given. Found with onnx 1.23.2, onnxslim 0.1.98.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 5,
   opset_import: ["" : 10]
>
repro (float[1] x0) => (float[1] out0) {
   t1 = RandomNormal <dtype: int = 1, mean: float = -2, scale: float = 0, seed: float = 3, shape: ints = [1]> ()
   out0 = Add (x0, t1)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    import onnxslim
    return onnxslim.slim(onnx.load_model_from_string(model_bytes)).SerializeToString()


def main():
    if "--child" not in sys.argv:
        import os, subprocess
        r = subprocess.run([sys.executable, os.path.abspath(__file__), '--child'], timeout=600)
        if r.returncode < 0:
            print('the process died with signal', -r.returncode)
            return 1
        return r.returncode
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 10)
    except Exception as e:
        print('onnxslim raises', type(e).__name__, str(e)[:2000])
        return 0
    print('onnxslim converts the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
