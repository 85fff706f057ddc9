"""tf2onnx exports a model ONNX Runtime cannot run: tf.roll(shift=[-3], axis=[0]) with x0: float32[1,1,1]

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


@tf.function(input_signature=[tf.TensorSpec([1, 1, 1], tf.float32, name='x0')], autograph=False)
def compute(x0):
    v2 = tf.roll(x0, shift=[-3], axis=[0])
    return [tf.identity(v2, name='out0')]

INPUTS = {'x0': np.array([[[0.44209685921669006]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    proto, _ = tf2onnx.convert.from_function(compute, input_signature=compute.input_signature, opset=16)
    model = proto.SerializeToString()
    names = [i.name for i in proto.graph.input]
    try:
        actual = run_model(model, dict(zip(names, INPUTS.values())))
    except Exception as e:
        print('ONNX Runtime raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('FAIL : Non-zero status code returned while running Slice node. Name', 'Status Message: slice.h', 'FillVectorsFromInput Ends must be a')) else 2
    print('ONNX Runtime runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
