"""ONNX Runtime's offline graph optimization (extended level) fails: Reshape -> ReduceMax <keepdims = 0> -> Cast on a 0-d int64 (opset 21)

ONNX Runtime's offline graph optimization (extended level) fails on a model it was given. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 21]
>
repro (int64 t2__cut) => (bool out0) {
   t1 = Constant <value_ints: ints = [-1]> ()
   t2 = Constant <value: tensor = int64 {-1}> ()
   t3 = Reshape <allowzero: int = 0> (t2, t1)
   t4 = ReduceMax <noop_with_empty_axes: int = 0, keepdims: int = 0> (t2__cut, t3)
   out0 = Cast <to: int = 9> (t4)
}
''')

def transform_model(model_bytes, opset):
    import os, tempfile
    import onnxruntime as ort
    with tempfile.TemporaryDirectory() as d:
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        opts.optimized_model_filepath = os.path.join(d, "optimized.onnx")
        ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
        with open(opts.optimized_model_filepath, "rb") as f:
            return f.read()


def main():
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 21)
    except Exception as e:
        print("ONNX Runtime's offline graph optimization (extended level) raises", type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Op (ReduceMax', 'axis must be in', 'Input rank was')) else 2
    print("ONNX Runtime's offline graph optimization (extended level) converts the model: fixed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
