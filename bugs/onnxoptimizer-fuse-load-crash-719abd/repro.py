"""onnxoptimizer-fuse's output fails to load on tract: Unsqueeze -> Squeeze -> Reshape on float32 (opset 27)

The model passes on tract before onnxoptimizer-fuse and fails after it: the model breaks the ONNX spec's input constraints (Squeeze's axes [-3, 1, 2] name dim 2 twice for its input of rank 5), which tract rightly enforces. Found with onnx 1.23.2, onnxoptimizer 0.4.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 27]
>
repro (float[6,2] x0) => (float[6,2] out0) 
   <int64[3] t1 =  {0,-4,2}, int64[2] t2 =  {1,-3}, int64[1] t3 =  {0}, int64[2] t4 =  {6,2}>
{
   t5 = Unsqueeze (x0, t1)
   t6 = Squeeze (t5, t2)
   t7 = Squeeze (t6, t3)
   out0 = Reshape (t7, t4)
}
''')
INPUTS = {'x0': np.array([[-1.4641351699829102, 0.7934895157814026], [1.0791876316070557, 1.125821590423584], [1.3697102069854736, -1.6772257089614868], [0.9326032996177673, 1.5065993070602417], [-1.1989408731460571, 0.7443915009498596], [-0.7706241011619568, -0.5068562626838684]], dtype=np.float32)}

def transform_model(model_bytes, opset):
    import onnx
    import onnxoptimizer
    passes = ['fuse_add_bias_into_conv', 'fuse_bn_into_conv', 'fuse_consecutive_concats', 'fuse_consecutive_log_softmax', 'fuse_consecutive_reduce_unsqueeze', 'fuse_consecutive_squeezes', 'fuse_consecutive_transposes', 'fuse_matmul_add_bias_into_gemm', 'fuse_pad_into_conv', 'fuse_pad_into_pool', 'fuse_transpose_into_gemm', 'fuse_concat_into_reshape', 'fuse_qkv', 'fuse_consecutive_unsqueezes', 'fuse_consecutive_slices']
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
    model = transform_model(model, 27)
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('tract raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Attempt to squeeze an axis which dimension is not one Squeeze { axes: Some', '" Squeeze13')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
