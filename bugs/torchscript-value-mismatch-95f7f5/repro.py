"""torch.onnx.export (TorchScript exporter, dynamo=False) computes wrong values: x0.index_put((c7,), c8, accumulate=True) with x0: float32[2,1]

Every runtime that ran the model fails on it (ONNX Runtime with extended graph optimizations, the ONNX reference evaluator (onnx.reference)); torch.onnx.export (dynamo exporter)'s model of the same graph passes on ONNX Runtime with extended graph optimizations. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c7', torch.tensor([1, 1, 1, 1, 1], dtype=torch.int64))
        self.register_buffer('c8', torch.tensor([[1.0], [1.0], [1.0], [1.0], [1.0]], dtype=torch.float32))

    def forward(self, x0):
        v9 = x0.index_put((self.c7,), self.c8, accumulate=True)
        return v9,

INPUTS = {'x0': np.array([[0.1651599407196045], [-1.526430606842041]], dtype=np.float32)}
EXPECTED = [np.array([[0.1651599407196045], [3.473569393157959]], dtype=np.float32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=14, input_names=['x0'], output_names=['out0'])
    model = buf.getvalue()
    actual = run_model(model, INPUTS)
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
