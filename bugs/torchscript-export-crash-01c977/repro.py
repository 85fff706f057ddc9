"""torch.onnx.export (TorchScript exporter, dynamo=False) raises: x1.norm(3) with x1: bfloat16[1,1]

torch.onnx.export (TorchScript exporter, dynamo=False) fails before any runtime runs its model. Found with onnx 1.23.2, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import ml_dtypes
import onnx
import traceback
import torch


class Model(torch.nn.Module):
    def forward(self, x1):
        v2 = x1.norm(3)
        return v2,

HERE = __import__('os').path.dirname(__import__('os').path.abspath(__file__))
INPUTS_NPZ = np.load(HERE + '/inputs.npz')


class _Bfloat16Npz:
    def __init__(self, npz):
        self.npz = npz

    def __getitem__(self, key):
        a = self.npz[key]
        return a.view(ml_dtypes.bfloat16) if a.dtype.kind == 'V' and a.dtype.itemsize == 2 else a


INPUTS_NPZ = _Bfloat16Npz(INPUTS_NPZ)
INPUTS = {n: INPUTS_NPZ[n] for n in ['x1']}




def main():
    args = tuple(torch.from_numpy(a.view(np.int16)).view(torch.bfloat16) if a.dtype.name == 'bfloat16'
                 else torch.from_numpy(a) for a in INPUTS.values())
    try:
        buf = io.BytesIO()
        torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=7, input_names=['x1'], output_names=['out0'])
        model = buf.getvalue()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1 if 'RuntimeError: Unsupported types: complex, string' in f'{type(e).__name__}: {e}' and 'torch/onnx/' in traceback.extract_tb(e.__traceback__)[-1].filename.replace('\\', '/') else 2
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
