"""Direct models at old opsets: each op whose form changed is built in the form of the version in
force (fuzzer.materialize.opset_forms), passes the full checker with strict shape inference, and
onnxruntime's outputs agree with the torch float64 truth under the campaign's judge, at an old
opset and at a new one.

Graphs are drawn by the generator for one op (the first seed whose graph can be built at the old
opset), so each test follows the spec's own attribute format.
"""
from __future__ import annotations

import numpy as np
import onnx
import pytest

from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, generate
from fuzzer.ir import FLOATS, INTS, DType, Graph, TensorType
from fuzzer.materialize.onnx_model import lowest_opset, model_proto
from fuzzer.materialize.opset_forms import OlderFormMissing
from fuzzer.ops import get_spec, graph_opset_floor
from fuzzer.run.eager import reference
from oracles import judge_outputs
from oracles.verdict import Kind

NEWEST = onnx.defs.onnx_opset_version()
ALL = frozenset(FLOATS | INTS | {DType.bool}) - {DType.bfloat16}


def _graph(name: str, at_most: int, where=lambda g: True, dtypes=ALL, seeds=range(80)) -> Graph:
    """The first drawn graph of op `name` alone that can be built at opset at_most (and keeps where)."""
    spec = get_spec(name)
    for seed in seeds:
        try:
            g = generate(NumpyChoices(seed), GenConfig(ops=(name,), max_nodes=1, frontend="onnx", dtypes=dtypes,
                                                       control_flow=spec.control_flow))
        except Exception:
            continue
        if name in g.op_types() and lowest_opset(g) <= at_most and where(g):
            return g
    raise AssertionError(f"no graph of {name} buildable at opset {at_most} in {len(seeds)} seeds")


def _judged(g: Graph, opset: int) -> onnx.ModelProto:
    """The direct model at opset: valid, and onnxruntime's outputs pass the judge against the truth."""
    import onnxruntime as ort

    model = model_proto(g, opset)
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    got = reference(g, NumpyChoices(7))
    assert got is not None, "no finite truth"
    ref, inputs = got
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    outs = sess.run(None, {v.name: inputs[v.name] for v in g.inputs})
    verdict = judge_outputs(ref, outs, f"onnx-direct@{opset}", "onnxruntime")
    assert verdict.kind in (Kind.PASS, Kind.UNSTABLE), f"opset {opset}: {verdict.kind}: {verdict.error}\n{g.summary()}"
    return model


def _nodes(model, op: str):
    found = [n for n in model.graph.node if n.op_type == op]
    assert found, f"no {op} in {[n.op_type for n in model.graph.node]}"
    return found


