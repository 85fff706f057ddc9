"""The OpInfo-derived op specs (fuzzer.ops.opinfo) and the table they come from.

The per-spec meta-test (test_op_specs.test_op_spec) runs every one of them through
generation, JSON round trip and torch eager in both renderings; these tests check what is
particular to them: the committed table is what torch's op database gives today, spellings
are distinct specs, Python scalars of another kind follow torch's promotion in infer, and
the truth of a default-dtype result is float64.
"""
from __future__ import annotations

import importlib.util
import json

import pytest
import torch

from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, generate
from fuzzer.ir import DType, Graph, TensorType
from fuzzer.materialize import build_module
from fuzzer.ops import get_spec, op_names
from fuzzer.ops.opinfo import TABLE


def _names(prefix: str = "opinfo.") -> list[str]:
    return [n for n in op_names() if n.startswith(prefix)]


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("expecttest") is None, reason="torch's op database needs expecttest")
def test_committed_table_is_what_torch_op_database_gives():
    def canonical(table: dict) -> dict:
        # what torch's op database decides: the entries and how each is spelled. Not the samples
        # kept for each: which of them run twice with equal results, and in which order torch
        # yields them, varies between runs of the table's builder (meshgrid, tensordot, zeros_like)
        return {name: (e.get("aten"), json.dumps(e.get("form"), sort_keys=True), e.get("op"))
                for name, e in table["entries"].items()}

    import subprocess
    import sys

    # in a fresh interpreter: which samples and entries the builder keeps depends on the state
    # earlier tests leave in this process (it passed alone and failed after the whole suite)
    done = subprocess.run([sys.executable, "-c", "from fuzzer.ops.opinfo_table import build_table, dumps; "
                           "import sys; sys.stdout.write(dumps(build_table()))"],
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-2000:]
    built = json.loads(done.stdout)
    assert canonical(built) == canonical(json.loads(TABLE.read_text(encoding="utf-8"))), \
        "regenerate it: python -m fuzzer.ops.opinfo_table"


def test_table_was_built_for_the_pinned_torch():
    assert json.loads(TABLE.read_text())["torch"] == torch.__version__.split("+")[0]


def test_spellings_are_distinct_specs():
    names = set(_names())
    # an alias, a method, an in-place method, a Python operator and a reflected one
    for want in ("opinfo.absolute", "opinfo.add.method", "opinfo.add.inplace", "opinfo.floor_divide.operator",
                 "opinfo.remainder.operator", "opinfo.pow.operator", "opinfo.sub.reflected"):
        assert want in names
    assert len(names) >= 350


def _node(spec_name: str, types: list[TensorType], attrs: dict) -> Graph:
    g = Graph()
    ins = [g.add_input(t) for t in types]
    spec = get_spec(spec_name)
    outs = spec.infer(types, attrs)
    g.add_node(spec_name, ins, attrs, outs)
    g.outputs = [v for n in g.op_nodes for v in n.outputs]
    return g


@pytest.mark.parametrize("dtype, scalar, want", [
    (DType.int32, 2.5, DType.float32),    # a float scalar on an int tensor: the default dtype
    (DType.bool, 3, DType.int64),         # an int scalar on a bool tensor: int64
    (DType.int8, 3, DType.int8),          # an int scalar on an int tensor: the tensor's dtype
    (DType.float16, 2.5, DType.float16),  # same kind: the tensor's dtype
])
def test_python_scalar_of_another_kind_follows_torch_promotion(dtype, scalar, want):
    t = TensorType(dtype, (2, 3))
    attrs = {"args": [scalar], "kwargs": {}}
    (out,) = get_spec("opinfo.add").infer([t], attrs)
    assert out.dtype == want
    x = torch.ones(2, 3, dtype=getattr(torch, dtype.value))
    assert torch.add(x, scalar).dtype == getattr(torch, want.value)


def test_truth_of_a_default_dtype_result_is_float64():
    """int tensor + 2.5 is float32 as deployed; its truth is computed and returned in float64."""
    spec = get_spec("opinfo.add")
    t = TensorType(DType.int32, (3,))
    g = _node("opinfo.add", [t], {"args": [2.5], "kwargs": {}, "widen": True})
    assert g.outputs[0].type.dtype == DType.float32
    x = torch.tensor([1, 2, 3], dtype=torch.int32)
    (truth,) = build_module(g, truth=True)(x)
    (deployed,) = build_module(g)(x)
    assert truth.dtype == torch.float64 and deployed.dtype == torch.float32
    assert torch.equal(truth, x.double() + 2.5)
    assert spec.draw_attrs  # drawn attrs set "widen" themselves: see test_drawn_attrs_mark_widening


