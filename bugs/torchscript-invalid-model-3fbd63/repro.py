"""torch.onnx.export (TorchScript exporter, dynamo=False) produces a model the ONNX checker rejects: torch.gather(x1, -1, x3) with x1: float32[3,3], x3: int32[1,6]

The checker rejects the model torch.onnx.export (TorchScript exporter, dynamo=False) wrote. Found with onnx 1.23.2, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x1, x3):
        v4 = torch.gather(x1, -1, x3)
        return v4,

INPUTS = {'x1': np.array([[-0.7587746381759644, -0.5542548298835754, -0.8042033314704895], [0.6007192134857178, 0.1624712347984314, 0.6506953239440918], [-0.7182912230491638, -0.09266328811645508, -0.6652349233627319]], dtype=np.float32), 'x3': np.array([[0, 2, 2, 2, 0, 0]], dtype=np.int32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=9, input_names=['x1', 'x3'], output_names=['out0'])
    model = buf.getvalue()
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'Inference error(s): (op_type:Mul', 'Incompatible dimensions')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
