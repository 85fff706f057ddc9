"""ONNX Runtime's dynamic quantization (quantize_dynamic)'s output computes wrong values on ONNX Runtime (multi-threaded): Conv -> Mul -> Cast -> Abs on float32 (opset 19)

The model passes on ONNX Runtime (multi-threaded) before ONNX Runtime's dynamic quantization (quantize_dynamic) and fails after it: every runtime that ran the model fails on it (ONNX Runtime (multi-threaded), the ONNX reference evaluator (onnx.reference), OpenVINO (CPU), tract). Found with onnx 1.23.2, onnxruntime 1.32.0.
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
repro (float[1,4,3,1] x2) => (float[1,1,5,3] out0) 
   <float[1,4,1,1] t1 =  {0,-1.7,1.4,-1.4}, float[1] t2 =  {-1.6822714}>
{
   t3 = Conv <kernel_shape: ints = [1, 1], pads: ints = [1, 1, 1, 1], strides: ints = [1, 1]> (x2, t1)
   t4 = Mul (t3, t2)
   t5 = Cast <to: int = 6> (t4)
   t6 = Cast <to: int = 1> (t5)
   out0 = Abs (t6)
}
''')
INPUTS = {'x2': np.array([[[[0.339796781539917], [0.7488811016082764], [-1.2978497743606567]], [[-1.8285503387451172], [-0.32246947288513184], [-0.986950159072876]], [[-1.0895663499832153], [-1.9338289499282837], [-0.5949548482894897]], [[1.4309667348861694], [-1.9655482769012451], [-1.1893999576568604]]]], dtype=np.float32)}
EXPECTED = [np.array([[[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 0.0]]]], dtype=np.float32)]  # the exact result, rounded to the output type

def transform_model(model_bytes, opset):
    import os, tempfile
    from onnxruntime.quantization import quantize_dynamic
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "model.onnx"), os.path.join(d, "quantized.onnx")
        with open(src, "wb") as f:
            f.write(model_bytes)
        quantize_dynamic(src, dst)
        with open(dst, "rb") as f:
            return f.read()


def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = 2
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
            np.testing.assert_allclose(a, e, rtol=0.25, atol=0.25 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=False)
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
