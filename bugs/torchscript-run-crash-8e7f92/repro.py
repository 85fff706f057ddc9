"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model ONNX Runtime cannot run: two torch.unique(return_counts=True) outputs of different lengths get one symbolic dim name

The TorchScript export gives outputs of different lengths one symbolic dim name (out0 has 2 elements, out2 has 1, both declared ['Uniqueout0_dim_0']), which the ONNX IR forbids; ONNX Runtime trusts the declared dims and fails reusing a buffer, the reference evaluator does not check them. Found with onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x0, x3):
        v2_u = torch.unique(x0, sorted=True, return_inverse=True, return_counts=True)
        v2, v2_1 = v2_u[1], v2_u[2][v2_u[1]]
        v4 = torch.add(v2_1, x3)
        v5_u = torch.unique(x3, sorted=True, return_inverse=True, return_counts=True)
        v5, v5_1 = v5_u[1], v5_u[2][v5_u[1]]
        v6 = torch.relu(v5_1)
        return v2, v4, v5, v6

INPUTS = {'x0': np.array([0.0634247288107872, -1.3000754117965698], dtype=np.float32), 'x3': np.array([-2], dtype=np.int64)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=18, input_names=['x0', 'x3'], output_names=['out0', 'out1', 'out2', 'out3'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ("while running Gather node", 'OpKernelContext::OutputMLValue', 'and dim_param (all values with the same string should equate to the same size) in shapes in the model')) else 2
    print('ONNX Runtime runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
