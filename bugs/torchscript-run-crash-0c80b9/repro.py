"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model ONNX Runtime with basic graph optimizations cannot run: torch.masked_scatter(x6, [True], [2]) with x6: int8[1]

The model torch.onnx.export (TorchScript exporter, dynamo=False) wrote is invalid: output out0 is declared of rank 1 but has shape [1, 1]. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
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
        self.register_buffer('c3', torch.tensor([[True]], dtype=torch.bool))
        self.register_buffer('c4', torch.tensor([2], dtype=torch.int8))

    def forward(self, x6):
        v5 = torch.masked_scatter(x6, self.c3, self.c4)
        return v5,

INPUTS = {'x6': np.array([-8], dtype=np.int8)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=19, input_names=['x6'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with basic graph optimizations raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InvalidArgument', "INVALID_ARGUMENT : Non-zero status code returned while running ScatterND node. Name:'/ScatterND' Status Message: last dimension of indices must not be larger than rank of input tensor")) else 2
    print('ONNX Runtime with basic graph optimizations runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
