"""A reduction keeps each op's preconditions and the generator's validity rules: shrinking an
RNN's bias to one element is a graph torch runs (it broadcasts) but the generator never builds,
and its failure would be another one."""
from __future__ import annotations

import numpy as np
import pytest

from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, generate
from fuzzer.ir import CONST, DType, Graph, TensorType
from fuzzer.minimize.passes import retype, shrink_shapes
from fuzzer.minimize.validity import Validity
from fuzzer.ops import get_spec

RECURRENT = ("lstm", "gru", "rnn_tanh", "rnn_relu")


def _recurrent_graphs(n=40):
    cfg = GenConfig(min_nodes=1, max_nodes=3, ops=RECURRENT, dtypes=frozenset({"float32"}))
    for seed in range(n):
        g = generate(NumpyChoices(seed), cfg)
        if any(op in RECURRENT for op in g.op_types()):
            yield g


def test_drawn_recurrent_layers_keep_their_own_preconditions():
    seen = 0
    for g in _recurrent_graphs():
        for node in g.op_nodes:
            why = get_spec(node.op_type).requires([v.type for v in node.inputs], node.attrs)
            assert why is None, why
            seen += node.op_type in RECURRENT
    assert seen >= 5


def _with_biases():
    for g in _recurrent_graphs(200):
        node = next((n for n in g.op_nodes if n.op_type in RECURRENT and n.attrs["has_biases"]), None)
        if node is not None:
            return g, node
    pytest.skip("no recurrent layer with biases drawn")


def test_a_bias_shrunk_to_one_element_is_refused_though_torch_would_run_it():
    g, node = _with_biases()
    bias = next(v for v in node.inputs[1:] if v.type.rank == 1 and v.producer().op_type == CONST)
    c = g.copy()
    c.set_const(c.node(bias.node_id), np.ascontiguousarray(bias.producer().value[:1]))
    assert retype(c) is None
    for candidate in shrink_shapes(g):
        for n in candidate.op_nodes:
            assert get_spec(n.op_type).requires([v.type for v in n.inputs], n.attrs) is None


def test_a_layer_whose_layout_attribute_went_is_refused_not_raised():
    from fuzzer.minimize.passes import simplify_attrs

    g, node = _with_biases()
    c = g.copy()
    attrs = dict(node.attrs)
    del attrs["batch_first"]
    c.nx.nodes[node.id]["attrs"] = attrs
    assert retype(c) is None
    assert all(n.op_type not in RECURRENT or "batch_first" in n.attrs for cand in simplify_attrs(g) for n in cand.op_nodes)


def _tanh() -> Graph:
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (3, 4)))
    g.outputs = [g.add_node("tanh", [x], {}, get_spec("tanh").infer([x.type], {})).outputs[0]]
    return g


def test_a_candidate_whose_direct_model_is_invalid_is_refused():
    g = _tanh()
    rules = Validity(g)
    assert rules.direct and rules.why_not(g) is None
    broken = g.copy()  # an input reshaped without re-typing what reads it: declared and inferred shapes differ
    x = broken.inputs[0]
    broken.set_output_types(x.producer(), [TensorType(DType.float32, (2, 4))])
    assert "Inferred shape and existing shape differ" in rules.why_not(broken)
    assert rules.refused == 1
    # a graph whose own direct model is invalid is not held to the rule (nothing would be kept)
    assert not Validity(broken).direct


def test_a_candidate_whose_gather_index_passes_the_end_is_refused():
    """Review 10: shrinking a Shape left a Gather index past its end, which the checker passes and
    onnxoptimizer then crashed on. The original's indices fit: the candidate must keep them fitting."""
    def graph(size):
        g = Graph()
        x = g.add_input(TensorType(DType.float32, (size,)))
        i = g.add_const(np.array([2], dtype=np.int64), DType.int64)
        (y,) = g.add_node("index_select", [x, i], {"dim": 0}, [TensorType(DType.float32, (1,))]).outputs
        g.outputs = [y]
        return g

    rules = Validity(graph(3))
    assert rules.why_not(graph(3)) is None
    assert "Gather's indices" in (rules.why_not(graph(1)) or "")


def test_a_weight_shrunk_to_rank_0_is_0_d():
    """shrink_ranks takes a [1] weight to a 0-d one (np.ascontiguousarray had made it [1] again,
    so the pass offered the same graph back)."""
    from fuzzer.minimize.passes import shrink_ranks

    g = Graph()
    x = g.add_input(TensorType(DType.float32, (2,)))
    w = g.add_const(np.array([3.0], dtype=np.float32), DType.float32)
    (y,) = g.add_node("add", [x, w], {}, [TensorType(DType.float32, (2,))]).outputs
    g.outputs = [y]
    shapes = [next(n for n in c.nodes if n.op_type == CONST).value.shape for c in shrink_ranks(g)]
    assert () in shapes, shapes


def test_a_candidate_whose_opset_floor_needs_a_dropped_attribute_is_refused_not_raised():
    """Review 26's campaign: simplify_attrs dropped Multinomial's logits dtype, which its spec's
    opset floor reads, and the triage of that signature failed on a KeyError."""
    from fuzzer.minimize.passes import simplify_attrs

    spec = get_spec("Multinomial")
    attrs = {"logits": "float32", "dtype": None, "sample_size": 3, "seed": 1.5}
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (2, 4)))
    g.outputs = [g.add_node("Multinomial", [x], attrs, spec.infer([x.type], attrs)).outputs[0]]
    rules = Validity(g)
    assert rules.direct and rules.why_not(g) is None
    dropped = [c for c in simplify_attrs(g) if "logits" not in c.op_nodes[0].attrs]
    assert dropped, "simplify_attrs no longer offers the candidate this test is about"
    assert "cannot be built" in (rules.why_not(dropped[0]) or "")
