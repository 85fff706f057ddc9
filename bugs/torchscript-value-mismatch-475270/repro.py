"""torch.onnx.export (TorchScript exporter, dynamo=False) computes wrong values: torch.scatter_add(x8, 2, c5, c6) with x8: float32[3,1,3]

Every runtime that ran the model fails on it (ONNX Runtime, the ONNX reference evaluator (onnx.reference), OpenVINO (CPU), tract); torch.onnx.export (dynamo exporter), torch.onnx.export (dynamo exporter, optimize=False)'s model of the same graph passes on ONNX Runtime. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
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
        self.register_buffer('c5', torch.tensor([[[1, 1, 1, 1, 1, 1]], [[1, 1, 1, 1, 1, 1]]], dtype=torch.int32))
        self.register_buffer('c6', torch.tensor([[[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]], [[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]], dtype=torch.float32))

    def forward(self, x8):
        v7 = torch.scatter_add(x8, 2, self.c5, self.c6)
        return v7,

INPUTS = {'x8': np.array([[[1.8452781438827515, -1.8391342163085938, -0.16114936769008636]], [[-1.0536736249923706, 1.78258216381073, -1.4753347635269165]], [[-1.5354318618774414, -0.9354088306427002, -0.20881086587905884]]], dtype=np.float32)}
EXPECTED = [np.array([[[1.8452781438827515, 4.160865783691406, -0.16114936769008636]], [[-1.0536736249923706, 7.7825822830200195, -1.4753347635269165]], [[-1.5354318618774414, -0.9354088306427002, -0.20881086587905884]]], dtype=np.float32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=11, input_names=['x8'], output_names=['out0'])
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
