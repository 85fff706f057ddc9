"""ONNX Runtime kills the process loading a valid model: Unsqueeze -> Concat -> Cast -> Transpose -> RNN -> Reshape -> MatMul on float32 (opset 23)

ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime with graph optimizations disabled (same kernels, other settings) run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: t3 = 1, 1, 1, 1, 1; t4 = 1, 1, 1, 1, 1; t5 = 1, 1, 1, 1, 1; t6 = 1, 1, 1, 1, 1; t7 = 1, 1, 1, 1, 1
MODEL = onnx.parser.parse_model('''
<
   ir_version: 11,
   opset_import: ["" : 23]
>
repro (float[1,1,3] x0) => (float[1,1,5] out0, float[1,1,1] out1) 
   <float16[5,3] t1 =  {15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360}, float16[5,5] t2 =  {15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360}, float16[5] t3 =  {15360,15360,15360,15360,15360}, float16[5] t4 =  {15360,15360,15360,15360,15360}, float16[5,1] t5 =  {15360,15360,15360,15360,15360}, float16[5,1] t6 =  {15360,15360,15360,15360,15360}, float16[5,1] t7 =  {15360,15360,15360,15360,15360}, int64[1] t8 =  {0}, int64[1] t9 =  {0}, int64[1] t10 =  {0}, int64[3] t11 =  {1,1,5}>
{
   t12 = Unsqueeze (t1, t8)
   t13 = Unsqueeze (t2, t9)
   t14 = Concat <axis: int = 0> (t3, t4)
   t15 = Unsqueeze (t14, t10)
   t16 = Cast <to: int = 10> (x0)
   t17 = Transpose <perm: ints = [1, 0, 2]> (t16)
   t18, t19 = RNN <activations: strings = ["Tanh"], direction: string = "forward", hidden_size: int = 5> (t17, t12, t13, t15)
   t20 = Transpose <perm: ints = [0, 2, 1, 3]> (t18)
   t21 = Reshape (t20, t11)
   t22 = Transpose <perm: ints = [1, 0, 2]> (t21)
   t23 = Identity (t19)
   t24 = MatMul (t22, t5)
   t25 = MatMul (t22, t6)
   t26 = MatMul (t22, t7)
   out0 = Cast <to: int = 1> (t23)
   out1 = Cast <to: int = 1> (t25)
}
''')
INPUTS = {'x0': np.array([[[0.7218713164329529, -0.12169796228408813, 0.26621004939079285]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    if "--child" not in sys.argv:
        import os, subprocess
        r = subprocess.run([sys.executable, os.path.abspath(__file__), '--child'], timeout=600)
        if r.returncode < 0:
            print('the process died with signal', -r.returncode)
            return 1
        return r.returncode
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('ONNX Runtime raises', type(e).__name__, str(e)[:2000])
        return 0
    print('ONNX Runtime runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
