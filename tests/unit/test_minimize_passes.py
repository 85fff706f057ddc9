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


def test_a_loop_body_loses_one_step_at_a_time_down_to_identity():
    # the 697ab9 shape: a Loop whose body is one Relu; the Relu plays no part in the failure
    from fuzzer.minimize.passes import drop_body_steps
    from fuzzer.minimize.reducer import _size

    g = Graph()
    x = g.add_input(TensorType(F32, (1, 1)))
    attrs = {"body": [{"args": [-1], "attrs": {}, "op": "relu"}, {"args": [-1], "attrs": {}, "op": "tanh"}],
             "iter_scale": None, "omit_cond": False, "pred": None, "scan": True, "trips": 3}
    loop = g.add_node("onnx_loop", [x], attrs, get_spec("onnx_loop").infer([x.type], attrs))
    g.outputs = [loop.outputs[1]]
    cands = list(drop_body_steps(g))
    assert [[st["op"] for st in c.op_nodes[0].attrs["body"]] for c in cands] == [["tanh"], ["relu"]]
    assert all(_size(c) < _size(g) for c in cands), "a body step counts, or the reducer would refuse the candidate"
    empty = list(drop_body_steps(cands[0]))
    assert len(empty) == 1 and empty[0].op_nodes[0].attrs["body"] == []
    assert "drop_body_steps" in [name for name, _ in PASSES]


def test_an_optional_input_of_an_onnx_node_can_go_with_its_constant():
    # the 951596 shape: Relu -> Clip(x, min, max); Clip(x, min) shows the failure as well
    import onnx
    from onnx import TensorProto, helper

    from fuzzer.minimize.onnx_model import reduce_model

    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Constant", [], ["lo"], value=helper.make_tensor("lo", TensorProto.DOUBLE, [], [-1.0])),
             helper.make_node("Constant", [], ["hi"], value=helper.make_tensor("hi", TensorProto.DOUBLE, [], [1.0])),
             helper.make_node("Clip", ["r", "lo", "hi"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [])],
                              [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])

    def holds(m):  # stands for "ORT's FuseReluClip still fails": a Relu feeding a Clip with a constant min
        ops = {n.output[0]: n for n in m.graph.node}
        return any(n.op_type == "Clip" and len(n.input) >= 2 and ops.get(n.input[1]) and ops[n.input[1]].op_type == "Constant"
                   and n.input[0] in ops and ops[n.input[0]].op_type == "Relu" for n in m.graph.node)

    best, _ = reduce_model(model, holds, 60)
    onnx.checker.check_model(best, full_check=True)
    assert [n.op_type for n in best.graph.node] == ["Relu", "Constant", "Clip"]
    assert list(best.graph.node[-1].input) == ["r", "lo"], "max dropped, and its Constant with it"


def test_the_last_op_goes_even_where_no_input_has_its_type():
    # the 8cc127 shape: DequantizeLinear -> Reshape -> ArgMax; the failure is in DequantizeLinear ->
    # Reshape, and no input of ArgMax (float) has its output's type (int64), so no bypass can drop it
    import onnx
    from onnx import TensorProto, helper

    from fuzzer.minimize.onnx_model import reduce_model

    inits = [helper.make_tensor("s", TensorProto.FLOAT, [], [0.5]), helper.make_tensor("z", TensorProto.INT8, [], [0]),
             helper.make_tensor("shape", TensorProto.INT64, [1], [-1])]
    nodes = [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["d"]), helper.make_node("Reshape", ["d", "shape"], ["r"]),
             helper.make_node("ArgMax", ["r"], ["y"], axis=0, keepdims=0)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.INT8, [3])],
                              [helper.make_tensor_value_info("y", TensorProto.INT64, [])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])

    def holds(m):  # stands for "the optimizer still fails": a DequantizeLinear feeding a Reshape
        made = {o: n.op_type for n in m.graph.node for o in n.output}
        return any(n.op_type == "Reshape" and made.get(n.input[0]) == "DequantizeLinear" for n in m.graph.node)

    best, _ = reduce_model(model, holds, 60)
    onnx.checker.check_model(best, full_check=True)
    assert [n.op_type for n in best.graph.node] == ["DequantizeLinear", "Reshape"]
    assert [o.name for o in best.graph.output] == ["r"]


def test_a_node_of_constants_alone_becomes_the_constant_it_makes():
    # the 163424 shape: ReduceMean(x, Reshape(Constant [], Constant [-1])); the Reshape's output type
    # (int64[?]) is not its input's (int64[0]), so no bypass stands in; its value does
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from fuzzer.minimize.onnx_model import reduce_model

    nodes = [helper.make_node("Constant", [], ["shape"], value_ints=[-1]),
             helper.make_node("Constant", [], ["empty"], value=numpy_helper.from_array(np.zeros(0, np.int64), "empty")),
             helper.make_node("Reshape", ["empty", "shape"], ["axes"]),
             helper.make_node("ReduceMean", ["x", "axes"], ["y"], keepdims=0)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])

    def holds(m):  # stands for "the runtime still gets the shape wrong": a ReduceMean of x given axes, fed x alone
        return [i.name for i in m.graph.input] == ["x"] and any(
            n.op_type == "ReduceMean" and len(n.input) == 2 and n.input[0] == "x" for n in m.graph.node)

    best, _ = reduce_model(model, holds, 60)
    onnx.checker.check_model(best, full_check=True)
    assert [n.op_type for n in best.graph.node] == ["Constant", "ReduceMean"]
    assert numpy_helper.to_array(best.graph.node[0].attribute[0].t).shape == (0,)
