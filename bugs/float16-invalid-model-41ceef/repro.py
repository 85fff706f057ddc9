"""onnxconverter-common's float16 conversion produces a model the ONNX checker rejects: HardSwish -> ReduceMean -> Sub -> Mul -> Shape -> Gather -> ReduceProd -> CastLike -> Div -> Sqrt -> Softplus -> Greater -> Where on float32 (opset 21)

onnxconverter-common's float16 conversion turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnxconverter-common 1.16.0.
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
repro (float[1,1,3] x0) => (float[1,1] out0) {
   t1 = HardSwish (x0)
   t4 = Constant <value: tensor = int64[1] {2}> ()
   t5 = ReduceMean <noop_with_empty_axes: int = 0, keepdims: int = 1> (t1, t4)
   t6 = Sub (t1, t5)
   t7 = Mul (t6, t6)
   t8 = ReduceMean <noop_with_empty_axes: int = 0, keepdims: int = 0> (t7, t4)
   t9 = Shape <start: int = 0> (t1)
   t10 = Gather <axis: int = 0> (t9, t4)
   t11 = ReduceProd <noop_with_empty_axes: int = 0, keepdims: int = 0> (t10)
   t12 = CastLike (t11, t1)
   t13 = Mul (t8, t12)
   t14 = Constant <value: tensor = float {1}> ()
   t15 = CastLike (t14, t1)
   t16 = Sub (t12, t15)
   t2 = Div (t13, t16)
   t3 = Sqrt (t2)
   t17 = Constant <value_float: float = 1> ()
   t18 = CastLike (t17, t3)
   t19 = Mul (t3, t18)
   t20 = Softplus (t19)
   t21 = Constant <value_float: float = 1> ()
   t22 = CastLike (t21, t20)
   t23 = Div (t20, t22)
   t24 = Constant <value_float: float = 20> ()
   t25 = CastLike (t24, t19)
   t26 = Greater (t19, t25)
   out0 = Where (t26, t3, t23)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    from onnxconverter_common import float16
    model = onnx.load_model_from_string(model_bytes)
    return float16.convert_float_to_float16(model, keep_io_types=True).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 21)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'Inference error(s): (op_type:Constant', 'Inferred elem type differs from existing elem type')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
