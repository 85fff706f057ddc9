"""torch.onnx.export (dynamo exporter) gives a wrong output shape: F.adaptive_max_pool2d(x1, (1, 5)) with x1: float32[1,1,5] with dynamic dims

Every runtime gets torch.onnx.export (dynamo exporter)'s model wrong; a model written directly in ONNX's model of the same graph passes. Found with onnx 1.23.2, onnxscript 0.7.2, torch 2.13.0+cpu.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F


class Model(torch.nn.Module):
    def forward(self, x1):
        v2 = F.adaptive_max_pool2d(x1, (1, 5))
        return v2,

DYNAMIC = {'x1': {'2': 'd1'}}  # the dims exported dynamic: {input or output name: {axis: symbol}}
RUNS = [  # (size, inputs, expected outputs: the exact result, rounded to the output type)
    ('x1[2]=5', {'x1': np.array([[[1.0369187593460083, 0.8750942945480347, -0.7398762702941895, 0.35784241557121277, 0.5609973669052124]]], dtype=np.float32)}, [np.array([[[1.0369187593460083, 0.8750942945480347, -0.7398762702941895, 0.35784241557121277, 0.5609973669052124]]], dtype=np.float32)]),
    ('x1[2]=3', {'x1': np.array([[[1.2782577276229858, -0.5157623887062073, 0.7187030911445618]]], dtype=np.float32)}, [np.array([[[1.2782577276229858, 1.2782577276229858, -0.5157623887062073, 0.7187030911445618, 0.7187030911445618]]], dtype=np.float32)]),
]
INPUTS = RUNS[0][1]
RTOL = 0.001

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def differs(actual, expected):
    """numpy's report of how actual differs from expected (its DESIRED); None when it does not."""
    if len(actual) != len(expected):  # another failure than the values filed: __main__ exits 2
        raise RuntimeError(f'{len(actual)} outputs, expected {len(expected)}')
    try:
        for i, (a, e) in enumerate(zip(actual, expected)):
            tol = RTOL[i] if isinstance(RTOL, list) else RTOL
            np.testing.assert_allclose(a, e, rtol=tol, atol=tol * np.abs(e.astype(float)).mean(), strict=True)
    except AssertionError as e:
        return str(e).strip()


def main():
    args = tuple(torch.from_numpy(a) for a in INPUTS.values())
    d1 = torch.export.Dim('d1')
    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version=22, input_names=['x1'], output_names=['out0'],
                                optimize=True, dynamic_shapes=({2: d1},))
    model = program.model_proto.SerializeToString()
    failing, other = [], False
    for size, inputs, expected in RUNS:
        at = f' at size {size}' if size else ''
        try:
            actual = run_model(model, inputs)
        except Exception as e:
            print(f'the ONNX reference evaluator (onnx.reference) raises{at}:', type(e).__name__, str(e)[:2000])
            other = True
            continue
        problem = differs(actual, expected)
        print(problem or f'outputs as expected{at}')
        failing += [size] if problem else []
    if failing:
        print(f"fails at size {'; '.join(failing)} (of {len(RUNS)} sizes)")
    return 1 if failing else 2 if other else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
