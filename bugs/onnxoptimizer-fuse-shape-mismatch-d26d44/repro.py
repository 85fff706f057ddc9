"""onnxoptimizer-fuse's output gives a wrong output shape on ONNX Runtime with basic graph optimizations: Compress -> Unsqueeze -> Squeeze on float32 (opset 19)

The model passes on ONNX Runtime with basic graph optimizations before onnxoptimizer-fuse and fails after it: every runtime that ran the model fails on it (ONNX Runtime with basic graph optimizations, the ONNX reference evaluator (onnx.reference)). Found with onnx 1.23.2, onnxoptimizer 0.4.2, onnxruntime 1.32.0.
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
repro (float[3] x0) => (float[2] out0) 
   <bool[3] t1 =  {1,0,1}, int64[2] t2 =  {0,2}, int64[1] t3 =  {-1}, int64[2] t4 =  {1,-1}, int64[1] t5 =  {-1}, int64[1] t6 =  {1}>
{
   t7 = Compress <axis: int = 0> (x0, t1)
   t8 = Unsqueeze (t7, t2)
   t9 = Squeeze (t8, t3)
   t10 = Squeeze (t9)
   t11 = Unsqueeze (t10, t4)
   t12 = Squeeze (t11, t5)
   out0 = Squeeze (t12, t6)
}
''')
INPUTS = {'x0': np.array([0.7352765202522278, 1.3249263763427734, 1.271287441253662], dtype=np.float32)}
EXPECTED = [np.array([0.7352765202522278, 1.271287441253662], dtype=np.float32)]  # the exact result, rounded to the output type

def transform_model(model_bytes, opset):
    import onnx
    import onnxoptimizer
    passes = ['fuse_add_bias_into_conv', 'fuse_bn_into_conv', 'fuse_consecutive_concats', 'fuse_consecutive_log_softmax', 'fuse_consecutive_reduce_unsqueeze', 'fuse_consecutive_squeezes', 'fuse_consecutive_transposes', 'fuse_matmul_add_bias_into_gemm', 'fuse_pad_into_conv', 'fuse_pad_into_pool', 'fuse_transpose_into_gemm', 'fuse_concat_into_reshape', 'fuse_qkv', 'fuse_consecutive_unsqueezes', 'fuse_consecutive_slices']
    model = onnx.load_model_from_string(model_bytes)
    return onnxoptimizer.optimize(model, passes, fixed_point=False).SerializeToString()


def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 19)
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
