"""torch's decompositions (run by torch.onnx.export (dynamo exporter)) raises: torch.bucketize(x1, [0], out_int32=False, right=False) with x1: int8[]

Torch's decompositions alone fails the same way on the module: the fault is in torch's decompositions, which torch.onnx.export (dynamo exporter) runs before its own translation. Found with onnx 1.23.2, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c5', torch.tensor([0], dtype=torch.int8))

    def forward(self, x1):
        v6 = torch.bucketize(x1, self.c5, out_int32=False, right=False)
        return v6,

INPUTS = {'x1': np.array(3, dtype=np.int8)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    try:
        program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=22, input_names=['x1'], output_names=['out0'],
                                    optimize=True)
        model = program.model_proto.SerializeToString()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1 if "class 'torch.fx.experimental.symbolic_shapes.GuardOnDataDependentSymNode'>: Could not extract specialized integer from data-dependent expression u" in f'{type(e).__name__}: {e}' else 2
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
