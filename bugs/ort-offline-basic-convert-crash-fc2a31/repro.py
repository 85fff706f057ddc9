"""ONNX Runtime's offline graph optimization (basic level) fails: Clip <max = -1.5, min = 0.25> on a 0-d float32 (opset 9)

ONNX Runtime's offline graph optimization (basic level) fails on a model it was given. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 4,
   opset_import: ["" : 9]
>
repro (float x0) => (float out0) {
   out0 = Clip <max: float = -1.5, min: float = 0.25> (x0)
}
''')

def transform_model(model_bytes, opset):
    import os, tempfile
    import onnxruntime as ort
    with tempfile.TemporaryDirectory() as d:
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        opts.optimized_model_filepath = os.path.join(d, "optimized.onnx")
        ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
        with open(opts.optimized_model_filepath, "rb") as f:
            return f.read()


def main():
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 9)
    except Exception as e:
        print("ONNX Runtime's offline graph optimization (basic level) raises", type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('FAIL : Exception during initialization: /onnxruntime_src/onnxruntime/core/providers/cpu/math/clip.h', 'onnxruntime::clip_internal::Clip_', 'Base(const onnxruntime::OpKernelInfo&')) else 2
    print("ONNX Runtime's offline graph optimization (basic level) converts the model: fixed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
