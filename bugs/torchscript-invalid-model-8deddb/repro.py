"""torch.onnx.export (TorchScript exporter, dynamo=False) produces a model the ONNX checker rejects: torch.var(x0, dim=None, keepdim=True, correction=0); torch.unsafe_split(v5, 2)[0] with x0: float32[1,1,1]

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
    def forward(self, x0):
        v5 = torch.var(x0, dim=None, keepdim=True, correction=0)
        v8 = torch.unsafe_split(v5, 2)[0]
        return v8,

INPUTS = {'x0': np.array([[[-1.3486607074737549]]], dtype=np.float32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=16, input_names=['x0'], output_names=['out0'])
    model = buf.getvalue()
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'Inference error(s): (op_type:Split', "Invalid value of attribute 'axis'. Rank=")) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
