"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model OpenVINO (CPU) cannot load: torch.logsumexp(x11, (0,), True) with x11: float32[]

The model breaks the ONNX spec's input constraints (ReduceLogSumExp's axis 0 is outside [-0, -1] for its input of rank 0), which OpenVINO (CPU) rightly enforces. Found with onnx 1.23.2, openvino 2026.4.1, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x11):
        v10 = torch.logsumexp(x11, (0,), True)
        return v10,

INPUTS = {'x11': np.array(-0.7302448153495789, dtype=np.float32)}

def run_model(model_bytes, feeds):
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(core.read_model(model_bytes), "CPU", {'INFERENCE_PRECISION_HINT': 'f32', 'INFERENCE_NUM_THREADS': '1'})
    result = compiled({p.get_any_name(): feeds[p.get_any_name()] for p in compiled.inputs})
    return [result[o] for o in compiled.outputs]


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=10, input_names=['x11'], output_names=['out0'])
    model = buf.getvalue()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('OpenVINO (CPU) raises', type(e).__name__, str(e)[:2000])
        return 1 if 'RuntimeError: Exception from src/inference/src/cpp/core.cpp' in f'{type(e).__name__}: {e}' else 2
    print('OpenVINO (CPU) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
