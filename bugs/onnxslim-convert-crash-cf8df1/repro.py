"""onnxslim fails: ReduceMax <axes = [], keepdims = 0> on a 0-d float32 (opset 17)

onnxslim fails on a model it was given. Found with onnx 1.23.2, onnxslim 0.1.98.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 17]
>
repro (float x6) => (float out0) {
   out0 = ReduceMax <axes: ints = [], keepdims: int = 0> (x6)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    import onnxslim
    return onnxslim.slim(onnx.load_model_from_string(model_bytes)).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 17)
    except Exception as e:
        print('onnxslim raises', type(e).__name__, str(e)[:2000])
        return 1 if 'ValueError: Could not infer attribute `axes` type from empty iterator' in f'{type(e).__name__}: {e}' else 2
    print('onnxslim converts the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
