"""The onnxscript optimizer produces a model the ONNX checker rejects: GreaterOrEqual -> Tile -> Unsqueeze -> Squeeze on a 0-d float32 (opset 13)

The onnxscript optimizer turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnx-ir 1.1.0, onnxscript 0.7.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 13]
>
repro (float[2] x0, float x1) => (bool[1,2] out0, bool[2] out1) 
   <int64[1] t1 =  {1}, int64[2] t2 =  {0,2}, int64[1] t3 =  {2}, int64[1] t4 =  {0}, int64[1] t5 =  {1}>
{
   t6 = GreaterOrEqual (x0, x1)
   t7 = Tile (t6, t1)
   t8 = Unsqueeze (t7, t2)
   out0 = Squeeze (t8, t3)
   t9 = Squeeze (out0, t4)
   out1 = Tile (t6, t5)
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
    model = transform_model(model, 13)
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
