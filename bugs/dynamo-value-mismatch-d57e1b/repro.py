"""torch.onnx.export (dynamo exporter) computes wrong values: F.batch_norm(x1, x2, x2, [-1.311], x2, momentum=0.0, training=True) with x1: float32[3,1], x2: float32[1]

Every runtime that ran the model fails on it (OpenVINO (CPU), the ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled); torch.onnx.export (TorchScript exporter, dynamo=False)'s model of the same graph passes on OpenVINO (CPU). Found with onnx 1.23.2, onnxscript 0.7.2, openvino 2026.4.1, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c3', torch.tensor([-1.3113913536071777], dtype=torch.float32))

    def forward(self, x1, x2):
        v4 = F.batch_norm(x1, x2, x2, self.c3, x2, momentum=0.0, training=True)
        return v4,

INPUTS = {'x1': np.array([[0.02808311954140663], [0.45816290378570557], [-1.1500035524368286]], dtype=np.float32), 'x2': np.array([-0.0], dtype=np.float32)}
EXPECTED = [np.array([[-0.4809897541999817], [-1.3106504678726196], [1.7916401624679565]], dtype=np.float32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(core.read_model(model_bytes), "CPU", {'INFERENCE_PRECISION_HINT': 'f32', 'INFERENCE_NUM_THREADS': '1'})
    result = compiled({p.get_any_name(): feeds[p.get_any_name()] for p in compiled.inputs})
    return [result[o] for o in compiled.outputs]


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=20, input_names=['x1', 'x2'], output_names=['out0'],
                                optimize=True)
    model = program.model_proto.SerializeToString()
    actual = run_model(model, INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_allclose(a, e, rtol=0.001, atol=0.001 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=True)
    except AssertionError as e:
        print(e)
        return 1
    print('outputs as expected: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
