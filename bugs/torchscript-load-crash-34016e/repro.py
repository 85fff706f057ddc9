"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model ONNX Runtime with basic graph optimizations cannot load: x0.scatter_reduce(0, [0], [-1.182], 'sum', include_self=True); F.pad(v15, (0, 2, 0, 1), 'constant', 1.0) with x0: float32[1,2]

The model torch.onnx.export (TorchScript exporter, dynamo=False) wrote is invalid: output out0 is declared of rank 1 but has shape [2, 4]. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
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
        self.register_buffer('c13', torch.tensor([[0]], dtype=torch.int32))
        self.register_buffer('c14', torch.tensor([[-1.1824804544448853]], dtype=torch.float32))

    def forward(self, x0):
        v15 = x0.scatter_reduce(0, self.c13, self.c14, 'sum', include_self=True)
        v18 = F.pad(v15, (0, 2, 0, 1), 'constant', 1.0)
        return v18,

INPUTS = {'x0': np.array([[-0.8318853378295898, -0.9946614503860474]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=16, input_names=['x0'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with basic graph optimizations raises', type(e).__name__, str(e)[:2000])
        return 1 if 'Pads has incorrect number of values' in f'{type(e).__name__}: {e}' else 2
    print('ONNX Runtime with basic graph optimizations runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
