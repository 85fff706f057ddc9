"""The onnxscript optimizer produces a model the ONNX checker rejects: Slice on float32 (opset 14)

The checker rejects the model the onnxscript optimizer wrote from a model that passes on every runtime. Found with onnx 1.23.2, onnx-ir 1.1.0, onnxscript 0.7.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 14]
>
repro (float[4] x0) => (float[2] t7, float[2] t8) 
   <int64[1] t1 =  {2}, int64[1] t2 =  {4}, int64[1] t3 =  {0}, int64[1] t4 =  {0}, int64[1] t5 =  {2}, int64[1] t6 =  {0}>
{
   t7 = Slice (x0, t1, t2, t3)
   t8 = Slice (x0, t4, t5, t6)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    import onnx_ir as ir
    from onnxscript import optimizer
    model = ir.from_proto(onnx.load_model_from_string(model_bytes))
    optimizer.optimize(model)
    return ir.to_proto(model).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 14)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if 'ValidationError: Unrecognized attribute: num_outputs for operator Split' in f'{type(e).__name__}: {e}' else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
