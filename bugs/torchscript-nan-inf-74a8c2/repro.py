"""torch.onnx.export (TorchScript exporter, dynamo=False) gives NaN/Inf where the result is finite: F.batch_norm([1.0, 1.0, 1.0], [0.2526], [-1.989], x4, -1.862, momentum=0.0, training=True) with x4: float32[]

Every runtime that ran the model fails on it (the ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU)), the same way (no other exporter could export the graph). Found with onnx 1.23.2, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c1', torch.tensor([[1.0], [1.0], [1.0]], dtype=torch.float32))
        self.register_buffer('c2', torch.tensor([0.25261250138282776], dtype=torch.float32))
        self.register_buffer('c3', torch.tensor([-1.9890936613082886], dtype=torch.float32))
        self.register_buffer('c5', torch.tensor(-1.8623614311218262, dtype=torch.float32))

    def forward(self, x4):
        v6 = F.batch_norm(self.c1, self.c2, self.c3, x4, self.c5, momentum=0.0, training=True)
        return v6,

INPUTS = {'x4': np.array(-0.5807308554649353, dtype=np.float32)}
EXPECTED = [np.array([[-1.8623614311218262], [-1.8623614311218262], [-1.8623614311218262]], dtype=np.float32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=12, input_names=['x4'], output_names=['out0'])
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
