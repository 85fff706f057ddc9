"""torch.onnx.export (TorchScript exporter, dynamo=False) gives NaN/Inf where the result is finite: torch.narrow(x15, -4, -5, 5); torch.amax(v11) with x15: float32[5,1,1,1]

Every runtime gets torch.onnx.export (TorchScript exporter, dynamo=False)'s model wrong the same way (no other exporter could export the graph). Found with onnx 1.23.2, torch 2.13.0+cpu.
Note: the TorchScript-based exporter is deprecated: torch.onnx.export defaults to dynamo=True (as in torch 2.13, the pinned version).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import io
import sys

import numpy as np
import onnx
import torch


class Model(torch.nn.Module):
    def forward(self, x15):
        v11 = torch.narrow(x15, -4, -5, 5)
        v14 = torch.amax(v11)
        return v14,

INPUTS = {'x15': np.array([[[[0.7290545105934143]]], [[[-1.242666244506836]]], [[[-1.2380151748657227]]], [[[1.3402398824691772]]], [[[1.621535301208496]]]], dtype=np.float32)}
EXPECTED = [np.array(1.621535301208496, dtype=np.float32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    buf = io.BytesIO()
    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version=14, input_names=['x15'], output_names=['out0'])
    model = buf.getvalue()
    actual = run_model(model, INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_allclose(a, e, rtol=0.001, atol=0.001 * np.abs(e.astype(float)).mean(), strict=True)
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
