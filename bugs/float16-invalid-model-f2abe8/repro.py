"""float16 (keep_io_types=True): a graph input read by two nodes gets two Cast nodes with one output name, so the model breaks SSA

its input passes the checker and runs correctly on onnxruntime-noopt; float16 emits a model the checker rejects.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 when another step fails first.
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
        print('float16 output is invalid:', type(e).__name__, e)
        return 1
    print('the transformed model passes the checker')
    return 0


if __name__ == "__main__":
    sys.exit(main())
