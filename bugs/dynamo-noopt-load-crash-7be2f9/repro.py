"""torch.onnx.export (dynamo exporter, optimize=False) exports a model ONNX Runtime with basic graph optimizations cannot load: torch.cosine_similarity(x1, x1, dim=0) with x1: float32[]

The model breaks the ONNX spec's input constraints (ReduceL2's axis 0 is outside [-0, -1] for its input of rank 0; ReduceL2's axis 0 is outside [-0, -1] for its input of rank 0), which ONNX Runtime with basic graph optimizations rightly enforces. Found with onnx 1.23.2, onnxruntime 1.32.0, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x1):
        v3 = torch.cosine_similarity(x1, x1, dim=0)
        return v3,

INPUTS = {'x1': np.array(-1.401298464324817e-45, dtype=np.float32)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=22, input_names=['x1'], output_names=['out0'],
                                optimize=False)
    model = program.model_proto.SerializeToString()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with basic graph optimizations raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('axis must be in', 'Input rank was')) else 2
    print('ONNX Runtime with basic graph optimizations runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
