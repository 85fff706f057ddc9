"""ONNX Runtime's offline graph optimization (basic level) fails: Reshape -> Pad <mode = "constant"> -> Split on uint8 (opset 12)

ONNX Runtime's offline graph optimization (basic level) fails on a model it was given. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 12]
>
repro (uint8[1,1,1] t2__cut) => (uint8[Splitout0_dim_0,Splitout0_dim_1,Splitout0_dim_2] out0) {
   t1 = Constant <value: tensor = int64[2,3] t14 {0,0,0,0,0,1}> ()
   t2 = Constant <value: tensor = int64[1] {-1}> ()
   t3 = Reshape (t1, t2)
   t4 = Pad <mode: string = "constant"> (t2__cut, t3)
   out0 = Split <axis: int = 0, split: ints = [2]> (t4)
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
        model = transform_model(model, 12)
    except Exception as e:
        print("ONNX Runtime's offline graph optimization (basic level) raises", type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ("Mismatch between the sum of 'split'", 'and the split dimension of the input')) else 2
    print("ONNX Runtime's offline graph optimization (basic level) converts the model: fixed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
