"""torch's decompositions (run by torch.onnx.export (dynamo exporter)) computes wrong values: [True].index_add(0, 0, [True], alpha=-1)

Torch's decompositions, which torch.onnx.export (dynamo exporter) runs before its own translation, already computes the module wrongly or fails when run eagerly: the fault is there; every runtime that ran the model fails on it (ONNX Runtime, the ONNX reference evaluator (onnx.reference), OpenVINO (CPU), tract), the same way (no other exporter could export the graph). Found with onnx 1.23.2, onnxruntime 1.32.0, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('c6', torch.tensor(0, dtype=torch.int32))
        self.register_buffer('c7', torch.tensor([True], dtype=torch.bool))
        self.register_buffer('c9', torch.tensor([True], dtype=torch.bool))

    def forward(self):
        v8 = self.c9.index_add(0, self.c6, self.c7, alpha=-1)
        return v8,

INPUTS = {}
EXPECTED = [np.array([True], dtype=np.bool)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=19, input_names=[], output_names=['out0'],
                                optimize=True)
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
