"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model ONNX Runtime cannot run: F.adaptive_avg_pool2d -> v1.aminmax -> v2.index_fill

The model torch.onnx.export (TorchScript exporter, dynamo=False) wrote is invalid: output out0 dim 1 is declared 1 but is 7. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
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
        self.register_buffer('c5', torch.tensor([1], dtype=torch.int64))

    def forward(self, x0):
        v1 = F.adaptive_avg_pool2d(x0, (None, 7))
        v2, v2_1 = v1.aminmax(dim=1)
        v6 = v2.index_fill(-1, self.c5, -8.478373527526855)
        return v6,

INPUTS = {'x0': np.array([[[-0.41603919863700867]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=9, input_names=['x0'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('INVALID_ARGUMENT : Non-zero status code returned while running Scatter node. Name', 'Status Message: indices element out of data bounds, idx=', 'must be within the inclusive range')) else 2
    print('ONNX Runtime runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
