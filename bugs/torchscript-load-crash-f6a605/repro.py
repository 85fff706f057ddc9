"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model ONNX Runtime with graph optimizations disabled cannot load: F.group_norm(x13, 1, bias=c6, eps=0.5, weight=c5); torch.gather(v7, -3, [1, 1]) with x13: float32[2,5,5]

The model torch.onnx.export (TorchScript exporter, dynamo=False) wrote is invalid: output out0 dim 1 is declared 5 but is 1; output out0 dim 2 is declared 5 but is 2. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
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
        self.register_buffer('c5', torch.tensor([1.0, 1.0, 1.0, 1.0, 1.0], dtype=torch.float32))
        self.register_buffer('c6', torch.tensor([1.0, 1.0, 1.0, 1.0, 1.0], dtype=torch.float32))
        self.register_buffer('c11', torch.tensor([[[1, 1]]], dtype=torch.int32))

    def forward(self, x13):
        v7 = F.group_norm(x13, 1, bias=self.c6, eps=0.5, weight=self.c5)
        v12 = torch.gather(v7, -3, self.c11)
        return v12,

INPUTS = {'x13': np.array([[[-1.401298464324817e-45, 0.12524202466011047, 1.0, 1.0, 1.0], [-1.401298464324817e-45, 0.0, 0.12524202466011047, 1.0, 1.0], [0.0, -1.401298464324817e-45, 1.0, 1.0, 1.0], [1.0, 0.0, -1.401298464324817e-45, 0.0, -1.401298464324817e-45], [1.0, -1.401298464324817e-45, 0.12524202466011047, 0.0, -1.401298464324817e-45]], [[0.0, 0.0, -1.401298464324817e-45, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0, -1.401298464324817e-45], [-1.401298464324817e-45, 1.0, 0.0, -1.401298464324817e-45, 1.0], [1.0, 1.0, -1.401298464324817e-45, 0.0, 1.0], [0.12524202466011047, -1.401298464324817e-45, 0.12524202466011047, 1.0, 0.0]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=9, input_names=['x13'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with graph optimizations disabled raises', type(e).__name__, str(e)[:2000])
        return 1 if 'Incompatible dimensions' in f'{type(e).__name__}: {e}' else 2
    print('ONNX Runtime with graph optimizations disabled runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
