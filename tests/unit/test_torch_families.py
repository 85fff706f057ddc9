"""The structured torch op families (norm, index, multi-output, resize, pad, rnn, attention):
each op's direct ONNX lowering must pass the checker with strict shape inference and
compute what its torch lowering computes, at the oldest and the newest opset it claims.

The generic meta-test (test_op_specs.py) already checks the torch side of every spec;
this adds the ONNX side for these families, judged by the ONNX reference evaluator in
float64 (truth mode) against torch eager in float64.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, draw_inputs, generate
from fuzzer.ir import FLOATS, INTS, DType
from fuzzer.materialize import build_module, torch_inputs
from fuzzer.materialize.onnx_model import model_proto
from fuzzer.ops import get_spec

FAMILIES = {
    "norm": ["batch_norm", "layer_norm", "group_norm", "instance_norm", "normalize", "local_response_norm"],
    "index": ["gather", "index_select", "take_along_dim", "embedding", "scatter", "scatter_add",
              "scatter_reduce", "index_put", "gather_nd", "masked_fill"],
    "multi": ["topk", "sort", "argsort", "max_dim", "min_dim", "aminmax", "unique", "nonzero", "einsum"],
    "resize": ["interpolate", "interpolate_antialias", "upsample", "pixel_shuffle", "pixel_unshuffle"],
    "pad": ["pad"],
    "rnn": ["lstm", "gru", "rnn_tanh", "rnn_relu"],
    "attention": ["scaled_dot_product_attention", "multi_head_attention"],
}
OPS = [name for names in FAMILIES.values() for name in names]
NEWEST = 23
SEEDS = range(8)


def _present(name: str) -> bool:
    """Registered and with a direct lowering (interpolate_antialias has none yet)."""
    try:
        return get_spec(name).has_onnx
    except KeyError:
        return False


def onnx_mismatches(name: str, seeds=SEEDS, opsets=None, dtypes=None) -> tuple[int, list[str]]:
    """(graphs checked, problems) for op `name`'s direct lowering at each opset."""
    import onnx

    spec = get_spec(name)
    opsets = opsets or sorted({max(13, spec.first_opset), NEWEST})
    cfg = GenConfig(ops=(name,), max_nodes=3, dtypes=dtypes or frozenset({DType.float32, DType.int64, DType.bool}))
    seen, problems = 0, []
    for seed in seeds:
        try:
            g = generate(NumpyChoices(seed), cfg)
        except IndexError:  # the generator's fallback when every draw was rejected
            continue
        if name not in g.op_types():
            continue
        seen += 1
        inputs = draw_inputs(g, NumpyChoices(seed + 1000), special=0.0)  # lowering vs truth: ordinary values (campaigns guard the special ones)
        with torch.no_grad():
            want = build_module(g, truth=True)(*torch_inputs(g, inputs, truth=True))
        inputs = {v.name: inputs[v.name] for v in g.inputs}
        feeds = {v.name: (inputs[v.name].astype(np.float64) if v.type.dtype.is_float else inputs[v.name])
                 for v in g.inputs}
        want = [w.numpy() for w in want]
        for opset in opsets:
            model = model_proto(g, opset, truth=True)
            try:
                onnx.checker.check_model(model, full_check=True)
                onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
            except Exception as e:  # a problem to report, not to stop at
                problems.append(f"seed {seed} opset {opset}: invalid: {str(e)[:300]}")
                continue
            verdicts = [_judge(run, model, feeds, want) for run in (_run_ort, _run_reference)]
            if all(verdicts):  # ORT in the deployed dtypes, for ops it lacks float64 kernels of
                verdicts.append(_judge(_run_ort, model_proto(g, opset), inputs, want, tol=1e-3))
            if all(verdicts):  # neither runtime agrees with torch
                problems.append(f"seed {seed} opset {opset}: {' | '.join(verdicts)}\n{g.summary()}")
    return seen, problems


def _run_ort(model, feeds):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.log_severity_level = 4  # a failure is returned to the caller; no need to print it too
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"]).run(None, feeds)


def _run_reference(model, feeds):
    from onnx.reference import ReferenceEvaluator

    return ReferenceEvaluator(model).run(None, feeds)


def _judge(run, model, feeds, want, tol: float = 1e-6) -> str:
    """"" when run's outputs match want, else what went wrong. Two judges are asked because
    each has gaps of its own (ORT lacks float64 kernels for some ops; the reference
    evaluator's LRN takes 4-D inputs only), and a lowering is wrong only if both disagree."""
    try:
        got = run(model, feeds)
    except Exception as e:
        return f"{run.__name__}: {type(e).__name__}: {str(e)[:200]}"
    for i, (w, o) in enumerate(zip(want, got)):
        if w.shape != o.shape:
            return f"{run.__name__}: out{i} shape {o.shape}, torch {w.shape}"
        if not np.allclose(w.astype(np.float64), o.astype(np.float64), rtol=tol, atol=tol, equal_nan=True):
            err = np.abs(w.astype(np.float64) - o.astype(np.float64)).max()
            return f"{run.__name__}: out{i} max abs err {err}"
    return ""


@pytest.mark.parametrize("name", [n for n in OPS if _present(n)])
def test_onnx_lowering_matches_torch(name):
    dtypes = frozenset({DType.float32, DType.int64, DType.bool, DType.int32})
    seen, problems = onnx_mismatches(name, dtypes=dtypes)
    assert seen > 0, f"{name} never generated"
    assert not problems, "\n".join(problems[:5])


if __name__ == "__main__":
    import sys

    for n in sys.argv[1:]:
        seen, problems = onnx_mismatches(n)
        print(n, "graphs", seen, "problems", len(problems))
        for p in problems[:4]:
            print("  ", p)
