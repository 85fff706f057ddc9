"""torch.onnx.export (dynamo exporter, optimize=False) exports a model ONNX Runtime with graph optimizations disabled cannot run: torch.all(x7, dim=(0,)) with x7: bool[]

The model breaks the ONNX spec's input constraints (ReduceMin's axis 0 is outside [-0, -1] for its input of rank 0), which ONNX Runtime with graph optimizations disabled rightly enforces. Found with onnx 1.23.2, onnxruntime 1.32.0, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x7):
        v6 = torch.all(x7, dim=(0,))
        return v6,

INPUTS = {'x7': np.array(True, dtype=np.bool)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=22, input_names=['x7'], output_names=['out0'],
                                optimize=False)
    model = program.model_proto.SerializeToString()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with graph optimizations disabled raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('FAIL : Non-zero status code returned while running Squeeze node. Name', 'Status Message: /onnxruntime_src/onnxruntime/core/providers/common.h', '_t) IsAxisInRange(axis, tensor_rank) was false. axis')) else 2
    print('ONNX Runtime with graph optimizations disabled runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
