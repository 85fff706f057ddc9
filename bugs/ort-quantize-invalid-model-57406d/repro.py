"""ONNX Runtime's dynamic quantization (quantize_dynamic) produces a model the ONNX checker rejects: ScatterElements <reduction = "min"> -> If on a 0-d bool/float32/int32 (opset 16)

ONNX Runtime's dynamic quantization (quantize_dynamic) turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 16]
>
repro (bool t5__cut, float[1] t6__cut, int32[1] t7__cut, float[1] t8__cut) => (float[1] out0) {
   t1 = ScatterElements <axis: int = 0, reduction: string = "min"> (t6__cut, t7__cut, t8__cut)
   out0 = If (t5__cut) <then_branch: graph = body () => (float t2) {
      t2 = Squeeze (t1)
   }, else_branch: graph = body () => (float[1] t3) {
      t3 = Identity (t1)
   }>
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
    model = transform_model(model, 16)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if 'ValidationError: Nodes in a graph must be topologically sorted, however input' in f'{type(e).__name__}: {e}' else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
