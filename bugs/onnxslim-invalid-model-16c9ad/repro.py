"""onnxslim produces a model the ONNX checker rejects: Neg -> Dropout on a 0-d float16 (opset 24)

onnxslim turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnxslim 0.1.98.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: t1 = 0.899902
MODEL = onnx.parser.parse_model('''
<
   ir_version: 12,
   opset_import: ["" : 24]
>
repro (float16 x0) => (bool out0) 
   <float16 t1 =  {15155}>
{
   t2 = Neg (x0)
   t3, out0 = Dropout (t2, t1)
   t4 = Neg (t3)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    import onnxslim
    return onnxslim.slim(onnx.load_model_from_string(model_bytes)).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 24)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('ValidationError: Graph output', 'is not an output of any node in graph')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
