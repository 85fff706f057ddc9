"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model the ONNX reference evaluator (onnx.reference) cannot run: x6.index_copy(0, [0], x4) with x4: int64[], x6: int64[]

The model breaks the ONNX spec's input constraints (ScatterElements's indices reach 0..0 along an axis of 0; ScatterElements's indices have rank 1, its data rank 0 (must be equal)), which the ONNX reference evaluator (onnx.reference) rightly enforces. Found with onnx 1.23.2, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c3', torch.tensor([0], dtype=torch.int64))

    def forward(self, x4, x6):
        v5 = x6.index_copy(0, self.c3, x4)
        return v5,

INPUTS = {'x4': np.array(959865287511098816, dtype=np.int64), 'x6': np.array(-4, dtype=np.int64)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=19, input_names=['x4', 'x6'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('IndexError: index', 'is out of bounds for axis')) else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
