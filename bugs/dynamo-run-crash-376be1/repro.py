"""torch.onnx.export (dynamo exporter) exports a model ONNX Runtime with graph optimizations disabled cannot run: torch.scatter(x6, 0, [3], [1.0, 1.0]) with x6: float32[4,1]

The model breaks the ONNX spec's input constraints (ScatterElements' updates have shape [1, 2], its indices [1, 1] (must be equal)), which ONNX Runtime with graph optimizations disabled rightly enforces. Found with onnx 1.23.2, onnxruntime 1.32.0, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c3', torch.tensor([[3]], dtype=torch.int32))
        self.register_buffer('c4', torch.tensor([[1.0, 1.0]], dtype=torch.float32))

    def forward(self, x6):
        v5 = torch.scatter(x6, 0, self.c3, self.c4)
        return v5,

INPUTS = {'x6': np.array([[0.6914517283439636], [1.9245282411575317], [-0.671914279460907], [-0.6457130908966064]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=20, input_names=['x6'], output_names=['out0'],
                                optimize=True)
    model = program.model_proto.SerializeToString()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with graph optimizations disabled raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InvalidArgument', "INVALID_ARGUMENT : Non-zero status code returned while running ScatterElements node. Name:'node_scatter' Status Message: Indices vs updates dimensions differs at position=")) else 2
    print('ONNX Runtime with graph optimizations disabled runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
