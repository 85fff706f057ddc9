"""onnxconverter-common's float16 conversion fails: GRU <direction = "bidirectional", linear_before_reset = 1> on float32 (opset 23)

onnxconverter-common's float16 conversion fails on a model it was given. Found with onnx 1.23.2, onnxconverter-common 1.16.0.
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
repro (float[1,1,1] t11__cut) => (float[?,?,?] t12) 
   <float[2,1,1] t1 =  {0,0}, float[2,3,1] t2 =  {1,1,1,1,1,1}, float[2,3,2] t3 =  {1,1,1,1,1,1,1,1,1,1,1,1}>
{
   "", t12 = GRU <hidden_size: int = 1, layout: int = 0, direction: string = "bidirectional", linear_before_reset: int = 1> (t11__cut, t3, t2, "", "", t1)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    from onnxconverter_common import float16
    model = onnx.load_model_from_string(model_bytes)
    return float16.convert_float_to_float16(model, keep_io_types=True).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 23)
    except Exception as e:
        print("onnxconverter-common's float16 conversion raises", type(e).__name__, str(e)[:2000])
        return 1 if "AttributeError: 'NoneType' object has no attribute 'output'" in f'{type(e).__name__}: {e}' else 2
    print("onnxconverter-common's float16 conversion converts the model: fixed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
