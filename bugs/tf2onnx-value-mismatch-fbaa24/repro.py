"""tf2onnx computes wrong values: tf.math.atan2 with x0: float32[3]

Every runtime that ran the model fails on it (ONNX Runtime with extended graph optimizations, the ONNX reference evaluator (onnx.reference), OpenVINO (CPU), tract); a model written directly in ONNX's model of the same graph passes on ONNX Runtime with extended graph optimizations. Found with onnx 1.23.2, onnxruntime 1.32.0, tensorflow-cpu 2.21.0, tf2onnx 1.17.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import os
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')  # TensorFlow's start-up chatter
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')  # oneDNN off: its fused kernels round differently from the reference kernels onnxfuzz compared against
import tensorflow as tf
import tf2onnx


@tf.function(input_signature=[tf.TensorSpec([3], tf.float32, name='x0')], autograph=False)
def compute(x0):
    v2 = tf.math.atan2(x0, x0)
    return [tf.identity(v2, name='out0')]

INPUTS = {'x0': np.array([-0.25369885563850403, -0.0, -0.0], dtype=np.float32)}
EXPECTED = [np.array([-2.356194496154785, -3.1415927410125732, -3.1415927410125732], dtype=np.float32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    proto, _ = tf2onnx.convert.from_function(compute, input_signature=compute.input_signature, opset=13)
    model = proto.SerializeToString()
    names = [i.name for i in proto.graph.input]
    actual = run_model(model, dict(zip(names, INPUTS.values())))
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
