"""onnx-simplifier (onnxsim) produces a model the ONNX checker rejects: ReduceMax on uint8 (opset 14)

onnx-simplifier (onnxsim) turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnxruntime 1.32.0, onnxsim 0.8.1.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 14, "ai.onnx.ml" : 2]
>
repro (uint8[1,3,3] x0) => (uint8[1,1] out0) {
   t1 = ReduceMax <axes: ints = [1], keepdims: int = 0> (x0)
   t2 = ReduceMax <axes: ints = [0, 1], keepdims: int = 1> (t1)
   out0 = Identity (t2)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    import onnxsim
    simplified, _ = onnxsim.simplify(onnx.load_model_from_string(model_bytes), check_n=0)
    return simplified.SerializeToString()


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 14)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'Inference error(s): (op_type:ReduceMax', 'Inferred shape and existing shape differ in rank')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
