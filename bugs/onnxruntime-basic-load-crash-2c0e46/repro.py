"""ONNX Runtime with basic graph optimizations fails to load a valid model: Cast -> ReduceMean -> Sub -> Pow -> Add -> Sqrt -> Div -> Mul on float32 (opset 24)

ONNX Runtime with graph optimizations disabled (same kernels, other settings) run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: t1 = 1.8457; t2 = 0.507324; t4 = 2; t6 = 1.19209e-07
MODEL = onnx.parser.parse_model('''
<
   ir_version: 12,
   opset_import: ["" : 24]
>
repro (float[1,1] x1) => (float16[1,1] t17) 
   <float16[1] t1 =  {16226}, float16[1] t2 =  {14351}, int64[1] t3 =  {-1}, float16 t4 =  {16384}, int64[1] t5 =  {-1}, float16 t6 =  {2}>
{
   t7 = Cast <to: int = 10> (x1)
   t8 = ReduceMean <keepdims: int = 1> (t7, t3)
   t9 = Cast <to: int = 10> (x1)
   t10 = Sub (t9, t8)
   t11 = Pow (t10, t4)
   t12 = ReduceMean <keepdims: int = 1> (t11, t5)
   t13 = Add (t12, t6)
   t14 = Sqrt (t13)
   t15 = Div (t10, t14)
   t16 = Mul (t15, t1)
   t17 = Add (t16, t2)
}
''')
INPUTS = {'x1': np.array([[-1.342049241065979]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('ONNX Runtime with basic graph optimizations raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('FAIL : Type Error: Type parameter (T) of Optype (LayerNormalization) bound to different types (tensor(float) and tensor(float', '/LayerNormFusion/')) else 2
    print('ONNX Runtime with basic graph optimizations runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
