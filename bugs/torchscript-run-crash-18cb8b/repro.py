"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model ONNX Runtime (multi-threaded) cannot run: torch.maximum(x0, x1) with x0: int8[], x1: int8[1]

The model torch.onnx.export (TorchScript exporter, dynamo=False) wrote is invalid: output out0 is declared of rank 0 but has shape [1]. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x0, x1):
        v2 = torch.maximum(x0, x1)
        return v2,

INPUTS = {'x0': np.array(8, dtype=np.int8), 'x1': np.array([4], dtype=np.int8)}

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
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=7, input_names=['x0', 'x1'], output_names=['out0'])
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
