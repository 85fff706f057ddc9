"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model ONNX Runtime with graph optimizations disabled cannot run: torch.scatter(x8, 2, [5], [False, False, False]) with x8: bool[1,1,6]

The model breaks the ONNX spec's input constraints (ScatterElements' updates have shape [1, 1, 3], its indices [1, 1, 1] (must be equal)), which ONNX Runtime with graph optimizations disabled rightly enforces. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
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
        self.register_buffer('c5', torch.tensor([[[5]]], dtype=torch.int32))
        self.register_buffer('c6', torch.tensor([[[False, False, False]]], dtype=torch.bool))

    def forward(self, x8):
        v7 = torch.scatter(x8, 2, self.c5, self.c6)
        return v7,

INPUTS = {'x8': np.array([[[True, False, False, True, False, False]]], dtype=np.bool)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=15, input_names=['x8'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with graph optimizations disabled raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InvalidArgument', "INVALID_ARGUMENT : Non-zero status code returned while running ScatterElements node. Name:'/ScatterElements' Status Message: Indices vs updates dimensions differs at position=")) else 2
    print('ONNX Runtime with graph optimizations disabled runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
