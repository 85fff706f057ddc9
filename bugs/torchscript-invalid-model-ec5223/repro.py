"""torch.onnx.export (TorchScript exporter, dynamo=False) produces a model the ONNX checker rejects:  -> torch.diagonal -> 

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
        self.register_buffer('c6', torch.tensor([1, 1], dtype=torch.int32))

    def forward(self, x1):
        v4 = (x1 @ x1)
        v5 = torch.diagonal(v4, offset=2)
        v7 = (v5 @ self.c6)
        return v7,

INPUTS = {'x1': np.array([[3, -3, -2, 2], [-4, 7, 5, 6], [-8, -6, -2, 5], [-6, 0, -1, 4]], dtype=np.int32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=15, input_names=['x1'], output_names=['out0'])
    model = buf.getvalue()
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'op_type:MatMul', 'B has inconsistent type tensor(int')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
