"""onnxconverter-common's float16 conversion produces a model the ONNX checker rejects: ConstantOfShape on int64 (opset 22)

onnxconverter-common's float16 conversion turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnxconverter-common 1.16.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 22]
>
repro (int64[4] t21__cut) => (float[1,2,3,6] t22) {
   t22 = ConstantOfShape (t21__cut)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    from onnxconverter_common import float16
    model = onnx.load_model_from_string(model_bytes)
    return float16.convert_float_to_float16(model, keep_io_types=True).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 22)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'Inference error(s): (op_type:ConstantOfShape', 'Inferred elem type differs from existing elem type')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
