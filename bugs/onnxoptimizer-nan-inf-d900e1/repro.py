"""onnxoptimizer's output gives NaN/Inf where the result is finite on tract: Pad -> MaxPool -> ReduceMean -> Sub -> Pow -> Add -> Sqrt -> Div -> Mul on float32 (opset 20)

The model passes on tract before onnxoptimizer and fails after it: every runtime that ran the model fails on it (tract, the ONNX reference evaluator (onnx.reference)). Found with onnx 1.23.2, onnxoptimizer 0.4.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 9,
   opset_import: ["" : 20]
>
repro (float[1,1,1,1] x0) => (float[1,1,2,3] out0) 
   <float[1] t1 =  {0.9327681}, float[1] t2 =  {0.9048076}, int64[8] t3 =  {0,0,0,1,0,0,1,1}, float t4 =  {0}, int64[1] t5 =  {-1}, float t6 =  {2}, int64[1] t7 =  {-1}, float t8 =  {1e-05}>
{
   t9 = Pad <mode: string = "constant"> (x0, t3, t4)
   t10 = MaxPool <kernel_shape: ints = [1, 1], pads: ints = [0, 0, 0, 0], strides: ints = [1, 1]> (t9)
   t11 = ReduceMean <keepdims: int = 1> (t10, t5)
   t12 = Sub (t10, t11)
   t13 = Pow (t12, t6)
   t14 = ReduceMean <keepdims: int = 1> (t13, t7)
   t15 = Add (t14, t8)
   t16 = Sqrt (t15)
   t17 = Div (t12, t16)
   t18 = Mul (t17, t1)
   out0 = Add (t18, t2)
}
''')
INPUTS = {'x0': np.array([[[[1.370989203453064]]]], dtype=np.float32)}
EXPECTED = [np.array([[[[0.24524886906147003, 2.2239251136779785, 0.24524886906147003], [0.9048076272010803, 0.9048076272010803, 0.9048076272010803]]]], dtype=np.float32)]  # the exact result, rounded to the output type

def transform_model(model_bytes, opset):
    import onnx
    import onnxoptimizer
    passes = ['nop', 'eliminate_nop_cast', 'eliminate_nop_dropout', 'eliminate_nop_flatten', 'extract_constant_to_initializer', 'eliminate_consecutive_idempotent_ops', 'eliminate_if_with_const_cond', 'eliminate_nop_monotone_argmax', 'eliminate_nop_pad', 'eliminate_nop_concat', 'eliminate_nop_split', 'eliminate_nop_expand', 'eliminate_shape_gather', 'eliminate_slice_after_shape', 'eliminate_nop_transpose', 'fuse_add_bias_into_conv', 'fuse_bn_into_conv', 'fuse_consecutive_concats', 'fuse_consecutive_log_softmax', 'fuse_consecutive_reduce_unsqueeze', 'fuse_consecutive_squeezes', 'fuse_consecutive_transposes', 'fuse_matmul_add_bias_into_gemm', 'fuse_pad_into_conv', 'fuse_pad_into_pool', 'fuse_transpose_into_gemm', 'fuse_concat_into_reshape', 'eliminate_nop_reshape', 'eliminate_nop_with_unit', 'eliminate_common_subexpression', 'fuse_qkv', 'fuse_consecutive_unsqueezes', 'eliminate_deadend', 'eliminate_identity', 'eliminate_shape_op', 'fuse_consecutive_slices', 'eliminate_unused_initializer', 'eliminate_duplicate_initializer', 'rewrite_where']
    model = onnx.load_model_from_string(model_bytes)
    return onnxoptimizer.optimize(model, passes, fixed_point=False).SerializeToString()


def run_model(model_bytes, feeds):
    import os, tempfile
    import tract
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model_bytes)
        runnable = tract.onnx().load(os.path.join(d, "model.onnx")).into_model().into_runnable()
    return [t.to_numpy() for t in runnable.run(list(feeds.values()))]


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 20)
    actual = run_model(model, INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_allclose(a, e, rtol=0.001, atol=0.001 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=True)
    except AssertionError as e:
        print(e)
        return 1
    print('outputs as expected: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
