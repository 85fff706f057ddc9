"""onnxoptimizer's output fails to run on the ONNX reference evaluator (onnx.reference): Unsqueeze -> Squeeze -> Unique -> Reshape on int8 (opset 16)

The model passes on the ONNX reference evaluator (onnx.reference) before onnxoptimizer and fails after it: the model breaks the ONNX spec's input constraints (Squeeze's axes [-1, 2] name dim 2 twice for its input of rank 3), which the ONNX reference evaluator (onnx.reference) rightly enforces. Found with onnx 1.23.2, onnxoptimizer 0.4.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 16]
>
repro (int8[1] x6) => (int64[1] out0) 
   <int64[2] t1 =  {-2,2}, int64[1] t2 =  {-1}, int64[1] t3 =  {1}, int64[1] t4 =  {1}>
{
   t5 = Unsqueeze (x6, t1)
   t6 = Squeeze (t5, t2)
   t7 = Squeeze (t6, t3)
   t8, t9, t10, t11 = Unique <sorted: int = 1> (t7)
   out0 = Reshape (t10, t4)
}
''')
INPUTS = {'x6': np.array([-1], dtype=np.int8)}

def transform_model(model_bytes, opset):
    import onnx
    import onnxoptimizer
    passes = ['nop', 'eliminate_nop_cast', 'eliminate_nop_dropout', 'eliminate_nop_flatten', 'extract_constant_to_initializer', 'eliminate_consecutive_idempotent_ops', 'eliminate_if_with_const_cond', 'eliminate_nop_monotone_argmax', 'eliminate_nop_pad', 'eliminate_nop_concat', 'eliminate_nop_split', 'eliminate_nop_expand', 'eliminate_shape_gather', 'eliminate_slice_after_shape', 'eliminate_nop_transpose', 'fuse_add_bias_into_conv', 'fuse_bn_into_conv', 'fuse_consecutive_concats', 'fuse_consecutive_log_softmax', 'fuse_consecutive_reduce_unsqueeze', 'fuse_consecutive_squeezes', 'fuse_consecutive_transposes', 'fuse_matmul_add_bias_into_gemm', 'fuse_pad_into_conv', 'fuse_pad_into_pool', 'fuse_transpose_into_gemm', 'fuse_concat_into_reshape', 'eliminate_nop_reshape', 'eliminate_nop_with_unit', 'eliminate_common_subexpression', 'fuse_qkv', 'fuse_consecutive_unsqueezes', 'eliminate_deadend', 'eliminate_identity', 'eliminate_shape_op', 'fuse_consecutive_slices', 'eliminate_unused_initializer', 'eliminate_duplicate_initializer', 'rewrite_where']
    model = onnx.load_model_from_string(model_bytes)
    return onnxoptimizer.optimize(model, passes, fixed_point=False).SerializeToString()


def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 16)
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if "ValueError: duplicate value in 'axis'" in f'{type(e).__name__}: {e}' else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
