"""ONNX Runtime fails to run a valid model: Mul -> Add -> Tanh on a 0-d float32 (opset 28)

ONNX Runtime with basic graph optimizations, ONNX Runtime with graph optimizations disabled (same kernels, other settings) run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 14,
   opset_import: ["" : 28]
>
repro (float x6) => (float out0) 
   <float t1 =  {1}, float t2 =  {0.044715}, float t3 =  {1}, float t4 =  {0.7978846}, float t5 =  {1}, float t6 =  {0.5}>
{
   t7 = Mul (x6, t2)
   t8 = Mul (t7, x6)
   t9 = Add (t8, t3)
   t10 = Mul (x6, t4)
   t11 = Mul (t9, t10)
   t12 = Tanh (t11)
   t13 = Add (t12, t5)
   t14 = Mul (x6, t6)
   t15 = Mul (t13, t14)
   out0 = Add (t15, t1)
}
''')
INPUTS = {'x6': np.array(-1.9406907558441162, dtype=np.float32)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('ONNX Runtime raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('INVALID_ARGUMENT : Non-zero status code returned while running FastGelu node. Name', 'Status Message: Input', 'or more dimensions, got')) else 2
    print('ONNX Runtime runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
