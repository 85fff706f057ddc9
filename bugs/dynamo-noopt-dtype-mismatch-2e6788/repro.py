"""torch.onnx.export (dynamo exporter, optimize=False) gives a wrong output type: torch.abs(x0) with x0: bfloat16[]

Every runtime that ran the model fails on it (the ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU)); a model written directly in ONNX, torch.onnx.export (TorchScript exporter, dynamo=False)'s model of the same graph passes on the ONNX reference evaluator (onnx.reference). Found with onnx 1.23.2, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import ml_dtypes
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x0):
        v2 = torch.abs(x0)
        return v2,

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
    args = tuple(torch.from_numpy(a.view(np.int16)).view(torch.bfloat16) if a.dtype.name == 'bfloat16'
                 else torch.from_numpy(a) for a in INPUTS.values())
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=18, input_names=['x0'], output_names=['out0'],
                                optimize=False)
    model = program.model_proto.SerializeToString()
    actual = run_model(model, INPUTS)
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
