"""onnxconverter-common's float16 conversion (keep_io_types=True) produces a model the ONNX checker rejects: a MaxPool reading a value that is also a graph output still reads float32 while its output is typed float16

Its input passes the checker and runs correctly on ONNX Runtime with graph optimizations disabled; onnxconverter-common's float16 conversion emits a model the checker rejects. Found with onnx 1.23.2, onnxconverter-common 1.16.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 18],
   producer_name: "pytorch",
   producer_version: "2.13.0+cpu"
>
main_graph (float[1,1,2,2] getitem__in) => (float[?,?,?,?] out0, float[?,?,?,?] getitem) {
   getitem = Identity (getitem__in)
   [node_max_pool2d] out0 = MaxPool <storage_order: int = 0, dilations: ints = [1, 1], ceil_mode: int = 0, pads: ints = [0, 0, 0, 0], auto_pad: string = "NOTSET", strides: ints = [2, 2], kernel_shape: ints = [2, 2]> (getitem)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    from onnxconverter_common import float16
    model = onnx.load_model_from_string(model_bytes)
    return float16.convert_float_to_float16(model, keep_io_types=True).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 18)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'Inference error(s): (op_type:MaxPool', 'Inferred elem type differs from existing elem type')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