def _attrs(node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


# (spec, onnx op, old opset, the opset the form changed at, the attribute that was an input)
MOVED = [
    ("squeeze", "Squeeze", 12, 13, "axes"),
    ("unsqueeze", "Unsqueeze", 12, 13, "axes"),
    ("sum", "ReduceSum", 12, 13, "axes"),
    ("amax", "ReduceMax", 17, 18, "axes"),
    ("clamp", "Clip", 10, 11, None),  # min and/or max
    ("pad", "Pad", 10, 11, "pads"),
    ("slice", "Slice", 9, 10, "starts"),
    ("topk", "TopK", 9, 10, "k"),
]


@pytest.mark.parametrize("name,op,old,new,attr", MOVED, ids=[m[0] for m in MOVED])
def test_an_operand_older_versions_take_as_an_attribute(name, op, old, new, attr):
    g = _graph(name, old, where=lambda g: any(n.op_type == op and len(n.input) > 1
                                              for n in model_proto(g, max(new, lowest_opset(g))).graph.node))
    before = _nodes(_judged(g, old), op)
    after = _nodes(_judged(g, max(new, lowest_opset(g))), op)
    assert all(len(n.input) == 1 for n in before), [list(n.input) for n in before]
    if attr is not None:
        assert all(attr in _attrs(n) for n in before)
    else:
        assert all({"min", "max"} & set(_attrs(n)) for n in before)
    assert any(len(n.input) > 1 for n in after)
    assert attr is None or not any(attr in _attrs(n) for n in after)


def test_split_sizes_as_an_attribute_before_13():
    g = _graph("split", 12, where=lambda g: any(len(n.input) == 2 for n in model_proto(g, 13).graph.node
                                                if n.op_type == "Split"))
    (old,) = _nodes(_judged(g, 12), "Split")
    assert len(old.input) == 1 and "split" in _attrs(old)
    (new,) = _nodes(_judged(g, 13), "Split")
    assert len(new.input) == 2


@pytest.mark.parametrize("by", ["scale_factor", "size"])
def test_nearest_upsampling_is_upsample_before_10_and_resize_10_at_10(by):
    def nearest(g):
        return any(n.attrs.get("mode") == "nearest" and by in n.attrs for n in g.op_nodes)

    g = _graph("interpolate", 7, where=nearest, seeds=range(400))
    (up7,) = _nodes(_judged(g, 7), "Upsample")
    assert len(up7.input) == 1 and _attrs(up7)["scales"]
    (up9,) = _nodes(_judged(g, 9), "Upsample")
    assert len(up9.input) == 2
    (r10,) = _nodes(_judged(g, 10), "Resize")
    assert len(r10.input) == 2
    (r11,) = _nodes(_judged(g, 11), "Resize")
    assert r11.input[1] and r11.input[2]  # roi and scales are required inputs in Resize 11 and 12
    _judged(g, NEWEST)


def test_resize_modes_older_versions_lack_need_opset_11():
    g = _graph("interpolate", 11, where=lambda g: any(n.attrs.get("mode") in ("bilinear", "bicubic") for n in g.op_nodes))
    assert lowest_opset(g) == 11
    with pytest.raises(OlderFormMissing):
        model_proto(g, 10)
    _judged(g, 11)


def test_softmax_over_an_inner_axis_before_13_is_taken_over_the_last_between_transposes():
    def inner(g):
        n = g.op_nodes[0]
        rank = n.inputs[0].type.rank
        return rank >= 2 and n.attrs["dim"] % rank != rank - 1 and n.inputs[0].type.shape[-1] > 1

    for name, op in (("softmax", "Softmax"), ("log_softmax", "LogSoftmax")):
        g = _graph(name, 7, where=inner, dtypes=frozenset({DType.float32}))
        old = _judged(g, 7)
        rank = g.op_nodes[0].inputs[0].type.rank
        (node,) = _nodes(old, op)
        assert _attrs(node)["axis"] == rank - 1
        assert len(_nodes(old, "Transpose")) == 2
        assert not [n for n in _judged(g, 13).graph.node if n.op_type == "Transpose"]


def test_negative_axes_are_made_non_negative_before_11():
    def negative(g):
        return any(isinstance(v, int) and v < 0 for n in g.op_nodes for v in
                   [n.attrs.get("dim")] + list(n.attrs.get("dims") or ()))

    def squeezes(g):
        return negative(g) and any(n.op_type == "Squeeze" for n in model_proto(g, 13).graph.node)

    g = _graph("squeeze", 10, where=squeezes, dtypes=frozenset({DType.float32}), seeds=range(300))
    (node,) = _nodes(_judged(g, 10), "Squeeze")
    assert all(a >= 0 for a in _attrs(node)["axes"])
    _judged(g, 11)


def test_argmax_select_last_index_needs_opset_12():
    last = _graph("onnx.ArgMax", 12, where=lambda g: g.op_nodes[0].attrs.get("select_last_index"))
    assert lowest_opset(last) == 12
    with pytest.raises(OlderFormMissing, match="select_last_index"):
        model_proto(last, 11)
    _judged(last, 12)
    first = _graph("onnx.ArgMax", 7, where=lambda g: not g.op_nodes[0].attrs.get("select_last_index"),
                   dtypes=frozenset({DType.float32}))
    _judged(first, 7)


def test_max_of_int8_is_widened_before_12():
    g = _graph("Max", 8, where=lambda g: len(g.op_nodes[0].inputs) > 1, dtypes=frozenset({DType.int8}))
    assert _nodes(_judged(g, 11), "Cast")
    assert not [n for n in _judged(g, 12).graph.node if n.op_type == "Cast"]


def test_variadic_max_broadcasts_from_8_only():
    def broadcasting(g):
        return len({v.type.shape for v in g.op_nodes[0].inputs}) > 1

    g = _graph("Max", 8, where=broadcasting, dtypes=frozenset({DType.float32}))
    assert lowest_opset(g) == 8
    _judged(g, 8)


def test_batch_norm_from_opset_7():
    g = _graph("batch_norm", 7, dtypes=frozenset({DType.float32}))
    _judged(g, 7)
    _judged(g, 9)
    _judged(g, 14)


def test_depth_to_space_crd_needs_opset_11():
    crd = _graph("pixel_shuffle", 11, dtypes=frozenset({DType.float32}))  # torch's pixel_shuffle is CRD
    assert lowest_opset(crd) == 11
    _judged(crd, 11)
    dcr = _graph("DepthToSpace", 7, where=lambda g: g.op_nodes[0].attrs.get("mode", "DCR") == "DCR",
                 dtypes=frozenset({DType.float32}))
    _judged(dcr, 7)


def test_bfloat16_needs_opset_13():
    g = _graph("relu", 13, where=lambda g: any(v.type.dtype == DType.bfloat16 for v in g.values()),
               dtypes=frozenset({DType.bfloat16}))
    assert graph_opset_floor(g) == 13 and lowest_opset(g) == 13


def test_ops_a_lowering_emits_set_the_floor():
    # atan2's lowering uses Where (9) and Equal on floats (11); no spec lists that knowledge
    g = _graph("atan2", NEWEST, dtypes=frozenset({DType.float32}))
    assert lowest_opset(g) == 11
    with pytest.raises(NotImplementedError):
        model_proto(g, 10)


def test_an_op_before_its_first_version_has_no_form():
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (2, 3)))
    node = g.add_node("erf", [x], {}, [TensorType(DType.float32, (2, 3))])
    g.outputs = list(node.outputs)
    assert lowest_opset(g) == 9  # Erf exists from 9
    with pytest.raises(NotImplementedError, match="not exist"):
        model_proto(g, 8)
    np.testing.assert_equal(len(_judged(g, 9).graph.node), 1)


