"""torch.onnx.export (TorchScript exporter, dynamo=False) gives NaN/Inf where the result is finite: torch.cdist(x0, [1.0, 1.0, 1.0, 1.0], 0.0, 'use_mm_for_euclid_dist') with x0: float32[1,4]

Every runtime that ran the model fails on it (ONNX Runtime (multi-threaded), the ONNX reference evaluator (onnx.reference), OpenVINO (CPU), tract), the same way (no other exporter could export the graph). Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
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
        self.register_buffer('c1', torch.tensor([[1.0, 1.0, 1.0, 1.0]], dtype=torch.float32))

    def forward(self, x0):
        v2 = torch.cdist(x0, self.c1, 0.0, 'use_mm_for_euclid_dist')
        return v2,

INPUTS = {'x0': np.array([[-1.6673725843429565, 1.0, 1.636588454246521, 1.401298464324817e-45]], dtype=np.float32)}
EXPECTED = [np.array([[3.0]], dtype=np.float32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = 2
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=9, input_names=['x0'], output_names=['out0'])
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
