"""Regressions for direct ONNX lowerings that once built invalid models or disagreed with the truth.

Each graph here is built by hand on the edge that broke (a 0-d operand, an all-zero slice, a
dtype a schema refuses, a crop next to a reflection), then checked the way `gen --check` does
(full checker, strict shape inference) and run on onnxruntime against the torch float64 truth
with the campaign's own judge.
"""
from __future__ import annotations

import numpy as np
import onnx
import pytest

from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig
from fuzzer.generate.builder import Builder
from fuzzer.ir import DType, Graph, TensorType
from fuzzer.materialize.onnx_model import model_proto
from fuzzer.ops import get_spec
from fuzzer.ops.lowering import accepts
from fuzzer.run.eager import reference
from oracles import judge_outputs
from oracles.verdict import Kind

NEWEST = onnx.defs.onnx_opset_version()


def _valid(g: Graph, opset: int) -> onnx.ModelProto:
    model = model_proto(g, opset)
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    return model


def _judge_on_ort(g: Graph, opset: int, given: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The truth on the given inputs; asserts onnxruntime's outputs of the direct model pass the judge."""
    import onnxruntime as ort

    ref, inputs = reference(g, NumpyChoices(0), given=given)
    for v in g.inputs:
        np.testing.assert_array_equal(inputs[v.name], given[v.name])  # the edge itself was judged
    sess = ort.InferenceSession(_valid(g, opset).SerializeToString(), providers=["CPUExecutionProvider"])
    outs = sess.run(None, {v.name: inputs[v.name] for v in g.inputs})
    verdict = judge_outputs(ref, outs, f"onnx-direct@{opset}", "onnxruntime")
    assert verdict.kind == Kind.PASS, verdict.error
    return outs


@pytest.mark.parametrize("opset", [13, NEWEST])
@pytest.mark.parametrize("axis", [0, -1])
def test_one_hot_of_a_scalar_index(opset, axis):
    # ONNX OneHot wants indices of rank >= 1; a 0-d index still one-hots to a (depth,) row,
    # a negative one counted from depth
    g = Graph()
    # (int64 indices, float values: a kernel onnxruntime has)
    idx = g.add_input(TensorType(DType.int64, ()))
    values = g.add_const(np.array([2, 7], dtype=np.float32), DType.float32)
    node = g.add_node("OneHot", [idx, values], {"depth": 5, "axis": axis}, [TensorType(DType.float32, (5,))])
    g.outputs = list(node.outputs)
    (out,) = _judge_on_ort(g, opset, {idx.name: np.array(-2, dtype=np.int64)})
    assert out.tolist() == [2, 2, 2, 7, 2]


@pytest.mark.parametrize("opset", [13, NEWEST])
def test_compress_of_a_scalar(opset):
    # ONNX Compress wants an input of rank >= 1; a 0-d x flattens to (1,) first
    g = Graph()
    x = g.add_input(TensorType(DType.bfloat16, ()))
    cond = g.add_const(np.array([True]), DType.bool)
    node = g.add_node("Compress", [x, cond], {"axis": None}, [TensorType(DType.bfloat16, (1,))])
    g.outputs = list(node.outputs)
    _valid(g, opset)


@pytest.mark.parametrize("op,attrs", [("einsum", {"equation": "ab,b->a"}), ("unique", {"counts": True})])
@pytest.mark.parametrize("opset", [13, 21, 24, NEWEST])
def test_bfloat16_where_the_schema_has_none(op, attrs, opset):
    # Einsum and Unique take no bfloat16 before the newest opsets: there they compute in float32
    g = Graph()
    x = g.add_input(TensorType(DType.bfloat16, (3, 2)))
    ins = [x, g.add_input(TensorType(DType.bfloat16, (2,)))] if op == "einsum" else [x]
    outs = get_spec(op).infer([v.type for v in ins], attrs)
    g.outputs = list(g.add_node(op, ins, attrs, outs).outputs)
    model = _valid(g, opset)
    ops = [n.op_type for n in model.graph.node]
    onnx_op = "Einsum" if op == "einsum" else "Unique"
    assert ("Cast" in ops) == (not accepts(onnx_op, opset, DType.bfloat16, 0)), ops


@pytest.mark.parametrize("opset", [13, 15, 16, NEWEST])
def test_masked_fill_bfloat16_before_where_16(opset):
    g = Graph()
    x = g.add_input(TensorType(DType.bfloat16, (2, 3)))
    mask = g.add_input(TensorType(DType.bool, (3,)))
    node = g.add_node("masked_fill", [x, mask], {"value": -0.5, "method": True}, [x.type])
    g.outputs = list(node.outputs)
    model = _valid(g, opset)
    where = next(n for n in model.graph.node if n.op_type == "Where")
    # before 16 the Where computes in float32; from 16 it takes bfloat16 as it is
    assert any(n.op_type == "Cast" for n in model.graph.node) == (opset < 16), where


def test_lp_normalization_of_an_all_zero_slice_is_zero():
    # onnxruntime gives 0 there, not 0 / 0; the truth follows; p=1 sums |x|
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (2, 3)))
    node = g.add_node("LpNormalization", [x], {"axis": 1, "p": 1}, [x.type])
    g.outputs = list(node.outputs)
    (out,) = _judge_on_ort(g, 13, {x.name: np.array([[0, 0, 0], [1, -2, 1]], dtype=np.float32)})
    np.testing.assert_allclose(out, [[0, 0, 0], [0.25, -0.5, 0.25]])


