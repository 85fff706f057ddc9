"""tf2onnx exports a model tract cannot load: tf.reverse -> tf.roll(shift=[-5], axis=[0]) with x0: bool[1]

The model breaks the ONNX spec's input constraints (Slice's starts has rank 2 (must be a 1-D tensor); Slice's ends has rank 2 (must be a 1-D tensor)), which tract rightly enforces. Found with onnx 1.23.2, tensorflow-cpu 2.21.0, tf2onnx 1.17.0, tract 0.23.9.
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


@tf.function(input_signature=[tf.TensorSpec([1], tf.bool, name='x0')], autograph=False)
def compute(x0):
    v2 = tf.reverse(x0, [0])
    v3 = tf.roll(v2, shift=[-5], axis=[0])
    return [tf.identity(v3, name='out0')]

INPUTS = {'x0': np.array([False], dtype=np.bool)}

def run_model(model_bytes, feeds):
    import os, tempfile
    import tract
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model_bytes)
        runnable = tract.onnx().load(os.path.join(d, "model.onnx")).into_model().into_runnable()
    return [t.to_numpy() for t in runnable.run(list(feeds.values()))]


def main():
    proto, _ = tf2onnx.convert.from_function(compute, input_signature=compute.input_signature, opset=17)
    model = proto.SerializeToString()
    names = [i.name for i in proto.graph.input]
    try:
        actual = run_model(model, dict(zip(names, INPUTS.values())))
    except Exception as e:
        print('tract raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Impossible to unify closed shapes of different rank (found', '" Sub')) else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
