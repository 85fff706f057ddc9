"""torch.onnx.export (dynamo exporter, optimize=False) exports a model OpenVINO (CPU) cannot load: torch.cosine_similarity(x1, x1, dim=0) with x1: float32[]

The model breaks the ONNX spec's input constraints (ReduceL2's axis 0 is outside [-0, -1] for its input of rank 0; ReduceL2's axis 0 is outside [-0, -1] for its input of rank 0), which OpenVINO (CPU) rightly enforces. Found with onnx 1.23.2, onnxscript 0.7.2, openvino 2026.4.1, torch 2.13.0+cpu.
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
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(core.read_model(model_bytes), "CPU", {'INFERENCE_PRECISION_HINT': 'f32', 'INFERENCE_NUM_THREADS': '1'})
    result = compiled({p.get_any_name(): feeds[p.get_any_name()] for p in compiled.inputs})
    return [result[o] for o in compiled.outputs]


def main():
    if "--child" not in sys.argv:
        import os, subprocess
        r = subprocess.run([sys.executable, os.path.abspath(__file__), '--child'], timeout=600)
        if r.returncode < 0:
            print('the process died with signal', -r.returncode)
            return 1
        return r.returncode
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=22, input_names=['x1'], output_names=['out0'],
                                optimize=False)
    model = program.model_proto.SerializeToString()
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('OpenVINO (CPU) raises', type(e).__name__, str(e)[:2000])
        return 0
    print('OpenVINO (CPU) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
