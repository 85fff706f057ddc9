"""onnxoptimizer-fuse's output fails to run on the ONNX reference evaluator (onnx.reference): Compress -> Unsqueeze -> Squeeze on float32 (opset 19)

The model passes on the ONNX reference evaluator (onnx.reference) before onnxoptimizer-fuse and fails after it: the model breaks the ONNX spec's input constraints (Squeeze's axes [-1, 2] name dim 2 twice for its input of rank 3), which the ONNX reference evaluator (onnx.reference) rightly enforces. Found with onnx 1.23.2, onnxoptimizer 0.4.2.
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
   <bool[3] t1 =  {1,0,1}, int64[2] t2 =  {0,2}, int64[2] t3 =  {1,-1}, int64[1] t4 =  {-1}, int64[1] t5 =  {1}>
{
   t6 = Compress <axis: int = 0> (x0, t1)
   t7 = Unsqueeze (t6, t2)
   t8 = Squeeze (t7)
   t9 = Unsqueeze (t8, t3)
   t10 = Squeeze (t9, t4)
   out0 = Squeeze (t10, t5)
}
''')
INPUTS = {'x0': np.array([0.7352765202522278, 1.3249263763427734, 1.271287441253662], dtype=np.float32)}

def transform_model(model_bytes, opset):
    import onnx
    import onnxoptimizer
    passes = ['fuse_add_bias_into_conv', 'fuse_bn_into_conv', 'fuse_consecutive_concats', 'fuse_consecutive_log_softmax', 'fuse_consecutive_reduce_unsqueeze', 'fuse_consecutive_squeezes', 'fuse_consecutive_transposes', 'fuse_matmul_add_bias_into_gemm', 'fuse_pad_into_conv', 'fuse_pad_into_pool', 'fuse_transpose_into_gemm', 'fuse_concat_into_reshape', 'fuse_qkv', 'fuse_consecutive_unsqueezes', 'fuse_consecutive_slices']
    model = onnx.load_model_from_string(model_bytes)
    return onnxoptimizer.optimize(model, passes, fixed_point=False).SerializeToString()


def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 19)
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
