"""tf2onnx produces a model the ONNX checker rejects: tf.linalg.matmul with x0: int8[1,1,1]

Tf2onnx fails before any runtime runs its model. Found with onnx 1.23.2, tensorflow-cpu 2.21.0, tf2onnx 1.17.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import os
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')  # TensorFlow's start-up chatter
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')  # as the campaign ran TensorFlow
import tensorflow as tf
import tf2onnx


@tf.function(input_signature=[tf.TensorSpec([1, 1, 1], tf.int8, name='x0')], autograph=False)
def compute(x0):
    c3 = tf.constant(np.array([[1], [1], [1]], dtype=np.int8), dtype=tf.int8)
    v3 = tf.cast(x0, tf.int64)
    v4 = tf.cast(c3, tf.int64)
    v5 = tf.linalg.matmul(v3, v4, transpose_b=True)
    v6 = tf.cast(v5, tf.int8)
    return [tf.identity(v6, name='out0')]

INPUTS = {'x0': np.array([[[-1]]], dtype=np.int8)}




def main():
    proto, _ = tf2onnx.convert.from_function(compute, input_signature=compute.input_signature, opset=17)
    model = proto.SerializeToString()
    names = [i.name for i in proto.graph.input]
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'Inference error(s): (op_type:MatMul', 'Incompatible dimensions for matrix multiplication')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
