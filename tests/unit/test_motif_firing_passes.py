"""The optimizer-pass motifs (fuzzer/ops/motifs_passes*.py) make their optimizers rewrite.

For each motif, a one-motif graph drawn to keep every precondition (attrs["fires"]) is built
as a direct ONNX model; each (system, rule) the motif names in `rewrites`, for onnxoptimizer,
onnxscript, onnxslim and onnxsim, must be among the rules fuzzer.coverage.firing finds changing
that model. Rules that change any model (onnxoptimizer's set_unique_name_for_nodes,
rename_input_output, split_init) would pass that trivially, so no motif may name a rule that
fires on a one-Relu model. Each motif must also draw both sides of its guard.
"""
from __future__ import annotations

import onnx
import pytest
from onnx import TensorProto, helper

from fuzzer.choices import NumpyChoices
from fuzzer.coverage.firing import fired
from fuzzer.generate import GenConfig, generate
from fuzzer.ir import CONST, INPUT
from fuzzer.materialize.onnx_model import model_proto
from fuzzer.ops import all_specs, get_spec
from fuzzer.ops.motif import FIRES, is_motif

SYSTEMS = ("onnxoptimizer", "onnxscript", "onnxslim", "onnxsim")
MOTIFS = [s.name for s in all_specs()
          if is_motif(s) and type(s).__module__.rpartition(".")[2].startswith("motifs_passes")]
SEEDS = range(300)
#: the opsets a firing model is built at: the oldest a direct model targets, and a recent one
OPSETS = (13, 18)


def _graphs(name: str, helpers: tuple[str, ...] = ()):
    spec = get_spec(name)
    config = GenConfig(ops=(name,) + helpers, frontend="onnx", max_nodes=1 + 3 * bool(helpers),
                       control_flow=spec.control_flow)
    for seed in SEEDS:
        g = generate(NumpyChoices(seed), config)
        nodes = [n for n in g.op_nodes if n.op_type == name]
        if nodes:
            yield seed, g, nodes


def _embedded(node) -> bool:
    """The motif reads an op's output that nothing else reads."""
    x = node.inputs[0]
    return x.producer().op_type not in (INPUT, CONST) and len(x.uses()) == 1


def _followed(node) -> bool:
    """The motif reads a graph input, and an op reads each of its outputs."""
    return node.inputs[0].producer().op_type == INPUT and all(v.uses() for v in node.outputs)


def _firing_graphs(name: str) -> list[tuple[str, int, object]]:
    """(placement, seed, graph): the first graph of the motif alone on a graph input, the first
    of the motif reading an `add` (embedded), and the first of the motif on a graph input with
    an `add` reading its outputs (followed); every instance drawn to fire.

    All are needed. Direct models carry no value_info, so an onnxoptimizer pass that needs an
    operand's shape or dtype (fuse_matmul_add_bias_into_gemm, eliminate_nop_cast...) sees one
    only on a graph input; and an elimination that would wire a graph input straight to a
    graph output is refused by onnxoptimizer and onnxslim."""
    found = []
    for placement, helpers, keep in (("alone", (), lambda n: True), ("embedded", ("add",), _embedded),
                                     ("followed", ("add",), _followed)):
        for seed, g, nodes in _graphs(name, helpers):
            if all(n.attrs[FIRES] and keep(n) for n in nodes):
                found.append((placement, seed, g))
                break
    assert found, f"{name}: no instance drawn to fire in {len(SEEDS)} seeds"
    return found


def test_there_are_enough_pass_motifs():
    assert len(MOTIFS) >= 25, MOTIFS


@pytest.mark.parametrize("name", MOTIFS)
def test_motif_fires_its_rules(name):
    """Each rule the motif names fires, at both opsets, in the motif's graph alone or embedded."""
    spec = get_spec(name)
    wanted = [(s, r) for s, r in spec.rewrites if s in SYSTEMS]
    assert wanted, f"{name} names no rule of {SYSTEMS}"
    graphs = _firing_graphs(name)
    for opset in OPSETS:
        got: dict[str, set[str]] = {}
        for _, _, g in graphs:
            model = model_proto(g, max(opset, spec.min_opset))
            onnx.checker.check_model(model, full_check=True)
            data = model.SerializeToString()
            for system in {s for s, _ in wanted}:
                rules = [r for s, r in wanted if s == system]
                got.setdefault(system, set()).update(fired(system, data, only=rules))
        missing = [(s, r) for s, r in wanted if r not in got[s]]
        where = "; ".join(f"{p} seed {seed}" for p, seed, _ in graphs)
        assert not missing, (f"{name} ({where}, opset {opset}): did not fire {missing}; fired "
                             f"{ {s: sorted(v) for s, v in got.items()} }\n" + "\n".join(g.summary() for _, _, g in graphs))


@pytest.mark.parametrize("name", MOTIFS)
def test_motif_draws_both_sides_of_its_guard(name):
    sides = {n.attrs[FIRES] for _, _, nodes in _graphs(name) for n in nodes}
    assert sides == {True, False}, f"{name} drew only fires={sides}"


def test_no_motif_names_a_rule_that_fires_on_any_model():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu", [x], [y])
    trivial = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()
    always = {system: fired(system, trivial) for system in SYSTEMS}
    # the check can tell: onnxoptimizer's renaming passes change even this model
    assert "set_unique_name_for_nodes" in always["onnxoptimizer"]
    claimed = [(name, s, r) for name in MOTIFS for s, r in get_spec(name).rewrites if s in SYSTEMS]
    assert not [c for c in claimed if c[2] in always[c[1]]]


def test_fired_looks_at_the_rules_asked_for_only():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2]),
             helper.make_node("Transpose", ["t"], ["y"], perm=[2, 1, 0])]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()
    asked = ["fuse_consecutive_transposes", "eliminate_nop_cast"]
    assert fired("onnxoptimizer", model, only=asked) == {"fuse_consecutive_transposes"}
    assert fired("onnxsim", model, only=["eliminate_nop_cast"]) == set()
    assert "TransposeTranspose" in fired("onnxscript", model)
    assert fired("onnxslim", model, only=["EliminationTranspose"]) == {"EliminationTranspose"}


@pytest.mark.parametrize("name", MOTIFS[:: max(1, len(MOTIFS) // 8)])
def test_motif_requires_its_drawn_operand_types(name):
    """The minimizer may not retype one operand of a motif alone: its pattern was drawn for them."""
    _, g, nodes = next(_graphs(name))
    node, spec = nodes[0], get_spec(name)
    types = [v.type for v in node.inputs]
    assert spec.requires(types, node.attrs) is None
    other = types[0].with_shape(tuple(d + 1 for d in types[0].shape))
    assert spec.requires([other] + types[1:], node.attrs) is not None
