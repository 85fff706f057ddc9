"""onnxoptimizer-fuse's output fails to run on ONNX Runtime with extended graph optimizations: Unsqueeze -> Squeeze -> Transpose on int8 (opset 25)

The model passes on ONNX Runtime with extended graph optimizations before onnxoptimizer-fuse and fails after it: the model breaks the ONNX spec's input constraints (Squeeze's axes [-1, 3] name dim 3 twice for its input of rank 4), which ONNX Runtime with extended graph optimizations rightly enforces. Found with onnx 1.23.2, onnxoptimizer 0.4.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 25]
>
repro (int8[3,3] x0) => (int8[3,3] out0) 
   <int64[2] t1 =  {2,-1}, int64[1] t2 =  {-1}, int64[1] t3 =  {2}>
{
   t4 = Unsqueeze (x0, t1)
   t5 = Squeeze (t4, t2)
   t6 = Squeeze (t5, t3)
   out0 = Transpose <perm: ints = [0, 1]> (t6)
}
''')
INPUTS = {'x0': np.array([[5, -6, 3], [8, 5, 3], [3, -2, 0]], dtype=np.int8)}

def transform_model(model_bytes, opset):
    import onnx
    import onnxoptimizer
    passes = ['fuse_add_bias_into_conv', 'fuse_bn_into_conv', 'fuse_consecutive_concats', 'fuse_consecutive_log_softmax', 'fuse_consecutive_reduce_unsqueeze', 'fuse_consecutive_squeezes', 'fuse_consecutive_transposes', 'fuse_matmul_add_bias_into_gemm', 'fuse_pad_into_conv', 'fuse_pad_into_pool', 'fuse_transpose_into_gemm', 'fuse_concat_into_reshape', 'fuse_qkv', 'fuse_consecutive_unsqueezes', 'fuse_consecutive_slices']
    model = onnx.load_model_from_string(model_bytes)
    return onnxoptimizer.optimize(model, passes, fixed_point=False).SerializeToString()


def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 25)
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with extended graph optimizations raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('INVALID_ARGUMENT : Non-zero status code returned while running Transpose node. Name', 'Status Message: perm size', 'does not match input rank')) else 2
    print('ONNX Runtime with extended graph optimizations runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
