"""float16 (keep_io_types=True): a graph input read by two nodes gets two Cast nodes with one output name, so the model breaks SSA

Its input passes the checker and runs correctly on ONNX Runtime with graph optimizations disabled; onnxconverter-common's float16 conversion emits a model the checker rejects. Found with onnx 1.23.2, onnxconverter-common 1.16.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 14,
   opset_import: ["" : 17]
>
g (float[2,3] x, float[2,3] y) => (float[2,3] z) {
   c = Mul (x, y)
   z = Add (c, y)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    from onnxconverter_common import float16
    model = onnx.load_model_from_string(model_bytes)
    return float16.convert_float_to_float16(model, keep_io_types=True).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 17)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if "ValidationError: Graph must be in single static assignment (SSA) form, however 'y_cast_to_' has been used as output names multiple times" in f'{type(e).__name__}: {e}' else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
