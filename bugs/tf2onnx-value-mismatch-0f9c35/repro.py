"""tf2onnx computes wrong values: tf.cast float32 -> int64 -> bool collapsed into one Cast to bool (-0.42 gives True)

Every runtime gets tf2onnx's model wrong; torch.onnx.export (TorchScript exporter, dynamo=False)'s model of the same graph passes. Found with onnx 1.23.2, onnxruntime 1.32.0, tensorflow-cpu 2.21.0, tf2onnx 1.17.0.
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


@tf.function(input_signature=[tf.TensorSpec([], tf.float32, name='x0')], autograph=False)
def compute(x0):
    v2 = tf.cast(x0, tf.int64)
    v3 = tf.cast(v2, tf.bool)
    return [tf.identity(v3, name='out0')]

INPUTS = {'x0': np.array(-0.4223933815956116, dtype=np.float32)}
EXPECTED = [np.array(False, dtype=np.bool)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    proto, _ = tf2onnx.convert.from_function(compute, input_signature=compute.input_signature, opset=14)
    model = proto.SerializeToString()
    names = [i.name for i in proto.graph.input]
    actual = run_model(model, dict(zip(names, INPUTS.values())))
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_array_equal(a, e, strict=True)
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
