"""Meta-test over every registered op spec.

For each op, graphs restricted to it (plus cast/add, which bridge dtypes and
feed it reused values) must round-trip through JSON, run in torch eager in both
the deployed and the float64 ground-truth rendering, produce exactly the
inferred types at every node, and actually contain the op.
"""
from __future__ import annotations

import pytest
import torch

from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, draw_inputs, generate
from fuzzer.ir import FLOATS, INTS, DType, Graph, TensorType
from fuzzer.materialize import build_module, torch_inputs
from fuzzer.ops import all_specs

HELPERS = ("cast", "add")
SEEDS = range(12)
ALL_DTYPES = frozenset(FLOATS | INTS | {DType.bool})
#: the default dtype mix, then every dtype (float16/bfloat16/int8/... reach the op through cast)
CONFIGS = ("default", "all_dtypes")

TORCH_DTYPE = {d: getattr(torch, d.value) for d in DType}


def _config(name: str, kind: str) -> GenConfig:
    ops = (name,) + tuple(h for h in HELPERS if h != name)
    if kind == "all_dtypes":
        return GenConfig(ops=ops, max_nodes=4, dtypes=ALL_DTYPES)
    return GenConfig(ops=ops, max_nodes=4)


def _expected(t: TensorType, truth: bool) -> tuple[tuple[int, ...], torch.dtype]:
    dtype = DType.float64 if truth and t.dtype.is_float else t.dtype
    return t.shape, TORCH_DTYPE[dtype]


def _check_graph(g: Graph, seed: int) -> None:
    data = g.to_json()
    assert Graph.from_json(data).to_json() == data, "JSON round trip changed the graph"
    # what a campaign does: the graph it runs is the one it read back
    g = Graph.from_json(data)
    inputs = draw_inputs(g, NumpyChoices(seed + 1000))
    for truth in (False, True):
        module = build_module(g, truth=truth)
        args = torch_inputs(g, inputs, truth=truth)
        with torch.no_grad():
            outs = module(*args)
            values = module.trace(*args)
        assert len(outs) == len(g.outputs)
        for v, out in zip(g.outputs, outs):
            assert (tuple(out.shape), out.dtype) == _expected(v.type, truth), (v.name, g.summary())
        # every intermediate value too, not only the sinks
        for node in g.op_nodes:
            for v in node.outputs:
                got = values[v.name]
                assert isinstance(got, torch.Tensor), (v.name, type(got), g.summary())
                assert (tuple(got.shape), got.dtype) == _expected(v.type, truth), (
                    f"{node.op_type} {v.name}: got {tuple(got.shape)} {got.dtype}, "
                    f"inferred {v.type} (truth={truth})\n{g.summary()}"
                )


@pytest.mark.parametrize("name", [s.name for s in all_specs()])
def test_op_spec(name):
    seen = 0
    for kind in CONFIGS:
        for seed in SEEDS:
            g = generate(NumpyChoices(seed), _config(name, kind))
            seen += g.op_types().count(name)
            try:
                _check_graph(g, seed)
            except Exception as e:
                raise AssertionError(f"op {name}, config {kind}, seed {seed}:\n{g.summary()}") from e
    assert seen > 0, f"op {name} never appeared in {len(CONFIGS) * len(SEEDS)} generated graphs"


def test_registry_has_no_duplicates_and_declares_dtypes():
    names = [s.name for s in all_specs()]
    assert len(names) == len(set(names))
    for spec in all_specs():
        assert spec.dtypes, spec
        assert spec.dtypes <= ALL_DTYPES, spec
