"""torch.onnx.export (TorchScript exporter, dynamo=False) raises: torch.meshgrid(x0, -1.527, indexing='ij'); F.embedding(1, v2_1, padding_idx=-1) with x0: float32[2]

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
        self.register_buffer('c1', torch.tensor(-1.527268648147583, dtype=torch.float32))
        self.register_buffer('c8', torch.tensor(1, dtype=torch.int32))

    def forward(self, x0):
        v2, v2_1 = torch.meshgrid(x0, self.c1, indexing='ij')
        v9 = F.embedding(self.c8, v2_1, padding_idx=-1)
        return v9,

INPUTS = {'x0': np.array([-1.1626324653625488, -0.4739502966403961], dtype=np.float32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    try:
        buf = io.BytesIO()
        torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=11, input_names=['x0'], output_names=['out0'])
        model = buf.getvalue()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ("SymbolicValueError: Expected node type 'onnx::Constant' for argument 'padding_idx' of node 'embedding', got 'onnx::Add'.  [Caused by the value '", 'device=cpu) = onnx::Add(%', '/site-packages/torch/nn/functional.py')) else 2
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
