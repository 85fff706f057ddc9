"""ONNX Runtime's dynamic quantization (quantize_dynamic) fails: GroupNormalization -> Gemm on float32 (opset 23)

ONNX Runtime's dynamic quantization (quantize_dynamic) fails on a model it was given. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 11,
   opset_import: ["" : 23]
>
repro (float[1,2] x0) => (float[1,1] out0) 
   <float[2,1] t1 =  {1,1}, float[1] t2 =  {0}, float[2] t3 =  {1,1}, float[2] t4 =  {0,0}>
{
   t5 = GroupNormalization <epsilon: float = 1e-05, num_groups: int = 1> (x0, t3, t4)
   out0 = Gemm <alpha: float = 1, beta: float = 1, transA: int = 0, transB: int = 0> (t5, t1, t2)
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
        model = transform_model(model, 23)
    except Exception as e:
        print("ONNX Runtime's dynamic quantization (quantize_dynamic) raises", type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('RuntimeError: Unable to find data type for weight_name=', 'shape_inference failed to return a type probably this node is from a different domain or using an input produced by such an operator. This may happen if you quantize a model already quantized. You may use extra_options `DefaultTensorType` to indicate the default weight type, usually `onnx.TensorProto.FLOAT`')) else 2
    print("ONNX Runtime's dynamic quantization (quantize_dynamic) converts the model: fixed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
