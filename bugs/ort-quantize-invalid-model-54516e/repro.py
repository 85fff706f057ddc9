"""ONNX Runtime's dynamic quantization (quantize_dynamic) produces a model the ONNX checker rejects: Conv on float16 (opset 7)

ONNX Runtime's dynamic quantization (quantize_dynamic) turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: c4 = 0.204102
MODEL = onnx.parser.parse_model('''
<
   ir_version: 3,
   opset_import: ["" : 7]
>
repro (float16[1,1,1,1] x3, float16[1,1,1,1] c4) => (float16[1,1,1,1] out0) 
   <float16[1,1,1,1] c4 =  {12936}>
{
   out0 = Conv <dilations: ints = [1, 1], group: int = 1, kernel_shape: ints = [1, 1], pads: ints = [0, 0, 0, 0], strides: ints = [1, 1]> (x3, c4)
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
    model = transform_model(model, 7)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('ValidationError: c', '_scale in initializer but not in graph input')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
