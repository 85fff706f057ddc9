"""tf2onnx exports a model the ONNX reference evaluator (onnx.reference) cannot run: tf.reshape -> tf.tile with x0: bfloat16[]

The model tf2onnx wrote is invalid: input x0 is declared onnxconverter-common's float16 conversion but the graph's input is bfloat16. Found with onnx 1.23.2, tensorflow-cpu 2.21.0, tf2onnx 1.17.0.
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
    v2 = tf.reshape(x0, [1, 1])
    v3 = tf.tile(v2, [1, 1])
    return [tf.identity(v3, name='out0')]

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

def typed_feeds(model, feeds) -> dict:
    """feeds, each of the type model declares for its input; TypeError for one of another type.

    The evaluator computes on whatever it is fed; ONNX Runtime refuses such a feed, and so must
    this runtime, or it "runs correctly" a model whose declared input type is the bug (tf2onnx's
    bfloat16 inputs declared float16). The raw 2-byte records an .npz file gives back for a
    bfloat16 array are that array: they are viewed as the declared type. Shared, as source,
    with the bug repros' run_model.
    """
    import numpy as np
    from onnx import helper

    out = dict(feeds)
    for i in model.graph.input:
        elem = i.type.tensor_type.elem_type
        if i.name in out and elem:
            value, want = np.asarray(out[i.name]), np.dtype(helper.tensor_dtype_to_np_dtype(elem))
            if value.dtype.type is np.void and value.dtype.itemsize == 2 and want.name == "bfloat16":
                value = out[i.name] = value.view(want)
            if value.dtype != want:
                raise TypeError(f"input {i.name!r} is declared {helper.tensor_dtype_to_string(elem)} but is fed {value.dtype}")
    return out

def run_model(model_bytes, feeds):
    import onnx
    from onnx.reference import ReferenceEvaluator
    model = onnx.load_model_from_string(model_bytes)
    session = ReferenceEvaluator(model)
    feeds = typed_feeds(model, {name: feeds[name] for name in session.input_names})
    return list(session.run(None, feeds))


def main():
    proto, _ = tf2onnx.convert.from_function(compute, input_signature=compute.input_signature, opset=18)
    model = proto.SerializeToString()
    names = [i.name for i in proto.graph.input]
    try:
        actual = run_model(model, dict(zip(names, INPUTS.values())))
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('TypeError: input', 'is declared TensorProto.FLOAT', 'but is fed bfloat')) else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
