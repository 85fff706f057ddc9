"""onnxoptimizer-fuse fails: Softmax -> Log on float32 (opset 18)

Onnxoptimizer-fuse fails on a model it was given. Found with onnx 1.23.2, onnxoptimizer 0.4.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 18]
>
repro (float[1] x10) => (float[1] out0) {
   t1 = Softmax (x10)
   out0 = Log (t1)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    import onnxoptimizer
    passes = ['fuse_add_bias_into_conv', 'fuse_bn_into_conv', 'fuse_consecutive_concats', 'fuse_consecutive_log_softmax', 'fuse_consecutive_reduce_unsqueeze', 'fuse_consecutive_squeezes', 'fuse_consecutive_transposes', 'fuse_matmul_add_bias_into_gemm', 'fuse_pad_into_conv', 'fuse_pad_into_pool', 'fuse_transpose_into_gemm', 'fuse_concat_into_reshape', 'fuse_qkv', 'fuse_consecutive_unsqueezes', 'fuse_consecutive_slices']
    model = onnx.load_model_from_string(model_bytes)
    return onnxoptimizer.optimize(model, passes, fixed_point=False).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 18)
    except Exception as e:
        print('onnxoptimizer-fuse raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('RuntimeError: /project/third_party/onnx/onnx/common/ir.h', 'find: Assertion `!required || it != values_.end()` failed: /project/third_party/onnx/onnx/common/ir.h', "find: required undefined attribute 'axis'")) else 2
    print('onnxoptimizer-fuse converts the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
