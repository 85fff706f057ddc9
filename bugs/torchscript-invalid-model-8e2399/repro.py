"""torch.onnx.export (TorchScript exporter, dynamo=False) produces a model the ONNX checker rejects: torch.std_mean -> F.conv_transpose1d -> F.conv_transpose1d

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
        self.register_buffer('c6', torch.tensor([[[1.0]], [[1.0]], [[1.0]], [[1.0]]], dtype=torch.float16))
        self.register_buffer('c7', torch.tensor([1.69140625], dtype=torch.float16))
        self.register_buffer('c9', torch.tensor([[[1.0], [1.0]]], dtype=torch.float16))
        self.register_buffer('c10', torch.tensor([1.0, 1.0], dtype=torch.float16))

    def forward(self, x12):
        v5, v5_1 = torch.std_mean(x12, dim=None, keepdim=True)
        v8 = F.conv_transpose1d(x12, self.c6, self.c7)
        v11 = F.conv_transpose1d(v5_1, self.c9, self.c10)
        return v5, v8, v11

INPUTS = {'x12': np.array([[[0.51220703125], [0.0092010498046875], [0.841796875], [1.919921875]]], dtype=np.float16)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=8, input_names=['x12'], output_names=['out0', 'out1', 'out2'])
    model = buf.getvalue()
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Inference error(s): (op_type:ConvTranspose', 'Input tensor must have at least', 'dimensions (N x C x D')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
