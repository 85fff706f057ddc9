"""torch.onnx.export (TorchScript exporter, dynamo=False) exports a model OpenVINO (CPU) cannot load: F.pad -> v1.to -> v4.to -> torch.unsafe_split

The model breaks the ONNX spec's input constraints (Split's split lengths [2, 2] sum to 4, not the axis' length 3), which OpenVINO (CPU) rightly enforces. Found with onnx 1.23.2, openvino 2026.4.1, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F


class Model(torch.nn.Module):
    def forward(self, x0):
        v1 = F.pad(x0, (0, 1), 'replicate')
        v4 = v1.to(torch.bfloat16)
        v5 = v4.to(torch.float32)
        v6, v6_1 = torch.unsafe_split(v5, 2)
        return v6, v6_1

INPUTS = {'x0': np.array([[[0.8477283120155334]], [[0.15301550924777985]], [[1.6173292398452759]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(core.read_model(model_bytes), "CPU", {'INFERENCE_PRECISION_HINT': 'f32', 'INFERENCE_NUM_THREADS': '1'})
    result = compiled({p.get_any_name(): feeds[p.get_any_name()] for p in compiled.inputs})
    return [result[o] for o in compiled.outputs]


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=17, input_names=['x0'], output_names=['out0', 'out1'])
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
