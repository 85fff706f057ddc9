"""torch.onnx.export (TorchScript exporter, dynamo=False) gives a wrong output type: x0.clone -> torch.roll -> torch.roll -> v2.diagonal -> v3.to -> v5.to -> torch.roll

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
    def forward(self, x0):
        v1 = x0.clone().triu_(2)
        v2 = torch.roll(v1, shifts=(4, -4), dims=(0, 2))
        v3 = torch.roll(v2, shifts=(1,), dims=(0,))
        v4 = v2.diagonal(dim1=0, dim2=1, offset=2)
        v5 = v3.to(torch.int64)
        v6 = v5.to(torch.float16)
        v7 = torch.roll(v6, shifts=(-2,), dims=(-3,))
        return v7, v4

INPUTS = {'x0': np.array([[[1.0810546875, -6.097555160522461e-05]], [[1.0810546875, -6.097555160522461e-05]], [[-6.097555160522461e-05, -1.0]]], dtype=np.float16)}
EXPECTED = [np.array([[[0.0, 0.0]], [[0.0, 0.0]], [[0.0, 0.0]]], dtype=np.float16), np.array([[], []], dtype=np.float16)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=18, input_names=['x0'], output_names=['out0', 'out1'])
    model = buf.getvalue()
    actual = run_model(model, INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_allclose(a, e, rtol=0.02, atol=0.02 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=True)
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
