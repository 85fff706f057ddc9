"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model ONNX Runtime with basic graph optimizations cannot load: x1.clone -> torch.argmin -> torch.mean -> torch.argmin

The model breaks the ONNX spec's input constraints (ArgMin's axis 0 is outside [-0, -1] for its input of rank 0), which ONNX Runtime with basic graph optimizations rightly enforces. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
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
        self.register_buffer('c2', torch.tensor(3, dtype=torch.int8))
        self.register_buffer('c3', torch.tensor(3, dtype=torch.int8))

    def forward(self, x1):
        v4 = x1.clone().addcmul_(self.c2, self.c3, value=3.14)
        v8 = torch.argmin(v4, dim=None, keepdim=True)
        v11 = torch.mean(v8, dim=-1, dtype=torch.float32)
        v13 = torch.argmin(v11, dim=0)
        return v13,

INPUTS = {'x1': np.array(3, dtype=np.int8)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=11, input_names=['x1'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with basic graph optimizations raises', type(e).__name__, str(e)[:2000])
        return 1 if "'axis' must be in" in f'{type(e).__name__}: {e}' else 2
    print('ONNX Runtime with basic graph optimizations runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
