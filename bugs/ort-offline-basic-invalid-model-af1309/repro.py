"""ONNX Runtime's offline graph optimization (basic level) produces a model the ONNX checker rejects: Shape -> Reshape on float32 (opset 8)

ONNX Runtime's offline graph optimization (basic level) turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 3,
   opset_import: ["" : 8]
>
repro (float[5,5,5] x2, float[25,5] c1) => (float[5,5,5] out0) 
   <float[25,5] c1 =  {1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}>
{
   t1 = Shape (x2)
   out0 = Reshape (c1, t1)
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
    model = transform_model(model, 8)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('ValidationError: out', 'in initializer but not in graph input')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
