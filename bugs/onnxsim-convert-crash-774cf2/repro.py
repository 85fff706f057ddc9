"""onnx-simplifier (onnxsim) fails: Softmax -> Log on float32 (opset 21)

onnx-simplifier (onnxsim) fails on a model it was given. Found with onnx 1.23.2, onnxruntime 1.32.0, onnxsim 0.8.1.
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
repro (float[1] x10) => (float[1] out0) {
   t1 = Softmax (x10)
   out0 = Log (t1)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    import onnxsim
    simplified, _ = onnxsim.simplify(onnx.load_model_from_string(model_bytes), check_n=0)
    return simplified.SerializeToString()


def main():
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 21)
    except Exception as e:
        print('onnx-simplifier (onnxsim) raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('RuntimeError: /project/third_party/onnx/onnx/common/ir.h', "find: Assertion `!required || it != values_.end()` failed: required undefined attribute 'axis'")) else 2
    print('onnx-simplifier (onnxsim) converts the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
