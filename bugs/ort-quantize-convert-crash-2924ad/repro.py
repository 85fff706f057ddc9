"""ONNX Runtime's dynamic quantization (quantize_dynamic) fails: Conv <group = 5> on float16 (opset 15)

ONNX Runtime's dynamic quantization (quantize_dynamic) fails on a model it was given. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 15]
>
repro (float16[1,5,3,1] x7, float16[5,1,2,1] x8, float16[5] x10) => (float16[1,5,2,1] out0) {
   out0 = Conv <group: int = 5, kernel_shape: ints = [2, 1], pads: ints = [0, 0, 0, 0], strides: ints = [1, 2]> (x7, x8, x10)
}
''')

def transform_model(model_bytes, opset):
    import os, tempfile
    from onnxruntime.quantization import quantize_dynamic
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "model.onnx"), os.path.join(d, "quantized.onnx")
        with open(src, "wb") as f:
            f.write(model_bytes)
        quantize_dynamic(src, dst)
        with open(dst, "rb") as f:
            return f.read()


def main():
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 15)
    except Exception as e:
        print("ONNX Runtime's dynamic quantization (quantize_dynamic) raises", type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('ValueError: Expected x', 'to be an initializer')) else 2
    print("ONNX Runtime's dynamic quantization (quantize_dynamic) converts the model: fixed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
