"""onnxconverter-common's float16 conversion produces a model the ONNX checker rejects: Resize <coordinate_transformation_mode = "asymmetric", mode = "nearest", nearest_mode = "floor"> -> ConvTranspose (opset 20)

onnxconverter-common's float16 conversion turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnxconverter-common 1.16.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 9,
   opset_import: ["" : 20]
>
repro () => (float[1,5,2] out0, float[1,2,1] out1) 
   <float[5,2,1] t1 =  {1,1,1,1,1,1,1,1,1,1}, float[2] t2 =  {1,1}, float[1,5,5] t3 =  {0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}, int64[3] t4 =  {1,5,2}>
{
   out0 = Resize <coordinate_transformation_mode: string = "asymmetric", cubic_coeff_a: float = -0.75, mode: string = "nearest", nearest_mode: string = "floor"> (t3, "", "", t4)
   out1 = ConvTranspose <dilations: ints = [1], group: int = 1, kernel_shape: ints = [1], pads: ints = [2, 2], strides: ints = [1]> (t3, t1, t2)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    from onnxconverter_common import float16
    model = onnx.load_model_from_string(model_bytes)
    return float16.convert_float_to_float16(model, keep_io_types=True).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 20)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'op_type:ConvTranspose', 'W has inconsistent type tensor(float')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
