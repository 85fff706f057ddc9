"""onnxslim fails: SplitToSequence -> SequenceMap -> ConcatFromSequence (opset 22)

onnxslim fails on a model it was given. Found with onnx 1.23.2, onnxslim 0.1.98.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 22]
>
repro () => (int32[1] out0) 
   <int32[1] t1 =  {0}, int64[1] t2 =  {1}>
{
   t3 = SplitToSequence <axis: int = 0, keepdims: int = 1> (t1, t2)
   t4 = SequenceMap (t3) <body: graph = body (int32[?] t5) => (int32[?] t6) {
      t6 = Abs (t5)
   }>
   out0 = ConcatFromSequence <axis: int = 0, new_axis: int = 0> (t4)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    import onnxslim
    return onnxslim.slim(onnx.load_model_from_string(model_bytes)).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 22)
    except Exception as e:
        print('onnxslim raises', type(e).__name__, str(e)[:2000])
        return 1 if "AttributeError: 'list' object has no attribute 'nbytes'" in f'{type(e).__name__}: {e}' else 2
    print('onnxslim converts the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
