"""onnxconverter-common's float16 conversion fails: Cast -> CumSum <exclusive = 1> on float32 (opset 27)

onnxconverter-common's float16 conversion fails on a model it was given. Found with onnx 1.23.2, onnxconverter-common 1.16.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 27]
>
repro (float[1] x0) => (float[1] out0, float[1] out1) 
   <int32 t1 =  {0}>
{
   t2 = Cast <to: int = 1> (x0)
   out0 = Cast <to: int = 1> (t2)
   out1 = CumSum <exclusive: int = 1, reverse: int = 0> (t2, t1)
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
        model = transform_model(model, 27)
    except Exception as e:
        print("onnxconverter-common's float16 conversion raises", type(e).__name__, str(e)[:2000])
        return 1 if "AttributeError: 'list' object has no attribute 'input'" in f'{type(e).__name__}: {e}' else 2
    print("onnxconverter-common's float16 conversion converts the model: fixed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
