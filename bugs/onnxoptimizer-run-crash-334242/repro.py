"""onnxoptimizer's output fails to run on ONNX Runtime with graph optimizations disabled: Reshape -> Expand on float32 (opset 19)

The model passes on ONNX Runtime with graph optimizations disabled before onnxoptimizer and fails after it: the model breaks the ONNX spec's input constraints (Reshape's shape [0, 1, 3] does not hold the 3 elements of its data [3]), which ONNX Runtime with graph optimizations disabled rightly enforces. Found with onnx 1.23.2, onnxoptimizer 0.4.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 9,
   opset_import: ["" : 19]
>
repro (float[3] x0) => (float[2,3,2,3] out0) 
   <int64[2] t1 =  {1,3}, int64[3] t2 =  {0,1,3}, int64[4] t3 =  {2,3,2,1}>
{
   t4 = Reshape (x0, t1)
   t5 = Reshape (t4, t2)
   out0 = Expand (t5, t3)
}
''')
INPUTS = {'x0': np.array([1.5256832838058472, -0.8992982506752014, -0.22572444379329681], dtype=np.float32)}

def transform_model(model_bytes, opset):
    import onnx
    import onnxoptimizer
    passes = ['nop', 'eliminate_nop_cast', 'eliminate_nop_dropout', 'eliminate_nop_flatten', 'extract_constant_to_initializer', 'eliminate_consecutive_idempotent_ops', 'eliminate_if_with_const_cond', 'eliminate_nop_monotone_argmax', 'eliminate_nop_pad', 'eliminate_nop_concat', 'eliminate_nop_split', 'eliminate_nop_expand', 'eliminate_shape_gather', 'eliminate_slice_after_shape', 'eliminate_nop_transpose', 'fuse_add_bias_into_conv', 'fuse_bn_into_conv', 'fuse_consecutive_concats', 'fuse_consecutive_log_softmax', 'fuse_consecutive_reduce_unsqueeze', 'fuse_consecutive_squeezes', 'fuse_consecutive_transposes', 'fuse_matmul_add_bias_into_gemm', 'fuse_pad_into_conv', 'fuse_pad_into_pool', 'fuse_transpose_into_gemm', 'fuse_concat_into_reshape', 'eliminate_nop_reshape', 'eliminate_nop_with_unit', 'eliminate_common_subexpression', 'fuse_qkv', 'fuse_consecutive_unsqueezes', 'eliminate_deadend', 'eliminate_identity', 'eliminate_shape_op', 'fuse_consecutive_slices', 'eliminate_unused_initializer', 'eliminate_duplicate_initializer', 'rewrite_where']
    model = onnx.load_model_from_string(model_bytes)
    return onnxoptimizer.optimize(model, passes, fixed_point=False).SerializeToString()


def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 19)
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with graph optimizations disabled raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('FAIL : Non-zero status code returned while running Reshape node. Name', 'Status Message: /onnxruntime_src/onnxruntime/core/providers/cpu/tensor/reshape_helper.h', 'onnxruntime::ReshapeHelper::ReshapeHelper(const onnxruntime::TensorShape&, onnxruntime::TensorShapeVector&, bool) input_shape_size == requested_shape_size was false. The input tensor cannot be reshaped to the requested shape. Input shape:{')) else 2
    print('ONNX Runtime with graph optimizations disabled runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
