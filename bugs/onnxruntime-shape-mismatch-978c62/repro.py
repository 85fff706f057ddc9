"""ONNX Runtime gives a wrong output shape: Cast -> Gather on a 0-d bfloat16/int32 (opset 21)

The ONNX reference evaluator (onnx.reference), OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
The expected values are what the ONNX reference evaluator (onnx.reference) computes on this model (it gave the exact result on the larger model this one was reduced from).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import ml_dtypes
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 21]
>
repro (bfloat16[1,1] x0, int32 x4) => (float[1] out0) {
   t1 = Cast <to: int = 9> (x0)
   t2 = Cast <to: int = 1> (t1)
   out0 = Gather <axis: int = 0> (t2, x4)
}
''')
HERE = __import__('os').path.dirname(__import__('os').path.abspath(__file__))
INPUTS_NPZ = np.load(HERE + '/inputs.npz')


class _Bfloat16Npz:
    def __init__(self, npz):
        self.npz = npz

    def __getitem__(self, key):
        a = self.npz[key]
        return a.view(ml_dtypes.bfloat16) if a.dtype.kind == 'V' and a.dtype.itemsize == 2 else a


INPUTS_NPZ = _Bfloat16Npz(INPUTS_NPZ)
EXPECTED_NPZ = np.load(HERE + '/expected.npz')  # what the ONNX reference evaluator (onnx.reference) computes
EXPECTED_NPZ = _Bfloat16Npz(EXPECTED_NPZ)
INPUTS = {n: INPUTS_NPZ[n] for n in ['x0', 'x4']}
EXPECTED = [EXPECTED_NPZ[f'out{i}'] for i in range(1)]

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
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return run_session(session, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    actual = run_model(MODEL.SerializeToString(), INPUTS)
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
