"""The onnxscript optimizer produces a model the ONNX checker rejects: ArgMin <keepdims = 0> -> ConstantOfShape -> Reshape (opset 11)

The onnxscript optimizer turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnx-ir 1.1.0, onnxscript 0.7.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: t1 = -0.916992
MODEL = onnx.parser.parse_model('''
<
   ir_version: 6,
   opset_import: ["" : 11]
>
repro () => (int64[1] out0) 
   <float16[1] t1 =  {47958}, int64[1] t2 =  {1}>
{
   t3 = ArgMin <axis: int = 0, keepdims: int = 0> (t1)
   t4 = ConstantOfShape <value: tensor = int64[1] {1}> (t2)
   out0 = Reshape (t3, t4)
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
    model = transform_model(model, 11)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if 'ValidationError: Unrecognized attribute: allowzero for operator Reshape' in f'{type(e).__name__}: {e}' else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
