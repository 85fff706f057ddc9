"""torch's decompositions (run by torch.onnx.export (dynamo exporter, optimize=False)) produces a model the ONNX checker rejects: x14.clone().index_add_(-1, [0, 0, 0], c12, alpha=0) with x14: bool[3,1]

Torch's decompositions, which torch.onnx.export (dynamo exporter, optimize=False) runs before its own translation, already computes the module wrongly or fails when run eagerly: the fault is there; the checker rejects the model torch.onnx.export (dynamo exporter, optimize=False) wrote. Found with onnx 1.23.2, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c11', torch.tensor([0, 0, 0], dtype=torch.int64))
        self.register_buffer('c12', torch.tensor([[False, True, False], [True, True, True], [True, False, True]], dtype=torch.bool))

    def forward(self, x14):
        v13 = x14.clone().index_add_(-1, self.c11, self.c12, alpha=0)
        return v13,

INPUTS = {'x14': np.array([[False], [False], [True]], dtype=np.bool)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=23, input_names=['x14'], output_names=['out0'],
                                optimize=False)
    model = program.model_proto.SerializeToString()
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'op_type:ScatterND', 'updates has inconsistent type tensor(int')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
