"""ONNX Runtime's dynamic quantization (quantize_dynamic)'s output fails to load on ONNX Runtime with basic graph optimizations: Attention on float32 (opset 23)

The model passes on ONNX Runtime with basic graph optimizations before ONNX Runtime's dynamic quantization (quantize_dynamic) and fails after it. Found with onnx 1.23.2, onnxruntime 1.32.0.
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
repro (float[4,1,1,6] x0, float[4,1,6,6] x5, float[4,1,6,1] x6) => (float[4,1,1,1] out0) {
   out0 = Attention (x0, x5, x6)
}
''')
INPUTS = {  # the model fails to load: the values play no part
    'x0': np.ones((4, 1, 1, 6), dtype=np.float32),
    'x5': np.ones((4, 1, 6, 6), dtype=np.float32),
    'x6': np.ones((4, 1, 6, 1), dtype=np.float32),
}

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


def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 23)
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with basic graph optimizations raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('INVALID_GRAPH : This is an invalid model', 'QAttention, "com.microsoft', "tensor(float),) , Error Required attribute 'num_heads' is missing")) else 2
    print('ONNX Runtime with basic graph optimizations runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
