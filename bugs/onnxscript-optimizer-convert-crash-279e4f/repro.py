"""The onnxscript optimizer fails: SequenceConstruct -> ConcatFromSequence <new_axis = 1> (opset 25)

The onnxscript optimizer fails on a model it was given. Found with onnx 1.23.2, onnx-ir 1.1.0, onnxscript 0.7.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 25]
>
repro () => (int8[1,2] out0) 
   <int8[1] t1 =  {0}>
{
   t2 = SequenceConstruct (t1, t1)
   out0 = ConcatFromSequence <axis: int = 1, new_axis: int = 1> (t2)
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
    try:
        model = transform_model(model, 25)
    except Exception as e:
        print('the onnxscript optimizer raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('PassError: An error occurred when running the', 'pass after the following passes')) else 2
    print('the onnxscript optimizer converts the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
