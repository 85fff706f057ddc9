"""torch.onnx.export (TorchScript exporter, dynamo=False) produces a model the ONNX checker rejects: torch.unique -> torch.index_select -> torch.index_select

The checker rejects the model torch.onnx.export (TorchScript exporter, dynamo=False) wrote. Found with onnx 1.23.2, torch 2.13.0+cpu.
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
        self.register_buffer('c3', torch.tensor([0], dtype=torch.int32))
        self.register_buffer('c5', torch.tensor([0], dtype=torch.int32))

    def forward(self, x0, x7):
        v1 = torch.unique(x0, sorted=True, return_inverse=True)[1]
        v4 = torch.index_select(x7, 0, self.c3)
        v6 = torch.index_select(v1, -2, self.c5)
        return v4, v6

INPUTS = {'x0': np.array([[False]], dtype=np.bool), 'x7': np.array([6], dtype=np.int32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=18, input_names=['x0', 'x7'], output_names=['out0', 'out1'])
    model = buf.getvalue()
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'Inference error(s): (op_type:Gather', 'axis must be in')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
