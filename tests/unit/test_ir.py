import numpy as np
import pytest

from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, generate
from fuzzer.ir import CONST, INPUT, DType, Graph, TensorType


def test_build_and_walk():
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (2, 3)))
    c = g.add_const(np.ones((3,), np.float32))
    node = g.add_node("add", [x, c], {"alpha": 2.0}, [TensorType(DType.float32, (2, 3))])
    y = node.outputs[0]
    g.outputs = [y]
    assert node.op_type == "add" and node.attrs == {"alpha": 2.0}
    assert node.inputs == [x, c]
    assert y.producer().id == node.id and y.index() == 0
    assert x.uses() == [(node, 0)] and c.uses() == [(node, 1)]
    assert x.producer().op_type == INPUT and c.producer().op_type == CONST
    assert [n.op_type for n in g.ancestors(y)] == [INPUT, CONST, "add"]
    assert len(g) == 1


def test_same_value_in_two_slots():
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (4,)))
    node = g.add_node("mul", [x, x], {}, [x.type])
    assert node.inputs == [x, x]
    assert x.uses() == [(node, 0), (node, 1)]


def test_json_round_trip_is_exact():
    for seed in range(30):
        g = generate(NumpyChoices(seed), GenConfig(max_nodes=12))
        data = g.to_json()
        again = Graph.from_json(data)
        assert again.to_json() == data
        for a, b in zip(g.consts, again.consts):
            assert a.value.dtype == b.value.dtype and np.array_equal(a.value, b.value)


def test_rank0_const_stays_rank0():
    g = Graph()
    c = g.add_const(np.asarray(1.5, np.float64))
    assert Graph.from_json(g.to_json()).consts[0].value.shape == ()
    assert c.type.shape == ()


def test_rejects_foreign_json():
    with pytest.raises(ValueError, match="not an onnxfuzz graph"):
        Graph.from_json({"nodes": []})


def test_remove_node_drops_outputs():
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (1,)))
    n = g.add_node("neg", [x], {}, [x.type])
    g.outputs = n.outputs
    g.remove_node(n)
    assert g.outputs == [] and len(g) == 0
