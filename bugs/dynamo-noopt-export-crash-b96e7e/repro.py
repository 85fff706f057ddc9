"""torch's decompositions (run by torch.onnx.export (dynamo exporter, optimize=False)) raises: x0.diagonal_scatter([-0.6671]) with x0: float32[1,1]

Torch's decompositions alone fails the same way on the module: the fault is in torch's decompositions, which torch.onnx.export (dynamo exporter, optimize=False) runs before its own translation. Found with onnx 1.23.2, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c2', torch.tensor([-0.6670580506324768], dtype=torch.float32))

    def forward(self, x0):
        v3 = x0.diagonal_scatter(self.c2)
        return v3,

INPUTS = {'x0': np.array([[1.8060065507888794]], dtype=np.float32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    try:
        program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=18, input_names=['x0'], output_names=['out0'],
                                    optimize=False)
        model = program.model_proto.SerializeToString()
    except Exception as e:
        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ("class 'AssertionError'>: aot_autograd expected to have an entirely functional graph, but found %copy_to", '= call_function', 'args = (%diagonal, %arg')) else 2
    print('the export succeeds: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
