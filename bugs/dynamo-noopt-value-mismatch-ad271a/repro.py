"""torch.onnx.export (dynamo exporter, optimize=False) computes wrong values: torch.div(x0, x3, rounding_mode='floor') with x0: int32[4,4], x3: int32[]

Every runtime that ran the model fails on it (ONNX Runtime with graph optimizations disabled, the ONNX reference evaluator (onnx.reference), OpenVINO (CPU), tract); a model written directly in ONNX, torch.onnx.export (TorchScript exporter, dynamo=False)'s model of the same graph passes on ONNX Runtime with graph optimizations disabled. Found with onnx 1.23.2, onnxruntime 1.32.0, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x0, x3):
        v4 = torch.div(x0, x3, rounding_mode='floor')
        return v4,

INPUTS = {'x0': np.array([[-2, 0, -5, -59189427], [5, 2, 7, -2147483648], [-8, -7, -16777217, 5], [0, 1, 0, 0]], dtype=np.int32), 'x3': np.array(2, dtype=np.int32)}
EXPECTED = [np.array([[-1, 0, -3, -29594714], [2, 1, 3, -1073741824], [-4, -4, -8388609, 2], [0, 0, 0, 0]], dtype=np.int32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=23, input_names=['x0', 'x3'], output_names=['out0'],
                                optimize=False)
    model = program.model_proto.SerializeToString()
    actual = run_model(model, INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_array_equal(a, e, strict=True)
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
