"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model the ONNX reference evaluator (onnx.reference) cannot run: torch.unique -> torch.add -> torch.remainder

The model torch.onnx.export (TorchScript exporter, dynamo=False) wrote is invalid: output out0 dim 0 is declared 1 but is 3. Found with onnx 1.23.2, torch 2.13.0+cpu.
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
        self.register_buffer('c4', torch.tensor(1, dtype=torch.int64))
        self.register_buffer('c6', torch.tensor([[1, 1]], dtype=torch.int64))

    def forward(self, x0):
        v1 = torch.unique(x0, sorted=True, return_inverse=True)[1]
        v5 = torch.add(v1, self.c4)
        v7 = torch.remainder(self.c6, v5)
        return v7,

INPUTS = {'x0': np.array([[8], [8], [4]], dtype=np.int64)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=20, input_names=['x0'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if 'ValueError: operands could not be broadcast together with shapes' in f'{type(e).__name__}: {e}' else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
