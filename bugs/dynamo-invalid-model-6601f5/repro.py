"""torch.onnx.export (dynamo exporter) produces a model the ONNX checker rejects: F.hardtanh -> torch.clamp_max -> torch.clamp_max -> torch.clamp_max

The checker rejects the model torch.onnx.export (dynamo exporter) wrote. Found with onnx 1.23.2, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c5', torch.tensor(-0.08092079311609268, dtype=torch.float32))
        self.register_buffer('c7', torch.tensor(-1.0, dtype=torch.float32))
        self.register_buffer('c9', torch.tensor(-0.5744220018386841, dtype=torch.float32))

    def forward(self, x0):
        v4 = F.hardtanh(x0, max_val=0.0, min_val=0.0)
        v6 = torch.clamp_max(x0, self.c5)
        v8 = torch.clamp_max(v6, self.c7)
        v10 = torch.clamp_max(v4, self.c9)
        return v8, v10

INPUTS = {'x0': np.array(0.40133029222488403, dtype=np.float32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=22, input_names=['x0'], output_names=['out0', 'out1'],
                                optimize=True)
    model = program.model_proto.SerializeToString()
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if 'ValidationError: Nodes in a graph must be topologically sorted, however input' in f'{type(e).__name__}: {e}' else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
