"""ONNX Runtime's dynamic quantization (quantize_dynamic) produces a model the ONNX checker rejects: Shape -> Size -> Equal -> If -> ScatterElements on float32 (opset 16)

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
repro (float[1] x0, float[1] x2) => (float[1] out0) 
   <int32[1] t1 =  {0}>
{
   t2 = Shape (x0)
   t3 = Size (t2)
   t4 = Constant <value: tensor = int64 {0}> ()
   t5 = Equal (t3, t4)
   t6, t7, t8 = If (t5) <then_branch: graph = body () => (float[1] t9, int32[1] t10, float[1] t11) {
      t12 = Constant <value: tensor = int64[1] {-1}> ()
      t9 = Reshape (x0, t12)
      t10 = Reshape (t1, t12)
      t11 = Reshape (x2, t12)
   }, else_branch: graph = body () => (float[1] t13, int32[1] t14, float[1] t15) {
      t13 = Identity (x0)
      t14 = Identity (t1)
      t15 = Identity (x2)
   }>
   t16 = ScatterElements <axis: int = 0, reduction: string = "min"> (t6, t7, t8)
   out0 = If (t5) <then_branch: graph = body () => (float t17) {
      t17 = Squeeze (t16)
   }, else_branch: graph = body () => (float[1] t18) {
      t18 = Identity (t16)
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
