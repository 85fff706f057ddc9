"""The reduction steps a reviewer asked for: an op replaced by a literal of its type, and a
variadic op cut down to fewer operands."""
from __future__ import annotations

import numpy as np

from fuzzer.ir import DType, Graph, TensorType
from fuzzer.minimize.passes import PASSES, cut_operands, delete_nodes
from fuzzer.ops import get_spec

F32 = DType.float32


def _node(g: Graph, op: str, inputs: list, attrs: dict | None = None):
    attrs = attrs or {}
    types = get_spec(op).infer([v.type for v in inputs], attrs)
    return g.add_node(op, inputs, attrs, types).outputs[0]


def test_an_op_that_builds_a_zero_can_become_a_zero_literal():
    # atan2(add(x, x, alpha=-1), c): the add only ever makes zeros
    g = Graph()
    x = g.add_input(TensorType(F32, ()))
    c = g.add_const(np.array([-1.5], dtype=np.float32))
    g.outputs = [_node(g, "atan2", [_node(g, "add", [x, x], {"alpha": -1.0}), c])]
    literal = [cand for cand in delete_nodes(g) if cand.op_types() == ["atan2"] and not cand.inputs]
    assert literal, "no candidate feeds atan2 from a literal in place of the add"
    fills = [[n.value for n in cand.consts if n.value.shape == ()] for cand in literal]
    assert [[float(v) for v in f] for f in fills] == [[0.0], [1.0]], "zeros first, then ones"
    assert all(v.dtype == np.float32 for f in fills for v in f)


def test_a_variadic_op_loses_one_operand_at_a_time():
    g = Graph()
    xs = [g.add_input(TensorType(F32, (2,))) for _ in range(4)]
    g.outputs = [_node(g, "onnx.Mean", xs)]
    cands = list(cut_operands(g))
    assert len(cands) == 4
    for cand in cands:
        (mean,) = cand.op_nodes
        assert len(mean.inputs) == 3 and len(cand.inputs) == 3, "the dropped operand's input goes too"
        assert [slot for slot in sorted(d["slot"] for *_, d in cand.nx.in_edges(mean.id, data=True))] == [0, 1, 2]


def test_a_fixed_arity_op_keeps_its_operands():
    g = Graph()
    x, y = g.add_input(TensorType(F32, (2,))), g.add_input(TensorType(F32, (2,)))
    g.outputs = [_node(g, "atan2", [x, y])]
    assert list(cut_operands(g)) == []


def test_the_reducer_runs_the_new_steps():
    names = [name for name, _ in PASSES]
    assert names.index("cut_operands") > names.index("delete_nodes")
