"""torch.onnx.export (TorchScript exporter, dynamo=False) produces a model the ONNX checker rejects: x22.permute -> F.linear -> v18.permute

The checker rejects the model torch.onnx.export (TorchScript exporter, dynamo=False) wrote. Found with onnx 1.23.2, torch 2.13.0+cpu.
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
        self.register_buffer('c2', torch.tensor([[4]], dtype=torch.int32))
        self.register_buffer('c3', torch.tensor([-8], dtype=torch.int32))

    def forward(self, x22):
        v16 = x22.permute((2, 1, 3, 0))
        v18 = F.linear(v16, self.c2, self.c3)
        v21 = v18.permute((0, -2, -1, 1))
        return v21,

INPUTS = {'x22': np.array([[[[8]]]], dtype=np.int32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=19, input_names=['x22'], output_names=['out0'])
    model = buf.getvalue()
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Inference error(s): (op_type:Transpose', 'Invalid attribute perm {', '}, input shape = {')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
