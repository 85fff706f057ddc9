"""onnxoptimizer-fuse's output fails to load on ONNX Runtime with extended graph optimizations: Pad <mode = "constant"> -> MaxPool <auto_pad = "NOTSET"> on float32 (opset 19)

The model passes on ONNX Runtime with extended graph optimizations before onnxoptimizer-fuse and fails after it: every runtime that ran the model fails on it (ONNX Runtime with extended graph optimizations, the ONNX reference evaluator (onnx.reference), OpenVINO (CPU), tract). Found with onnx 1.23.2, onnxoptimizer 0.4.2, onnxruntime 1.32.0.
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
repro (float[1,1,1,1] x20) => (float[1,1,3,4] out0) 
   <int64[8] t1 =  {0,0,2,1,0,0,0,2}, float t2 =  {0}>
{
   t3 = Pad <mode: string = "constant"> (x20, t1, t2)
   out0 = MaxPool <kernel_shape: ints = [1, 1], pads: ints = [0, 0, 0, 0], strides: ints = [1, 1], auto_pad: string = "NOTSET"> (t3)
}
''')
INPUTS = {'x20': np.array([[[[-1.9674276113510132]]]], dtype=np.float32)}

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
    model = transform_model(model, 19)
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with extended graph optimizations raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('FAIL : Exception during initialization: /onnxruntime_src/onnxruntime/core/providers/cpu/nn/pool_attributes.h', 'onnxruntime::PoolAttributes::PoolAttributes(const KernelInfoType&, const std::string&, int', 'was false. Pad should be smaller than kernel')) else 2
    print('ONNX Runtime with extended graph optimizations runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
