"""The onnxscript optimizer fails: Pad <mode = "constant", value = 1> -> Conv on float32 (opset 7)

The onnxscript optimizer fails on a model it was given. Found with onnx 1.23.2, onnx-ir 1.1.0, onnxscript 0.7.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 3,
   opset_import: ["" : 7]
>
repro (float[1,2,1,1] x16, float[1,2,1,1] c13, float[1] c14) => (float[1,1,1,4] out0) 
   <float[1,2,1,1] c13 =  {1,1}, float[1] c14 =  {1.70607}>
{
   t1 = Pad <mode: string = "constant", pads: ints = [0, 0, 0, 1, 0, 0, 0, 2], value: float = 1> (x16)
   out0 = Conv <dilations: ints = [1, 1], group: int = 1, kernel_shape: ints = [1, 1], pads: ints = [0, 0, 0, 0], strides: ints = [1, 1]> (t1, c13, c14)
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
        model = transform_model(model, 7)
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
