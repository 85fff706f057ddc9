"""tf2onnx exports a model tract cannot run: tf.math.square with x0: bfloat16[]

The model tf2onnx wrote is invalid: input x0 is declared onnxconverter-common's float16 conversion but the graph's input is bfloat16. Found with onnx 1.23.2, tensorflow-cpu 2.21.0, tf2onnx 1.17.0, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import ml_dtypes
import onnx
import os
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')  # TensorFlow's start-up chatter
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')  # oneDNN off: its fused kernels round differently from the reference kernels onnxfuzz compared against
import tensorflow as tf
import tf2onnx


@tf.function(input_signature=[tf.TensorSpec([], tf.bfloat16, name='x0')], autograph=False)
def compute(x0):
    v2 = tf.cast(x0, tf.float32)
    v3 = tf.math.square(v2)
    v4 = tf.cast(v3, tf.bfloat16)
    return [tf.identity(v4, name='out0')]

HERE = __import__('os').path.dirname(__import__('os').path.abspath(__file__))
INPUTS_NPZ = np.load(HERE + '/inputs.npz')


class _Bfloat16Npz:
    def __init__(self, npz):
        self.npz = npz

    def __getitem__(self, key):
        a = self.npz[key]
        return a.view(ml_dtypes.bfloat16) if a.dtype.kind == 'V' and a.dtype.itemsize == 2 else a


INPUTS_NPZ = _Bfloat16Npz(INPUTS_NPZ)
INPUTS = {n: INPUTS_NPZ[n] for n in ['x0']}

def run_model(model_bytes, feeds):
    import os, tempfile
    import onnx, tract
    graph = onnx.load_model_from_string(model_bytes).graph
    init = {t.name for t in graph.initializer}
    names = [i.name for i in graph.input if i.name not in init]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.onnx")
        with open(path, "wb") as f:
            f.write(model_bytes)
        runnable = tract.onnx().load(path).into_model().into_runnable()
    outputs = runnable.run([feeds[n] for n in names])
    result = []
    for t, o in zip(outputs, graph.output):
        try:
            result.append(t.to_numpy())
        except Exception:  # kept as TDim: convert to the declared int type
            result.append(t.convert_to(tract.DatumType.I64).to_numpy())
    return result


def main():
    proto, _ = tf2onnx.convert.from_function(compute, input_signature=compute.input_signature, opset=18)
    model = proto.SerializeToString()
    names = [i.name for i in proto.graph.input]
    try:
        actual = run_model(model, dict(zip(names, INPUTS.values())))
    except Exception as e:
        print('tract raises', type(e).__name__, str(e)[:2000])
        return 1 if 'TypeError: can only concatenate str (not' in f'{type(e).__name__}: {e}' else 2
    print('tract runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
