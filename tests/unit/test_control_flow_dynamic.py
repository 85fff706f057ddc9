"""Control flow under dynamic shapes: direct If/Loop/Scan models declare body ranks only, and
a re-typed Scan whose scanned inputs no longer agree is refused (so the plan keeps them static)."""
import onnx
import pytest

from fuzzer.case import CaseSpec, run_case
from fuzzer.generate import GenConfig
from fuzzer.generate.dynamic import retype
from fuzzer.ir import DType, Graph, TensorType
from fuzzer.materialize.onnx_model import model_proto
from fuzzer.ops.control import COMBINE

F32 = DType.float32
CONTROL = {"onnx_if", "onnx_loop", "onnx_scan", "cond", "while_loop", "scan"}


def _body_shapes(model) -> list[list]:
    """The declared dims of every subgraph input and output (None for a symbolic dim)."""
    out = []

    def walk(graph):
        for node in graph.node:
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    for vi in [*attr.g.input, *attr.g.output]:
                        dims = vi.type.tensor_type.shape.dim
                        out.append([d.dim_value if d.HasField("dim_value") else None for d in dims])
                    walk(attr.g)

    walk(model.graph)
    return out


def _if_graph() -> Graph:
    """cond on x (batch 3): then tanh, else neg; the predicate is x.mean() > 0."""
    g = Graph()
    x = g.add_input(TensorType(F32, (3, 4)))
    attrs = {"pred": {"reduce": "mean", "cmp": ">", "threshold": 0.0},
             "then": [{"op": "tanh", "attrs": {}, "args": [-1]}], "else": [{"op": "neg", "attrs": {}, "args": [-1]}]}
    g.outputs = list(g.add_node("cond", [x], attrs, [x.type]).outputs)
    return g


def test_a_dynamic_direct_model_declares_body_ranks_only_and_a_static_one_full_shapes():
    g = _if_graph()
    static = model_proto(g, 18)
    assert _body_shapes(static) and all(None not in dims for dims in _body_shapes(static))
    dynamic = model_proto(g, 18, dynamic={g.inputs[0].name: {0: "d0"}})
    shapes = _body_shapes(dynamic)
    assert shapes and all(dims == [None, None] for dims in shapes)
    onnx.checker.check_model(dynamic, full_check=True)
    # the model no longer depends on the size it was typed at: the case can declare the dim dynamic
    other = retype(g, {g.inputs[0].name: (5, 4)})
    assert model_proto(other, 18, dynamic={g.inputs[0].name: {0: "d0"}}).SerializeToString() == dynamic.SerializeToString()


def test_the_if_model_is_judged_at_every_size():
    g = _if_graph()
    stored = {"dims": {g.inputs[0].name: {"0": "d0"}}, "base": {"d0": 3}, "sizes": [{"d0": 1}, {"d0": 5}]}
    r = run_case(CaseSpec(case_id=1, seed=2, config=GenConfig(), exporters=["onnx-direct"],
                          runtimes=["onnxruntime", "onnx-reference"], graph_json=g.dumps(), dynamic=stored, opset=18))
    assert [v.kind.value for v in r.verdicts] == ["pass", "pass"], [v.error for v in r.verdicts]
    assert all(v.stats.get("sizes") == 3 for v in r.verdicts)


def _scan_two(x_len: int, z_len: int) -> Graph:
    """onnx_scan over x (scanned along 0) and z (scanned along 1), carry of x's slice type."""
    g = Graph()
    x = g.add_input(TensorType(F32, (x_len, 4)))
    init = g.add_input(TensorType(F32, (4,)))
    z = g.add_input(TensorType(F32, (4, z_len)))
    attrs = {"axis": 0, "reverse": False, "combine": sorted(COMBINE)[0],
             "body": [], "out": [], "two": True, "axis2": 1, "reverse2": False, "out_axis": 0, "out_reverse": False}
    node = g.add_node("onnx_scan", [x, init, z], attrs, [TensorType(F32, (4,)), TensorType(F32, (x_len, 4))])
    g.outputs = list(node.outputs)
    return g


def test_a_scan_whose_scanned_inputs_disagree_in_length_is_not_retyped():
    g = _scan_two(3, 3)
    assert retype(g, {g.inputs[0].name: (5, 4), g.inputs[2].name: (4, 5)}) is not None
    # torch's zip would stop at the shorter input and ONNX Scan refuses the model: no such size
    assert retype(g, {g.inputs[0].name: (5, 4)}) is None
    assert retype(g, {g.inputs[1].name: (2,)}) is None, "the carry must keep a slice's shape"


@pytest.mark.parametrize("seed", range(6))
def test_generated_dynamic_control_flow_cases_pass_on_onnxruntime_at_every_size(seed):
    ops = ("onnx_if", "onnx_loop", "onnx_scan", "add", "tanh")
    config = GenConfig(ops=ops, max_nodes=4, control_flow=True, dynamic=True, dtypes=frozenset({F32}))
    r = run_case(CaseSpec(case_id=1, seed=seed, config=config, exporters=["onnx-direct"], runtimes=["onnxruntime"],
                          opset=18))
    for v in r.verdicts:  # onnxruntime implements every axis and direction of Scan
        assert v.kind.value in ("pass", "unstable"), v.error
    if r.dynamic is not None and CONTROL & set(r.ops):
        assert all(v.stats.get("sizes", 1) > 1 for v in r.verdicts), "a dynamic direct model is judged at every size"


def test_a_branch_whose_operand_no_longer_broadcasts_is_not_retyped():
    """onnx_if reading y (4, 2) in its then branch: y may shrink to (4, 1), which still
    broadcasts, but not grow to (4, 4). Python's conditional runs only the taken branch, so the
    truth cannot tell; every ONNX runtime types both branches."""
    g = Graph()
    x = g.add_input(TensorType(F32, (4, 2)))
    y = g.add_input(TensorType(F32, (4, 2)))
    p = g.add_input(TensorType(F32, (1,)))
    attrs = {"pred": {"reduce": "sum", "cmp": "<", "threshold": 0.0},
             "then": [{"op": "atan2", "attrs": {}, "args": [1, -1]}],
             "else": [{"op": "tanh", "attrs": {}, "args": [-1]}]}
    g.outputs = list(g.add_node("onnx_if", [x, y, p], attrs, [x.type]).outputs)
    assert retype(g, {y.name: (4, 1)}) is not None
    assert retype(g, {y.name: (4, 4)}) is None
    assert retype(g, {x.name: (3, 2), y.name: (3, 2)}) is not None
