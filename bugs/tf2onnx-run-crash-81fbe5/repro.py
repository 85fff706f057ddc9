"""tf2onnx exports a model ONNX Runtime cannot run: tf.math.tan with x0: bfloat16[]

The model tf2onnx wrote is invalid: input x0 is declared onnxconverter-common's float16 conversion but the graph's input is bfloat16. Found with onnx 1.23.2, onnxruntime 1.32.0, tensorflow-cpu 2.21.0, tf2onnx 1.17.0.
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
    v3 = tf.math.tan(v2)
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

def run_session(session, feeds):
    """session.run, except that bfloat16 goes in and out through OrtValues: ORT's numpy
    bridge has no bfloat16 and would fail the run for a reason outside the model."""
    import numpy as np

    bf16 = [o.name for o in session.get_outputs() if o.type == "tensor(bfloat16)"]
    if not bf16 and not any(getattr(v, "dtype", None) is not None and v.dtype.name == "bfloat16" for v in feeds.values()):
        return session.run(None, feeds)
    import ctypes

    import ml_dtypes
    import onnxruntime as ort

    values = {}
    for name, v in feeds.items():
        if v.dtype.name == "bfloat16":
            values[name] = ort.OrtValue.ortvalue_from_numpy_with_onnx_type(np.ascontiguousarray(v).view(np.uint16), 16)
        else:
            values[name] = ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(v))
    outputs = []
    for o in session.run_with_ort_values([o.name for o in session.get_outputs()], values):
        if o.data_type() != "tensor(bfloat16)":
            outputs.append(o.numpy())
            continue
        shape = tuple(o.shape())
        n = int(np.prod(shape, dtype=np.int64))
        raw = np.frombuffer((ctypes.c_uint16 * n).from_address(o.data_ptr()), dtype=np.uint16) if n else np.zeros(0, np.uint16)
        outputs.append(raw.copy().reshape(shape).view(ml_dtypes.bfloat16))
    return outputs


def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return run_session(session, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    proto, _ = tf2onnx.convert.from_function(compute, input_signature=compute.input_signature, opset=18)
    model = proto.SerializeToString()
    names = [i.name for i in proto.graph.input]
    try:
        actual = run_model(model, dict(zip(names, INPUTS.values())))
    except Exception as e:
        print('ONNX Runtime raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InvalidArgument', 'INVALID_ARGUMENT : Unexpected input data type. Actual: (tensor(bfloat', 'expected: (tensor(float')) else 2
    print('ONNX Runtime runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
