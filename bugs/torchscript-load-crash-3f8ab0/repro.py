"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model ONNX Runtime with basic graph optimizations cannot load: torch.clamp(x0, min=0.25, max=-1.5) with x0: float32[]

The model breaks the ONNX spec's input constraints (Clip's attribute min 0.25 is greater than its max -1.5, which Clip-6 leaves undefined), which ONNX Runtime with basic graph optimizations rightly enforces. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x0):
        v4 = torch.clamp(x0, min=0.25, max=-1.5)
        return v4,

INPUTS = {'x0': np.array(-1.2167614698410034, dtype=np.float32)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=9, input_names=['x0'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with basic graph optimizations raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('FAIL : Exception during initialization: /onnxruntime_src/onnxruntime/core/providers/cpu/math/clip.h', 'onnxruntime::clip_internal::Clip_', 'Base(const onnxruntime::OpKernelInfo&')) else 2
    print('ONNX Runtime with basic graph optimizations runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
