"""onnxoptimizer fails: Transpose -> Gemm <transB = 1> on float32 (opset 19)

onnxoptimizer fails on a model it was given. Found with onnx 1.23.2, onnxoptimizer 0.4.2.
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
repro (float[2,1] x0) => (float[1,1] out0) 
   <float[1,2] t1 =  {1,1}, float[1] t2 =  {1.8104471}>
{
   t3 = Transpose (x0)
   t4 = Transpose <perm: ints = [0, 1]> (t3)
   out0 = Gemm <transB: int = 1, alpha: float = 1, transA: int = 0> (t4, t1, t2)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    import onnxoptimizer
    passes = ['nop', 'eliminate_nop_cast', 'eliminate_nop_dropout', 'eliminate_nop_flatten', 'extract_constant_to_initializer', 'eliminate_consecutive_idempotent_ops', 'eliminate_if_with_const_cond', 'eliminate_nop_monotone_argmax', 'eliminate_nop_pad', 'eliminate_nop_concat', 'eliminate_nop_split', 'eliminate_nop_expand', 'eliminate_shape_gather', 'eliminate_slice_after_shape', 'eliminate_nop_transpose', 'fuse_add_bias_into_conv', 'fuse_bn_into_conv', 'fuse_consecutive_concats', 'fuse_consecutive_log_softmax', 'fuse_consecutive_reduce_unsqueeze', 'fuse_consecutive_squeezes', 'fuse_consecutive_transposes', 'fuse_matmul_add_bias_into_gemm', 'fuse_pad_into_conv', 'fuse_pad_into_pool', 'fuse_transpose_into_gemm', 'fuse_concat_into_reshape', 'eliminate_nop_reshape', 'eliminate_nop_with_unit', 'eliminate_common_subexpression', 'fuse_qkv', 'fuse_consecutive_unsqueezes', 'eliminate_deadend', 'eliminate_identity', 'eliminate_shape_op', 'fuse_consecutive_slices', 'eliminate_unused_initializer', 'eliminate_duplicate_initializer', 'rewrite_where']
    model = onnx.load_model_from_string(model_bytes)
    return onnxoptimizer.optimize(model, passes, fixed_point=False).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 19)
    except Exception as e:
        print('onnxoptimizer raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('RuntimeError: /project/third_party/onnx/onnx/common/ir.h', 'find: Assertion `!required || it != values_.end()` failed: /project/third_party/onnx/onnx/common/ir.h', "find: required undefined attribute 'perm'")) else 2
    print('onnxoptimizer converts the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
