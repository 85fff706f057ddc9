"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model ONNX Runtime with graph optimizations disabled cannot run: torch.tile(x2, (1, 2, 3)); torch.tile(v3, (3, 2, 1, 1)) with x2: float32[1]

The model torch.onnx.export (TorchScript exporter, dynamo=False) wrote is invalid: output out0 is declared of rank 1 but has shape [3, 2, 2, 3]; output out1 is declared of rank 1 but has shape [1, 2, 3]. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x2):
        v3 = torch.tile(x2, (1, 2, 3))
        v4 = torch.tile(v3, (3, 2, 1, 1))
        return v4, v3

INPUTS = {'x2': np.array([-0.2437373548746109], dtype=np.float32)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=18, input_names=['x2'], output_names=['out0', 'out1'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with graph optimizations disabled raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('Status Message: /onnxruntime_src/onnxruntime/core/framework/op_kernel.cc', 'virtual OrtValue* onnxruntime::OpKernelContext::OutputMLValue(int, const onnxruntime::TensorShape&', 'and dim_param (all values with the same string should equate to the same size) in shapes in the model')) else 2
    print('ONNX Runtime with graph optimizations disabled runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
