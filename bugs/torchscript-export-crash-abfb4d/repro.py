"""torch.onnx.export (TorchScript exporter, dynamo=False) raises: torch.sum -> F.multi_head_attention_forward

torch.onnx.export (TorchScript exporter, dynamo=False) fails before any runtime runs its model. Found with onnx 1.23.2, torch 2.13.0+cpu.
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
        self.register_buffer('c2', torch.tensor([[[-1.4872391191392729]]], dtype=torch.float64))
        self.register_buffer('c3', torch.tensor([[1.0], [1.0], [1.0]], dtype=torch.float64))
        self.register_buffer('c4', torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64))
        self.register_buffer('c5', torch.tensor([[-0.8237890851250134]], dtype=torch.float64))
        self.register_buffer('c6', torch.tensor([-0.3169353320856665], dtype=torch.float64))

    def forward(self, x0):
        v1 = torch.sum(x0, dim=None, keepdim=True, dtype=torch.float64)
        v7 = F.multi_head_attention_forward(v1, self.c2, self.c2, v1.shape[-1], 1, self.c3, self.c4, None, None, False, 0.0, self.c5, self.c6, training=False, need_weights=False)[0]
        return v7,

INPUTS = {'x0': np.array([[[True]]], dtype=np.bool)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    try:
        buf = io.BytesIO()
        torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=11, input_names=['x0'], output_names=['out0'])
        model = buf.getvalue()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1 if 'RuntimeError: cannot create std::vector larger than max_size' in f'{type(e).__name__}: {e}' else 2
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
