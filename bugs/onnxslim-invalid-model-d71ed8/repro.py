"""onnxslim produces a model the ONNX checker rejects: Resize <coordinate_transformation_mode = "asymmetric", mode = "nearest", nearest_mode = "round_prefer_floor"> -> Shape -> Expand on float32 (opset 26)

onnxslim turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnxslim 0.1.98.
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
repro (float[1,3,2,2] x7) => (int64[4] out0) 
   <float[3] t1 =  {3,0.5,1.5}, int64[1] t2 =  {4}>
{
   t3 = Resize <axes: ints = [1, 2, 3], coordinate_transformation_mode: string = "asymmetric", mode: string = "nearest", nearest_mode: string = "round_prefer_floor"> (x7, "", t1)
   t4 = Shape (t3)
   out0 = Expand (t4, t2)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    import onnxslim
    return onnxslim.slim(onnx.load_model_from_string(model_bytes)).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 26)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'Inference error(s): (op_type:Expand', 'Incompatible dimensions')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
