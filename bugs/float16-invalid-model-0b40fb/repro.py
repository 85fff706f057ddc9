"""onnxconverter-common's float16 conversion produces a model the ONNX checker rejects: GroupNormalization -> Min -> Max on float32 (opset 26)

onnxconverter-common's float16 conversion turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnxconverter-common 1.16.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 26]
>
repro (float[1,3] x1) => (float[1,3] out0) 
   <float t1 =  {1}, float t2 =  {0}, float t3 =  {0}, float[3] t4 =  {1,1,1}, float[3] t5 =  {0,0,0}>
{
   t6 = GroupNormalization <epsilon: float = 1e-05, num_groups: int = 1> (x1, t4, t5)
   t7 = Min (t6, t1)
   out0 = Max (t7, t2, t3)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    from onnxconverter_common import float16
    model = onnx.load_model_from_string(model_bytes)
    return float16.convert_float_to_float16(model, keep_io_types=True).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 26)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'has inconsistent type tensor(float')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
