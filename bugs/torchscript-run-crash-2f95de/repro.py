"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model ONNX Runtime with graph optimizations disabled cannot run: x0.clone().scatter_reduce_(-1, [1, 1, 1, 1], x12, 'amax', include_self=True) with x0: float32[2,2], x12: float32[2,2]

The model torch.onnx.export (TorchScript exporter, dynamo=False) wrote is invalid: output out0 is declared of rank 1 but has shape [2, 2]. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
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
        self.register_buffer('c11', torch.tensor([[1, 1], [1, 1]], dtype=torch.int32))

    def forward(self, x0, x12):
        v13 = x0.clone().scatter_reduce_(-1, self.c11, x12, 'amax', include_self=True)
        return v13,

INPUTS = {'x0': np.array([[1.6401443481445312, 1.9952688217163086], [-1.401298464324817e-45, 0.6508489847183228]], dtype=np.float32), 'x12': np.array([[-1.2730789184570312, 1.166706919670105], [-0.9522141814231873, -0.3646915853023529]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=17, input_names=['x0', 'x12'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with graph optimizations disabled raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Status Message: Non-zero status code returned while running Identity node. Name', 'virtual OrtValue* onnxruntime::OpKernelContext::OutputMLValue(int, const onnxruntime::TensorShape&', '}. When calling Run() with pre-allocated output OrtValues on a model with dynamic output shapes, either supply unallocated output OrtValues or ensure the pre-allocated shapes match the expected output shapes for each run')) else 2
    print('ONNX Runtime with graph optimizations disabled runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
