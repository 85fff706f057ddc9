"""onnxslim produces a model the ONNX checker rejects: ReduceProd <keepdims = 0> on float32 (opset 21)

onnxslim turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnxslim 0.1.98.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 21]
>
repro (float[1] x0) => (float out0) 
   <int64[1] t1 =  {0}>
{
   out0 = ReduceProd <noop_with_empty_axes: int = 0, keepdims: int = 0> (x0, t1)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    import onnxslim
    return onnxslim.slim(onnx.load_model_from_string(model_bytes)).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 21)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if "ValidationError: Field 'shape' of 'type' is required but missing" in f'{type(e).__name__}: {e}' else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
