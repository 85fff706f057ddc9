"""torch.onnx.export (dynamo exporter, optimize=False) raises: [-1.8203125].clone().polygamma_(5)

torch.onnx.export (dynamo exporter, optimize=False) fails before any runtime runs its model. Found with onnx 1.23.2, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c1', torch.tensor([[-1.8203125]], dtype=torch.bfloat16))

    def forward(self):
        v3 = self.c1.clone().polygamma_(5)
        return v3,

INPUTS = {}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    try:
        program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=20, input_names=[], output_names=['out0'],
                                    optimize=False)
        model = program.model_proto.SerializeToString()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1 if "class 'RuntimeError'>: Found a custom (non-ATen) operator whose output has alias annotations: aten::polygamma_(Tensor(a!) self, int n) -> Tensor(a!" in f'{type(e).__name__}: {e}' else 2
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