@pytest.mark.parametrize("dtype", [DType.float16, DType.float32, DType.float64])
@pytest.mark.parametrize("opset", [13, NEWEST])
def test_mean_variance_normalization_every_float_dtype_and_default_axes(dtype, opset):
    # its function body adds float32 constants and reads @axes, so only float32 with spelled
    # axes passes the full checker: the lowering computes in float32 and spells [0, 2, 3]
    g = Graph()
    x = g.add_input(TensorType(dtype, (2, 3, 2, 2)))
    node = g.add_node("MeanVarianceNormalization", [x], {}, [x.type])
    g.outputs = list(node.outputs)
    data = np.random.default_rng(1).uniform(-2, 2, size=(2, 3, 2, 2)).astype(dtype.numpy)
    out = _judge_on_ort(g, opset, {x.name: data})[0]
    assert out.dtype == dtype.numpy


def test_dynamic_quantize_linear_never_sees_an_all_zero_input():
    # x - x is all zero, where scale is 0 / 255 and the zero point 0 / 0: the spec's domain
    # maps it to a constant 1 first, and both sides then agree
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (6,)))
    zero = g.add_node("add", [x, x], {"alpha": -1.0}, [x.type]).outputs[0]
    b = Builder(g, NumpyChoices(0), GenConfig(frontend="onnx"))
    node = get_spec("DynamicQuantizeLinear").build(b, zero)
    assert node.inputs[0] != zero
    g.outputs = list(node.outputs)
    data = np.linspace(-1, 2, 6, dtype=np.float32)
    y, scale, zp = _judge_on_ort(g, 13, {x.name: data})
    assert scale > 0 and y.tolist() == [255] * 6 and zp == 0


def test_pad_reflect_next_to_a_crop_fits_what_the_crop_leaves():
    # onnxruntime crops before it reflects; ONNX does not say: the drawn pads keep both
    # readings the same (the reflected side no longer than the cropped length - 1)
    spec, checked = get_spec("onnx.Pad"), 0
    for seed in range(300):
        g = Graph()
        x = g.add_input(TensorType(DType.float32, (7,)))
        b = Builder(g, NumpyChoices(seed), GenConfig(frontend="onnx"))
        attrs = spec.sample_attrs(b, [x.type])
        if attrs["mode"] != "reflect":
            continue
        for _, begin, end in attrs["pads"]:
            if min(begin, end) < 0:
                checked += 1
                assert max(begin, end) <= 7 - 1 + min(begin, end), attrs
    assert checked > 0
