"""The onnxscript optimizer produces a model the ONNX checker rejects: Slice -> Squeeze on float32 (opset 15)

The onnxscript optimizer turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnx-ir 1.1.0, onnxscript 0.7.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 15, "ai.onnx.ml" : 2]
>
repro (float[2] t12__cut) => (float[1] t15, float t14) 
   <int64[1] t1 =  {0}, int64[1] t2 =  {1}, int64[1] t3 =  {2}>
{
   t4 = Slice (t12__cut, t2, t3, t1)
   t14 = Squeeze (t4)
   t15 = Slice (t12__cut, t1, t2, t1)
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
    model = transform_model(model, 15)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if 'ValidationError: Nodes in a graph must be topologically sorted, however input' in f'{type(e).__name__}: {e}' else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