def test_max_pool_1_drops_dilations_of_one_and_indices_need_8():
    plain = _graph("max_pool2d", 7, where=lambda g: not g.op_nodes[0].attrs.get("return_indices"),
                   dtypes=frozenset({DType.float32}))
    (node,) = _nodes(_judged(plain, 7), "MaxPool")
    assert "dilations" not in _attrs(node) and len(node.output) == 1
    assert _attrs(_nodes(_judged(plain, 10), "MaxPool")[0])["dilations"]
    indices = _graph("max_pool2d", NEWEST, where=lambda g: g.op_nodes[0].attrs.get("return_indices"),
                     dtypes=frozenset({DType.float32}))
    assert lowest_opset(indices) >= 8
    _judged(indices, lowest_opset(indices))


def test_an_int8_max_pool_before_12_is_computed_widened():
    # MaxPool takes int8 from 12: before, the lowering computes it in float (exact for int8)
    g = _graph("max_pool2d", 7, where=lambda g: g.op_nodes[0].inputs[0].type.rank == 3 and
               not g.op_nodes[0].attrs.get("return_indices"), dtypes=frozenset({DType.int8}))
    assert [n.op_type for n in _judged(g, 7).graph.node].count("Cast") == 2
    assert "Cast" not in [n.op_type for n in _judged(g, 12).graph.node]


def test_the_dtype_of_a_reshaped_value_is_known_to_the_older_forms():
    """A value an op made from an IR operand keeps a known dtype (OnnxContext.dtype_of): an
    unwidened op on it at an opset whose version does not take that dtype has no form there."""
    from fuzzer.materialize.onnx_model import OnnxContext

    ctx = OnnxContext(11)
    ctx.types["x"] = TensorType(DType.int8, (2, 3))
    (flat,) = ctx.node("Reshape", ["x", ctx.ints([6])])
    assert ctx.dtype_of(flat) == DType.int8 and ctx.rank_of(flat) is None
    (wide,) = ctx.node("Cast", [flat], to=ctx.elem(DType.float32))
    assert ctx.dtype_of(wide) == DType.float32
    with pytest.raises(OlderFormMissing, match="int8"):
        ctx.node("Max", [flat, flat])  # Max takes int8 from 12
    ctx.node("Max", [wide, wide])
