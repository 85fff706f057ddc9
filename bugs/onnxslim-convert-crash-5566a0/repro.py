"""onnxslim fails: Cast -> StringConcat on a 0-d uint8 (opset 23)

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
repro (uint8 x0) => (int64[1] out0) 
   <uint8[1] t1 =  {8}>
{
   t2 = Cast <to: int = 8> (x0)
   t3 = Cast <to: int = 8> (t1)
   t4 = StringConcat (t2, t3)
   out0 = Cast <to: int = 7> (t4)
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
        return 1 if 'TypeError: Can not use raw_data to store string type' in f'{type(e).__name__}: {e}' else 2
    print('onnxslim converts the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
