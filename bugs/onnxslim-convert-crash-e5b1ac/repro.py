"""onnxslim fails: Resize <coordinate_transformation_mode = "tf_crop_and_resize", mode = "nearest", nearest_mode = "round_prefer_ceil"> on uint8 (opset 23)

onnxslim fails on a model it was given. Found with onnx 1.23.2, onnxslim 0.1.98.
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
repro (uint8[1,1,2] x0) => (uint8[1,2,3] out0) 
   <float[4] t1 =  {0,-0.25,0.75,0.75}, int64[2] t2 =  {2,3}>
{
   out0 = Resize <axes: ints = [1, -1], coordinate_transformation_mode: string = "tf_crop_and_resize", mode: string = "nearest", nearest_mode: string = "round_prefer_ceil"> (x0, t1, "", t2)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    import onnxslim
    return onnxslim.slim(onnx.load_model_from_string(model_bytes)).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 23)
    except Exception as e:
        print('onnxslim raises', type(e).__name__, str(e)[:2000])
        return 1 if 'IndexError: list index out of range' in f'{type(e).__name__}: {e}' else 2
    print('onnxslim converts the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
