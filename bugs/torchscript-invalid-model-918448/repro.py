"""torch.onnx.export (TorchScript exporter, dynamo=False) produces a model the ONNX checker rejects: F.instance_norm(x6, bias=None, running_mean=[1.0, 1.0], running_var=x2, weight=x2) with x2: float32[2], x6: float32[1,2,2]

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
        self.register_buffer('c1', torch.tensor([1.0, 1.0], dtype=torch.float32))

    def forward(self, x2, x6):
        v5 = F.instance_norm(x6, bias=None, running_mean=self.c1, running_var=x2, weight=x2)
        return v5,

INPUTS = {'x2': np.array([-0.3356627821922302, -1.5744130611419678], dtype=np.float32), 'x6': np.array([[[1.7089240550994873, 1.316493034362793], [-1.3372457027435303, -0.002149276901036501]]], dtype=np.float32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=17, input_names=['x2', 'x6'], output_names=['out0'])
    model = buf.getvalue()
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('ValidationError: Node(/BatchNormalization) with schema(::BatchNormalization', 'has output size', 'not in range')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
