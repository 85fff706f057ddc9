"""tf2onnx gives a wrong output type: tf.math.reduce_mean(axis=[0], keepdims=False) with x0: float32[1,1]

Every runtime that ran the model fails on it (the ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU), tract); torch.onnx.export (dynamo exporter), torch.onnx.export (dynamo exporter, optimize=False), a model written directly in ONNX, torch.onnx.export (TorchScript exporter, dynamo=False)'s model of the same graph passes on the ONNX reference evaluator (onnx.reference). Found with onnx 1.23.2, tensorflow-cpu 2.21.0, tf2onnx 1.17.0.
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


@tf.function(input_signature=[tf.TensorSpec([1, 1], tf.float32, name='x0')], autograph=False)
def compute(x0):
    v2 = tf.cast(x0, tf.bfloat16)
    v3 = tf.cast(v2, tf.float32)
    v4 = tf.math.reduce_mean(v3, axis=[0], keepdims=False)
    v5 = tf.cast(v4, tf.bfloat16)
    return [tf.identity(v5, name='out0')]

HERE = __import__('os').path.dirname(__import__('os').path.abspath(__file__))
INPUTS_NPZ = np.load(HERE + '/inputs.npz')


class _Bfloat16Npz:
    def __init__(self, npz):
        self.npz = npz

    def __getitem__(self, key):
        a = self.npz[key]
        return a.view(ml_dtypes.bfloat16) if a.dtype.kind == 'V' and a.dtype.itemsize == 2 else a


INPUTS_NPZ = _Bfloat16Npz(INPUTS_NPZ)
EXPECTED_NPZ = np.load(HERE + '/expected.npz')  # the exact result, rounded to the output type
EXPECTED_NPZ = _Bfloat16Npz(EXPECTED_NPZ)
INPUTS = {n: INPUTS_NPZ[n] for n in ['x0']}
EXPECTED = [EXPECTED_NPZ[f'out{i}'] for i in range(1)]

def check_feed_types(model, feeds) -> None:
    """Raise TypeError for a feed whose type is not the one model declares for that input.

    The evaluator computes on whatever it is fed; ONNX Runtime refuses such a feed, and so must
    this runtime, or it "runs correctly" a model whose declared input type is the bug (tf2onnx's
    bfloat16 inputs declared float16). Shared, as source, with the bug repros' run_model.
    """
    import numpy as np
    from onnx import helper

    for i in model.graph.input:
        elem = i.type.tensor_type.elem_type
        if i.name in feeds and elem:
            got = np.asarray(feeds[i.name]).dtype
            if got != np.dtype(helper.tensor_dtype_to_np_dtype(elem)):
                raise TypeError(f"input {i.name!r} is declared {helper.tensor_dtype_to_string(elem)} but is fed {got}")

def run_model(model_bytes, feeds):
    import onnx
    from onnx.reference import ReferenceEvaluator
    model = onnx.load_model_from_string(model_bytes)
    session = ReferenceEvaluator(model)
    feeds = {name: feeds[name] for name in session.input_names}
    check_feed_types(model, feeds)
    return list(session.run(None, feeds))


def main():
    proto, _ = tf2onnx.convert.from_function(compute, input_signature=compute.input_signature, opset=13)
    model = proto.SerializeToString()
    names = [i.name for i in proto.graph.input]
    actual = run_model(model, dict(zip(names, INPUTS.values())))
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_allclose(a, e, rtol=0.1, atol=0.1 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=True)
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
