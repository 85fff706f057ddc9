"""onnxslim fails: TopK -> Greater (opset 21)

onnxslim fails on a model it was given. Found with onnx 1.23.2, onnxslim 0.1.98.
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
repro () => (int64[1] out0, bool[1] out1) 
   <int8[1] t1 =  {5}, int8[1] t2 =  {0}, int64[1] t3 =  {1}>
{
   t4, out0 = TopK <axis: int = -1, largest: int = 1, sorted: int = 1> (t2, t3)
   out1 = Greater (t4, t1)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    import onnxslim
    return onnxslim.slim(onnx.load_model_from_string(model_bytes)).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 21)
    except Exception as e:
        print('onnxslim raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'op_type:TopK', 'is out of bounds')) else 2
    print('onnxslim converts the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