def test_drawn_attrs_mark_widening():
    spec = get_spec("opinfo.add")
    sample = next(i for i, s in enumerate(spec.samples) if s["args"] == [2.5])
    note = type("Note", (), {"sample": sample})()
    attrs = spec.draw_attrs(None, [TensorType(DType.int64, tuple(spec.samples[sample]["tensors"][0]["shape"]))], note)
    assert attrs.get("widen") is True
    attrs = spec.draw_attrs(None, [TensorType(DType.float32, tuple(spec.samples[sample]["tensors"][0]["shape"]))], note)
    assert "widen" not in attrs


def test_operator_and_inplace_lowerings():
    from fuzzer.materialize.torch_source import TorchSourceContext

    ctx = TorchSourceContext()
    assert get_spec("opinfo.floor_divide.operator").torch(ctx, {"args": [{"t": 1}], "kwargs": {}}, ["a", "b"]) \
        == "(a // b)"
    assert get_spec("opinfo.sub.reflected").torch(ctx, {"args": [2.5], "kwargs": {}}, ["a"]) == "(2.5 - a)"
    assert get_spec("opinfo.add.inplace").torch(ctx, {"args": [{"t": 1}], "kwargs": {"alpha": 2}}, ["a", "b"]) \
        == "a.clone().add_(b, alpha=2)"


def test_torch_callables_counts_spellings_apart():
    from fuzzer.cli.gen import torch_callables

    t = TensorType(DType.float32, (2, 3))
    graphs = [_node("opinfo.add", [t, t], {"args": [{"t": 1}], "kwargs": {}}),
              _node("opinfo.add.method", [t, t], {"args": [{"t": 1}], "kwargs": {}}),
              _node("opinfo.add.inplace", [t, t], {"args": [{"t": 1}], "kwargs": {}}),
              _node("opinfo.sub.reflected", [t], {"args": [2.5], "kwargs": {}})]
    assert torch_callables(graphs) == {"torch.add", "Tensor.add", "Tensor.clone", "Tensor.add_", "Tensor.__rsub__"}


def test_generated_graphs_mix_opinfo_specs_with_the_others():
    seen = set()
    for seed in range(30):
        g = generate(NumpyChoices(seed), GenConfig())
        seen |= set(g.op_types())
    assert any(n.startswith("opinfo.") for n in seen) and any(not n.startswith("opinfo.") for n in seen)


def test_bucketize_sorts_its_boundaries():
    """Review 13: the graph wired the input itself in as torch.bucketize's boundaries, which must
    be sorted (else the result is undefined, and eager and the export disagreed). The call sorts them."""
    from fuzzer.ir import Graph
    from fuzzer.materialize.torch_source import module_source

    graph = Graph.from_json({"format": "onnxfuzz-graph/1", "nodes": [
        {"id": 0, "op": "input", "attrs": {}, "outputs": [{"dtype": "float32", "shape": [3]}], "inputs": []},
        {"id": 6, "op": "opinfo.bucketize", "attrs": {"args": [{"t": 1}], "kwargs": {"out_int32": True, "right": True}},
         "outputs": [{"dtype": "int32", "shape": [3]}], "inputs": [[0, 0], [0, 0]]}], "outputs": [[6, 0]]})
    assert "torch.bucketize(x0, torch.sort(x0).values, out_int32=True, right=True)" in module_source(graph)


def test_a_circular_pad_that_wraps_past_what_its_crop_leaves_is_never_drawn():
    """The maintainer review of stop 29: OpInfo's sample pads (-1, 1, -2, 1) adapted to a dim of 2
    crop all of it, and torch's circular pad then reads outside the tensor (its result changes
    from call to call, so no truth holds). Such a call is refused when drawn and when shrunk."""
    from fuzzer.errors import Rejected

    spec = get_spec("opinfo.nn.functional.pad.circular")
    attrs = {"args": [{"tuple": [-1, 1, -2, 1]}, "circular"], "kwargs": {}}
    assert "wrap past" in spec.requires([TensorType(DType.float32, (3, 3, 2, 5))], attrs)
    assert spec.requires([TensorType(DType.float32, (1, 3, 4, 4))], attrs) is None
    wraps = next(i for i, s in enumerate(spec.samples) if s["args"][0] == {"tuple": [-1, 1, -2, 1]})

    class Note:
        sample = wraps

    with pytest.raises(Rejected):
        spec.draw_attrs(None, [TensorType(DType.float32, (3, 3, 2, 5))], Note())
