"""tf2onnx produces a model the ONNX checker rejects: tf.linalg.matmul(transpose_b=True) with x0: int64[1,1,1], x3: int64[3,1]

tf2onnx fails before any runtime runs its model. Found with onnx 1.23.2, tensorflow-cpu 2.21.0, tf2onnx 1.17.0.
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


@tf.function(input_signature=[tf.TensorSpec([1, 1, 1], tf.int64, name='x0'), tf.TensorSpec([3, 1], tf.int64, name='x3')], autograph=False)
def compute(x0, x3):
    v3 = tf.linalg.matmul(x0, x3, transpose_b=True)
    return [tf.identity(v3, name='out0')]

INPUTS = {'x0': np.array([[[-1]]], dtype=np.int64), 'x3': np.array([[1], [1], [1]], dtype=np.int64)}




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
