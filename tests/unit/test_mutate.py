"""Mutation keeps graphs valid: over many seeds, every mutated graph runs in torch eager
with exactly the inferred types (the meta-test's check), and each kind of mutation
actually happens and does what it says."""
from __future__ import annotations

import collections

import numpy as np
import pytest

from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, generate
from fuzzer.generate.mutate import KINDS, mutate
from fuzzer.ir import DType, Graph, TensorType
from seeds import SEEDS
from tests.unit.test_op_specs import _check_graph

# Ops that have long been in the registry: the test should not follow op specs still being written.
OPS = ("abs", "add", "sub", "mul", "div", "relu", "gelu", "tanh", "sigmoid", "exp", "sqrt", "cast", "conv2d",
       "linear", "matmul", "softmax", "reshape", "permute", "transpose", "flatten", "cat", "mean", "sum",
       "max_pool2d", "avg_pool2d", "unsqueeze", "slice", "clamp", "where", "eq")
CONFIG = GenConfig(ops=OPS)
ROUNDS = 12


def _bases() -> list[tuple[str, Graph]]:
    gen = [(f"generated{s}", generate(NumpyChoices(s), CONFIG)) for s in range(4)]
    return [(name, build()) for name, build in SEEDS.items()] + gen


def test_mutated_graphs_are_valid_and_every_kind_happens():
    kinds: collections.Counter = collections.Counter()
    changed = 0
    for name, base in _bases():
        before = base.dumps()
        for seed in range(ROUNDS):
            log: list[str] = []
            g = mutate(base, NumpyChoices(seed), CONFIG, log=log)
            assert base.dumps() == before, "mutate changed its input graph"
            assert 1 <= len(log) <= 3, log
            kinds.update(log)
            changed += g.dumps() != base.dumps()
            try:
                _check_graph(g, seed)
            except Exception as e:
                raise AssertionError(f"{name}, seed {seed}, mutations {log}:\n{g.summary()}") from e
            # no dangling value: every op output is read by a node or is a graph output
            assert all(v.uses() or v in g.outputs for n in g.op_nodes for v in n.outputs)
            assert all(v.producer().is_op for v in g.outputs)
    assert set(kinds) == set(KINDS), kinds
    assert changed >= 0.9 * len(_bases()) * ROUNDS


def test_mutation_is_deterministic_per_seed():
    base = SEEDS["transformer_encoder"]()
    assert mutate(base, NumpyChoices(7), CONFIG).dumps() == mutate(base, NumpyChoices(7), CONFIG).dumps()


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_alone(kind):
    """Forcing one kind (by monkeypatching the order) still yields valid graphs with the expected effect."""
    import fuzzer.generate.mutate as m

    base = SEEDS["resnet_basic"]()
    done = 0
    for seed in range(10):
        g = m._try(kind, m._renumber(base), NumpyChoices(seed), CONFIG)
        if g is None:
            continue
        done += 1
        _check_graph(g, seed)
        ops_before, ops_after = collections.Counter(base.op_types()), collections.Counter(g.op_types())
        if kind == "dtype":
            assert ops_after["cast"] == ops_before["cast"] + 2
        elif kind == "delete":
            assert len(g) < len(base)
        elif kind == "insert":
            assert len(g) > len(base)
        elif kind == "reattr":
            assert ops_after == ops_before and g.dumps() != base.dumps()
        elif kind == "replace":
            assert ops_after != ops_before
    assert done >= 5, f"{kind} applied on only {done} of 10 seeds"


def test_seed_outputs_that_are_also_used_stay_outputs():
    import fuzzer.generate.mutate as m

    g = SEEDS["unet_down"]()  # returns the skip tensor, which the pool also reads
    before = list(g.outputs)
    assert before[1].uses()
    m._finish_keeping_outputs(g)
    assert g.outputs == before


def test_imported_graphs_mutate_for_the_direct_onnx_frontend():
    """An imported node test mutated with direct-ONNX ops still builds a model the checker accepts."""
    import onnx

    from fuzzer.importer import import_node_test, node_test_cases
    from fuzzer.materialize.onnx_model import model_proto

    cases = {c[0]: c for c in node_test_cases()}
    _, model, ins, *_ = cases["test_softmax_axis_1"]
    base = import_node_test(model, ins)
    config = GenConfig(frontend="onnx", ops=("abs", "add", "mul", "sub", "exp", "tanh", "sigmoid"))
    grown = kept = 0
    for seed in range(10):
        g = mutate(base, NumpyChoices(seed), config)
        grown += len(g) > len(base)
        kept += "onnx_node" in g.op_types()  # a delete may bypass the imported node itself
        onnx.checker.check_model(model_proto(Graph.loads(g.dumps()), onnx.defs.onnx_opset_version()), full_check=True)
        _check_graph(g, seed)
    assert grown >= 3 and kept >= 5


def test_operands_of_imported_nodes_and_divisors_are_never_changed():
    """An imported node's operands (whose valid domain the IR does not know, e.g. a Mod divisor)
    and a guarded divisor keep their values: mutations only add around them."""
    from fuzzer.importer import import_node_test, node_test_cases

    cases = {c[0]: c for c in node_test_cases()}
    _, model, ins, *_ = cases["test_mod_mixed_sign_int32"]
    imported = import_node_test(model, ins)
    config = GenConfig(ops=OPS + ("neg",), dtypes=CONFIG.dtypes | {DType.int32})
    for seed in range(25):
        g = mutate(imported, NumpyChoices(seed), config)
        for n in g.op_nodes:
            if n.op_type == "onnx_node":
                assert all(v.producer().op_type == "input" for v in n.inputs), (seed, g.summary())
    # a generated integer floor division: its divisor is guarded by abs/add, which stay in place
    base = Graph()
    x = base.add_input(TensorType(DType.int64, (4,)))
    y = base.add_input(TensorType(DType.int64, (4,)))
    ay = base.add_node("abs", [y], {}, [y.type]).outputs[0]
    one = base.add_const(np.asarray(1, dtype=np.int64), DType.int64)
    safe = base.add_node("add", [ay, one], {}, [y.type]).outputs[0]
    base.outputs = base.add_node("div", [x, safe], {"rounding_mode": "floor"}, [x.type]).outputs
    for seed in range(25):
        g = mutate(base, NumpyChoices(seed), CONFIG)
        for n in g.op_nodes:
            if n.op_type == "div" and n.inputs[1].producer().op_type == "add":
                guard = n.inputs[1].producer()
                assert [v.producer().op_type for v in guard.inputs] == ["abs", "const"], g.summary()


def test_a_rebuilt_node_never_reads_the_node_it_replaces():
    """A replacement may reuse existing values as extra operands, but never the replaced
    node's own result (seen in a campaign: attention rebuilt with its old output as v)."""
    import fuzzer.generate.mutate as m
    from fuzzer.errors import Rejected
    from fuzzer.generate.builder import Builder
    from fuzzer.ops import get_spec

    base = Graph()
    q = base.add_input(TensorType(DType.float32, (1, 1, 3, 3)))
    base.outputs = base.add_node("add", [q, q], {}, [q.type]).outputs
    rebuilt = 0
    for seed in range(40):
        g = base.copy()
        try:
            m._rebuild(g, Builder(g, NumpyChoices(seed), CONFIG), g.op_nodes[0], get_spec("mul"))
        except Rejected:
            continue
        rebuilt += 1
        (node,) = g.op_nodes
        assert len(node.inputs) == 2 and all(not v.producer().is_op for v in node.inputs), g.summary()
    assert rebuilt > 0
