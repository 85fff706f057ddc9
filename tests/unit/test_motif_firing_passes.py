"""The optimizer-pass motifs (fuzzer/ops/motifs_passes*.py) make their optimizers rewrite.

For each motif, a one-motif graph drawn to keep every precondition (attrs["fires"]) is built
as a direct ONNX model; each (system, rule) the motif names in `rewrites`, for onnxoptimizer,
onnxscript and onnxslim, must be among the rules fuzzer.coverage.firing finds changing that
model. Rules that change any model (onnxoptimizer's set_unique_name_for_nodes,
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
from fuzzer.materialize.onnx_model import model_proto
from fuzzer.ops import all_specs, get_spec
from fuzzer.ops.motif import FIRES, is_motif

SYSTEMS = ("onnxoptimizer", "onnxscript", "onnxslim")
MOTIFS = [s.name for s in all_specs()
          if is_motif(s) and type(s).__module__.rpartition(".")[2].startswith("motifs_passes")]
SEEDS = range(60)
#: the opsets a firing model is built at: the oldest a direct model targets, and a recent one
OPSETS = (13, 18)


def _graphs(name: str):
    config = GenConfig(ops=(name,), frontend="onnx", max_nodes=1)
    for seed in SEEDS:
        g = generate(NumpyChoices(seed), config)
        nodes = [n for n in g.op_nodes if n.op_type == name]
        if nodes:
            yield seed, g, nodes


def _firing_graph(name: str):
    """(seed, graph) of the first seed whose graph holds the motif, every instance drawn to fire."""
    for seed, g, nodes in _graphs(name):
        if all(n.attrs[FIRES] for n in nodes):
            return seed, g
    raise AssertionError(f"{name}: no instance drawn to fire in {len(SEEDS)} seeds")


def test_there_are_enough_pass_motifs():
    assert len(MOTIFS) >= 25, MOTIFS


@pytest.mark.parametrize("name", MOTIFS)
def test_motif_fires_its_rules(name):
    spec = get_spec(name)
    wanted = [(s, r) for s, r in spec.rewrites if s in SYSTEMS]
    assert wanted, f"{name} names no rule of {SYSTEMS}"
    seed, g = _firing_graph(name)
    for opset in OPSETS:
        model = model_proto(g, max(opset, spec.min_opset))
        onnx.checker.check_model(model, full_check=True)
        data = model.SerializeToString()
        for system in sorted({s for s, _ in wanted}):
            got = fired(system, data)
            missing = [r for s, r in wanted if s == system and r not in got]
            assert not missing, f"{name} (seed {seed}, opset {opset}): {system} did not fire {missing}; fired {sorted(got)}\n{g.summary()}"


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
