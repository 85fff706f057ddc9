"""torch.onnx.export (dynamo exporter) produces a model the ONNX checker rejects: x12.cross(x12) with x12: float32[3,10]

The checker rejects the model torch.onnx.export (dynamo exporter) wrote. Found with onnx 1.23.2, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x12):
        v11 = x12.cross(x12)
        return v11,

INPUTS = {'x12': np.array([[-0.88018798828125, -0.7963210344314575, 0.004380187951028347, 0.8644917607307434, -1.3683207035064697, 0.19099435210227966, -0.8725329041481018, 1.531633973121643, -0.9658873677253723, 1.1953179836273193], [0.9114188551902771, 0.97170490026474, -1.662803292274475, 1.4232252836227417, 0.5408695936203003, 1.729975938796997, -0.8262454867362976, -0.9704501032829285, -1.4385820627212524, 0.42518314719200134], [1.341322660446167, 1.629969596862793, 0.1579485833644867, 0.3519883155822754, 0.5042220950126648, 0.48311302065849304, 1.9857674837112427, -0.6714295744895935, -0.9624148607254028, 1.8877273797988892]], dtype=np.float32)}




def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=18, input_names=['x12'], output_names=['out0'],
                                optimize=True)
    model = program.model_proto.SerializeToString()
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
