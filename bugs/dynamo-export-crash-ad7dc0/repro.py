"""torch.onnx.export (dynamo exporter) raises: (2.5 // x1) with x1: float32[1]

torch.onnx.export (dynamo exporter) fails before any runtime runs its model. Found with onnx 1.23.2, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x1):
        v2 = (2.5 // x1)
        return v2,

INPUTS = {'x1': np.array([1.0920870304107666], dtype=np.float32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    try:
        program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=21, input_names=['x1'], output_names=['out0'],
                                    optimize=True)
        model = program.model_proto.SerializeToString()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1 if "class 'AttributeError'>: 'float' object has no attribute 'dtype'" in f'{type(e).__name__}: {e}' else 2
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
