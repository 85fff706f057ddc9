"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model ONNX Runtime (multi-threaded) cannot run: torch.cosine_similarity(x8, [0.7693], dim=0, eps=0.5) with x8: float32[]

The model breaks the ONNX spec's input constraints (ReduceSum's axis 0 is outside [-0, -1] for its input of rank 0), which ONNX Runtime (multi-threaded) rightly enforces. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
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
        self.register_buffer('c6', torch.tensor([0.7693275809288025], dtype=torch.float32))

    def forward(self, x8):
        v7 = torch.cosine_similarity(x8, self.c6, dim=0, eps=0.5)
        return v7,

INPUTS = {'x8': np.array(-1.4012060165405273, dtype=np.float32)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = 2
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=7, input_names=['x8'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime (multi-threaded) raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ("FAIL : Non-zero status code returned while running Max node. Name:'/Max' Status Message: /onnxruntime_src/onnxruntime/core/providers/cpu/math/element_wise_ops.cc", 'T>::Compute(onnxruntime::OpKernelContext*) const', 'data_n.Shape() == shape was false. All inputs must have the same shape')) else 2
    print('ONNX Runtime (multi-threaded) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
