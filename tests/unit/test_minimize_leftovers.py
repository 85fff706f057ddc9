"""What the minimizer leaves behind: weights a dropped attribute no longer reads, and the last
op of a chain whose output type differs from its input's."""
from __future__ import annotations

import io

import numpy as np
import pytest

from fuzzer.case import CaseSpec, run_case
from fuzzer.choices import NumpyChoices
from fuzzer.convert.plugins.torchscript import TorchScriptExporter
from fuzzer.generate import GenConfig, generate
from fuzzer.ir import CONST, INPUT, DType, Graph, TensorType
from fuzzer.minimize import Target, reduce
from fuzzer.minimize.passes import delete_nodes, tidy, unread_operands
from fuzzer.ops import get_spec
from fuzzer.plugin import ENV_VAR
from oracles import Kind
from tests.plugins.faulty import PLUGINS as FAULTY, negate_first

F32 = DType.float32


class BatchNormFlip(TorchScriptExporter):
    """TorchScript, then the first BatchNormalization's output negated: a fault that needs
    batch_norm itself, so the minimal graph keeps it and the reducer works on its attributes."""

    name = "bnflip"

    def export(self, request):
        return negate_first(super().export(request), "BatchNormalization")


@pytest.fixture
def bnflip(monkeypatch):
    monkeypatch.setenv(ENV_VAR, f"{FAULTY},converter:bnflip={__name__}:BatchNormFlip")


def _node(g: Graph, op: str, inputs, attrs):
    return g.add_node(op, inputs, attrs, get_spec(op).infer([v.type for v in inputs], attrs)).outputs[0]


def _reduce(g: Graph, exporter: str):
    r = run_case(CaseSpec(case_id=1, seed=5, config=GenConfig(), exporters=[exporter], runtimes=["onnxruntime"],
                          graph_json=g.dumps(), opset=17))
    [verdict] = r.failures
    return reduce(g, Target.of(verdict), 5, dict(np.load(io.BytesIO(r.inputs_npz))))


def _unread_sources(g: Graph) -> list:
    return [n for n in g.nodes if n.op_type in (INPUT, CONST) and not any(v.uses() for v in n.outputs)]


def test_weights_of_a_dropped_affine_leave_the_minimal_graph(bnflip):
    g = Graph()
    x = g.add_input(TensorType(F32, (2, 3, 4)))
    rng = np.random.default_rng(0)
    mean, var, w, b = (g.add_const(a, F32) for a in (rng.normal(size=3), rng.uniform(0.5, 2, 3), rng.normal(size=3),
                                                     rng.normal(size=3)))
    g.outputs = [_node(g, "batch_norm", [x, mean, var, w, b], {"affine": "wb", "eps": 1e-5})]
    red = _reduce(g, "bnflip")
    [bn] = red.graph.op_nodes
    assert bn.op_type == "batch_norm" and not bn.attrs.get("affine"), red.graph.summary()
    assert len(bn.inputs) == 3, "weight and bias went with the attribute that read them"
    assert len(red.graph.consts) == 2 and not _unread_sources(red.graph), red.graph.summary()
    # nor do they stay as initializers of the ONNX model built from the minimal graph
    from fuzzer.materialize.onnx_model import model_proto

    model = model_proto(red.graph, 17)
    read = {name for node in model.graph.node for name in node.input}
    assert [i.name for i in model.graph.initializer if i.name not in read] == []


def test_tidy_detaches_only_trailing_unread_operands_and_is_a_no_op_on_generated_graphs():
    g = Graph()
    x = g.add_input(TensorType(F32, (2, 3)))
    mean, var, w = (g.add_const(np.ones(3), F32) for _ in range(3))
    bn = _node(g, "batch_norm", [x, mean, var, w], {"affine": "w", "eps": 1e-5})
    g.outputs = [bn]
    assert unread_operands(bn.producer()) == 0
    g.nx.nodes[bn.node_id]["attrs"] = {"eps": 1e-5}  # as simplify_attrs drops `affine`
    assert unread_operands(bn.producer()) == 1
    t = tidy(g)
    assert len(t.consts) == 2 and len(t.op_nodes[0].inputs) == 3 and not _unread_sources(t)
    # the generator never draws an operand its op does not read: tidy leaves its graphs alone
    for seed in range(40):
        gen = generate(NumpyChoices(seed), GenConfig(max_nodes=6, ops=("batch_norm", "layer_norm", "group_norm", "tanh")))
        assert tidy(gen).to_json() == gen.to_json()


def _tanh_then_argmax() -> Graph:
    """argmax(tanh(x)): the output's dtype (int64) never equals its input's, so argmax can
    never be bypassed; signflip's fault is in the tanh alone."""
    g = Graph()
    x = g.add_input(TensorType(F32, (4, 5)))
    g.outputs = [_node(g, "argmax", [_node(g, "tanh", [x], {})], {"dim": 1, "keepdim": False})]
    return g


def test_delete_nodes_proposes_the_first_op_of_a_chain_alone():
    g = _tanh_then_argmax()
    alone = [c for c in delete_nodes(g) if c.op_types() == ["tanh"]]
    assert alone and alone[0].outputs[0].type == TensorType(F32, (4, 5))


def test_a_chain_whose_first_op_alone_fails_minimizes_to_that_op(faulty):
    red = _reduce(_tanh_then_argmax(), "signflip")
    assert red.verdict.kind is Kind.VALUE_MISMATCH
    assert red.graph.op_types() == ["tanh"], red.graph.summary()
    assert red.per_pass["delete_nodes"][1] >= 1
