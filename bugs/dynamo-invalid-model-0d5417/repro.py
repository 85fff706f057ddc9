"""torch.onnx.export (dynamo exporter) produces a model the ONNX checker rejects: torch.argmin([0], dim=None, keepdim=True)

The checker rejects the model torch.onnx.export (dynamo exporter) wrote. Found with onnx 1.23.2, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c11', torch.tensor([[0]], dtype=torch.uint8))

    def forward(self):
        v10 = torch.argmin(self.c11, dim=None, keepdim=True)
        return v10,

INPUTS = {}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=20, input_names=[], output_names=['out0'],
                                optimize=True)
    model = program.model_proto.SerializeToString()
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'Inferred shape and existing shape differ in rank')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
