"""ONNX Runtime's dynamic quantization (quantize_dynamic)'s output computes wrong values on ONNX Runtime (multi-threaded): MatMul on float32 (opset 10)

The model passes on ONNX Runtime (multi-threaded) before ONNX Runtime's dynamic quantization (quantize_dynamic) and fails after it: every runtime that ran the model fails on it (ONNX Runtime (multi-threaded), the ONNX reference evaluator (onnx.reference), OpenVINO (CPU)). Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 5,
   opset_import: ["" : 10]
>
repro (float[1,2,2] x0) => (float[1,2,1] out0) 
   <float[1,2,1] t1 =  {0.4205219,0.06856093}>
{
   out0 = MatMul (x0, t1)
}
''')
INPUTS = {'x0': np.array([[[-0.7463197112083435, -0.37510156631469727], [-0.9405064582824707, -1.7036722898483276]]], dtype=np.float32)}
EXPECTED = [np.array([[[-0.3395610749721527], [-0.5123088955879211]]], dtype=np.float32)]  # the exact result, rounded to the output type

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
    model = transform_model(model, 10)
    actual = run_model(model, INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_allclose(a, e, rtol=0.25, atol=0.25 * np.abs(e.astype(float)).mean(), strict=False)
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
