"""Special values (issue 12 part 3): the mixture inputs and constants are drawn from, the
per-dtype, per-op overflow guard of the truth, constants on either side of a binary op, and
defaults spelled out in direct ONNX models."""
import json
import math

import numpy as np
import pytest

from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, draw_inputs, generate
from fuzzer.generate.values import draw_array, int_range, ordinary, special_pool
from fuzzer.ir import CONST, DType, Graph, TensorType
from fuzzer.run.eager import reference


def _draws(t, domain=None, n=400, **kw):
    rng = np.random.default_rng(0)
    return [draw_array(rng, t, domain, **kw) for _ in range(n)]


# -- the mixture -------------------------------------------------------------------------
def test_float_mixture_reaches_signed_zero_extremes_and_subnormals():
    t = TensorType(DType.float32, (3, 4))
    values = np.concatenate([a.ravel() for a, _ in _draws(t)]).astype(np.float64)
    f = np.finfo(np.float32)
    assert (values == float(f.max)).any() and (values == -float(f.max)).any()
    assert (values == float(f.tiny)).any()
    assert (values == float(f.smallest_subnormal)).any()
    assert ((values == 0) & np.signbit(values)).any(), "no -0.0 drawn"
    assert (values == 1.0).any() and (values == -1.0).any()
    assert np.isfinite(values).all()


def test_special_share_is_a_minority_and_counted_exactly():
    t = TensorType(DType.float32, (4, 4))
    draws = _draws(t)
    special = sum(n for _, n in draws)
    assert 0 < special < 0.35 * 16 * len(draws)
    ordinary_window = [a for a, n in draws if n == 0]
    assert all(((a >= -2) & (a < 2)).all() for a in ordinary_window)
    # a draw that reports no special element is exactly an ordinary draw
    assert len(ordinary_window) > len(draws) / 2


def test_int64_values_carry_many_bits_and_reach_the_dtype_limits():
    t = TensorType(DType.int64, (8,))
    values = [int(v) for a, _ in _draws(t) for v in a.ravel()]
    lo, hi = int_range(DType.int64)
    assert lo in values and hi in values
    assert any(abs(v) > 2**31 for v in values)
    assert any(2**55 <= abs(v) < 2**63 for v in values), "no many-bit int64 value"
    assert 2**53 + 1 in values or 2**31 in values or -(2**31) in values


def test_specials_never_leave_the_domain():
    for dtype, domain in [(DType.float32, (0.5, math.inf)), (DType.float16, (0.05, math.inf)),
                          (DType.int64, (0, 3.5)), (DType.uint8, (0, 7)), (DType.int32, (1.0, math.inf)),
                          (DType.float64, (-0.95, 0.95))]:
        for kind, vals in special_pool(dtype, domain).items():
            assert all(domain[0] <= v <= domain[1] for v in vals), (dtype, domain, kind, vals)
        for a, _ in _draws(TensorType(dtype, (5,)), domain, n=200):
            a = a.astype(np.float64)
            assert (a >= domain[0]).all() and (a <= domain[1]).all(), (dtype, domain, a)


def test_index_domains_get_boundary_and_repeated_indices():
    t = TensorType(DType.int64, (6,))
    draws = _draws(t, (0, 3.5))
    assert all(set(a.tolist()) <= {0, 1, 2, 3} for a, _ in draws)
    assert any(n and len(set(a.tolist())) == 1 for a, n in draws), "no tensor of one repeated index"


def test_special_zero_gives_exactly_the_ordinary_draw():
    t = TensorType(DType.int32, (3, 3))
    a, n = draw_array(np.random.default_rng(5), t, None, special=0.0)
    assert n == 0
    assert (a == ordinary(np.random.default_rng(5), t, None)).all()


def test_inputs_replay_exactly_and_tally_their_specials():
    g = generate(NumpyChoices(11), GenConfig())
    from collections import Counter

    tally = Counter()
    a = draw_inputs(g, NumpyChoices(4), tally=tally)
    b = draw_inputs(g, NumpyChoices(4))
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k], equal_nan=False) for k in a)
    assert tally["elements"] == sum(v.type.numel for v in g.inputs)


# -- the overflow guard --------------------------------------------------------------------
def _one_op(op, dtype, shape, attrs=None, other=None, out_dtype=None):
    g = Graph()
    t = TensorType(dtype, shape)
    x = g.add_input(t)
    args = [x]
    if other is not None:
        args.append(g.add_const(np.asarray(other, dtype=DType(dtype).numpy), dtype))
    out = TensorType(out_dtype or dtype, shape)
    (y,) = g.add_node(op, args, attrs or {}, [out]).outputs
    g.outputs = [y]
    return g, x


def _judged(g, x, values):
    """The truth on exactly these input values, or None when the guard calls them unjudgeable."""
    from fuzzer.materialize import build_module, torch_inputs
    from fuzzer.run.overflow import unjudgeable

    m = build_module(g, truth=True)
    traced = m.trace(*torch_inputs(g, {x.name: values}, truth=True))
    consts = {n.outputs[0].name: getattr(m, n.outputs[0].name) for n in g.consts}
    return unjudgeable(g, traced, consts)


def test_int64_beyond_2_31_is_judged_where_nothing_overflows():
    g, x = _one_op("add", DType.int64, (3,), other=[1, 1, 1])
    big = np.array([2**40, -(2**50), 2**62], dtype=np.int64)
    assert _judged(g, x, big) is None
    found = reference(g, NumpyChoices(0), {x.name: big})
    assert found is not None
    assert found[0].truth[0].tolist() == (big + 1).tolist()


def test_int64_overflow_is_unjudgeable():
    g, x = _one_op("mul", DType.int64, (2,), other=[4, 4])
    assert "overflows int64" in _judged(g, x, np.array([2**62, 3], dtype=np.int64))
    assert _judged(g, x, np.array([2**60, -(2**60)], dtype=np.int64)) is None
    g, x = _one_op("abs", DType.int64, (1,))
    assert "overflows int64" in _judged(g, x, np.array([-(2**63)], dtype=np.int64))


def test_signed_narrow_overflow_is_unjudgeable_but_uint8_wraps_are_judged():
    g, x = _one_op("add", DType.int32, (2,), other=[1, 1])
    assert "overflows int32" in _judged(g, x, np.array([2**31 - 1, 0], dtype=np.int32))
    assert _judged(g, x, np.array([2**31 - 2, -(2**31)], dtype=np.int32)) is None
    g, x = _one_op("neg", DType.int8, (1,))
    assert "overflows int8" in _judged(g, x, np.array([-128], dtype=np.int8))
    g, x = _one_op("add", DType.uint8, (1,), other=[10])
    assert _judged(g, x, np.array([250], dtype=np.uint8)) is None


def test_float_overflow_of_the_graphs_own_dtype_is_unjudgeable():
    g, x = _one_op("mul", DType.float32, (1,), other=[2.0])
    assert "overflows float32" in _judged(g, x, np.array([3e38], dtype=np.float32))
    assert _judged(g, x, np.array([1e38], dtype=np.float32)) is None
    g, x = _one_op("mul", DType.float16, (1,), other=[2.0])
    assert "overflows float16" in _judged(g, x, np.array([60000], dtype=np.float16))


def test_casts_follow_the_onnx_cast_rules():
    # float to int out of range is undefined in ONNX: not judged
    g, x = _one_op("cast", DType.float32, (2,), attrs={"to": DType.int32}, out_dtype=DType.int32)
    assert "out of int32" in _judged(g, x, np.array([3e9, 1.0], dtype=np.float32))
    assert _judged(g, x, np.array([2.1e9, -2.1e9], dtype=np.float32)) is None
    # int to narrower int wraps by the spec ("discard higher bits"): judged
    g, x = _one_op("cast", DType.int64, (1,), attrs={"to": DType.int32}, out_dtype=DType.int32)
    assert _judged(g, x, np.array([2**40 + 7], dtype=np.int64)) is None
    # a motif that is one Cast is one too (review 22: tract's 0 and the others' 255 for uint8 of -1.88)
    g, x = _one_op("motif_opt_nop_cast", DType.float32, (1,), attrs={"to": "uint8"}, out_dtype=DType.uint8)
    assert "out of uint8" in _judged(g, x, np.array([-1.88], dtype=np.float32))
    assert _judged(g, x, np.array([1.5], dtype=np.float32)) is None


def test_an_integer_division_by_a_constant_zero_is_never_judged():
    g = Graph()
    t = TensorType(DType.int64, (2,))
    x = g.add_input(t)
    zero = g.add_const(np.zeros(2, dtype=np.int64), DType.int64)
    (y,) = g.add_node("div", [x, zero], {"rounding_mode": "trunc"}, [t]).outputs
    g.outputs = [y]
    assert reference(g, NumpyChoices(0)) is None


def test_special_draws_fall_back_to_ordinary_values_when_unjudgeable():
    # x * 2 in float16: a draw holding 65504 overflows; the truth still finds a judgeable draw
    g, x = _one_op("mul", DType.float16, (64,), other=np.full(64, 2.0))
    for seed in range(20):
        found = reference(g, NumpyChoices(seed))
        assert found is not None
        assert np.abs(found[1][x.name].astype(np.float64)).max() <= 65504 / 2


# -- constants on either side ----------------------------------------------------------------
@pytest.mark.parametrize("op", ["sub", "div", "pow", "remainder", "lt", "atan2"])
def test_a_constant_takes_the_left_slot_of_non_commutative_ops(op):
    left_const = 0
    for seed in range(120):
        g = generate(NumpyChoices(seed), GenConfig(ops=(op,), max_nodes=3))
        for n in g.op_nodes:
            if n.op_type == op and n.inputs[0].producer().op_type == CONST:
                left_const += 1
                rhs = n.inputs[1]
                if op in ("div", "remainder") and rhs.producer().op_type == "input":
                    lo, _ = g.domain(rhs)
                    assert lo >= 0.5, "a divisor moved to the right left its domain"
    assert left_const >= 3


# -- explicit defaults ---------------------------------------------------------------------
def test_defaults_are_spelled_deterministically_with_the_schema_default():
    import onnx

    from fuzzer.materialize.onnx_model import model_proto

    spelled = 0
    for seed in range(60):
        # at opset 18: only ops whose lowering exists there
        g = generate(NumpyChoices(seed), GenConfig(frontend="onnx", max_opset=18))
        a, b = model_proto(g, 18), model_proto(g, 18)
        assert a.SerializeToString() == b.SerializeToString()
        onnx.checker.check_model(a, full_check=True)
        for n in a.graph.node:
            schema = onnx.defs.get_schema(n.op_type, 18, n.domain or "")
            for attr in n.attribute:
                default = schema.attributes[attr.name].default_value
                if default.type != onnx.AttributeProto.UNDEFINED:
                    d = onnx.AttributeProto()
                    d.CopyFrom(default)
                    d.name = attr.name
                    if d == attr:
                        spelled += 1
    assert spelled >= 10


def test_spell_defaults_adds_only_missing_attributes():
    from onnx import helper

    from fuzzer.materialize.defaults import spell_defaults

    key = next(f"k{i}" for i in range(100) if spell_defaults([helper.make_node("ReduceSum", ["x"], ["y"])], f"k{i}", 18))
    node = helper.make_node("ReduceSum", ["x"], ["y"], keepdims=0)
    spell_defaults([node], key, 18)
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    assert attrs["keepdims"] == 0, "an attribute the lowering set was overwritten"
    assert set(attrs) <= {"keepdims", "noop_with_empty_axes"}


# -- gen --json ----------------------------------------------------------------------------
def test_gen_json_reports_the_share_of_special_values(capsys):
    from fuzzer.cli import main

    assert main(["gen", "--count", "40", "--seed", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    sv = report["special_values"]
    assert 0 < sv["inputs"] < 0.5
    assert 0 < sv["constants"] < 0.5
    assert sv["input_elements"] > 0 and sv["constant_elements"] > 0


# -- precision-lowering paths ----------------------------------------------------------------
def test_a_float16_path_is_not_judged_on_values_beyond_float16s_range():
    from oracles import Kind, Reference, judge_outputs

    truth = np.array([1.0, 2.0])

    def ref(peak):
        return Reference(truth=[truth], eager32=[truth], jump=[np.zeros(2)], dtypes=["float32"], ops=[["mul"]], peak=peak)

    wrong = np.array([1.0, np.inf], dtype=np.float32)
    assert judge_outputs(ref(3e38), [wrong], "p>float16", "rt", precision="float16").kind is Kind.UNSTABLE
    assert judge_outputs(ref(2.0), [wrong], "p>float16", "rt", precision="float16").kind is Kind.NAN_INF
    assert judge_outputs(ref(3e38), [wrong], "p", "rt").kind is Kind.NAN_INF  # full precision: judged


def test_the_truth_records_its_peak_magnitude():
    g, x = _one_op("mul", DType.float32, (2,), other=[3.0, 3.0])
    found = reference(g, NumpyChoices(0), {x.name: np.array([1e5, -2.0], dtype=np.float32)})
    assert found is not None and found[0].peak == pytest.approx(3e5)


# -- repeated indices ------------------------------------------------------------------------
def test_repeated_indices_reach_reductions_but_never_a_plain_scatter():
    repeated = {1.0: 0, 0.0: 0}  # scatter_add index inputs holding one index throughout, by mixture
    for seed in range(300):
        g = generate(NumpyChoices(seed), GenConfig(ops=("scatter", "scatter_add", "index_put"), max_nodes=3, max_inputs=3))
        for special in repeated:
            inputs = draw_inputs(g, NumpyChoices(seed), special=special)
            for n in g.op_nodes:
                idx = n.inputs[1]
                values = idx.producer().value if idx.producer().op_type == CONST else inputs[idx.name]
                if n.op_type == "scatter":
                    d = n.attrs["dim"]
                    moved = np.moveaxis(values, d, -1).reshape(-1, values.shape[d])
                    assert all(len(set(row)) == len(row) for row in moved.tolist()), "a plain scatter got a repeated index"
                elif n.op_type == "index_put" and not n.attrs["accumulate"]:
                    rows = n.inputs[0].type.shape[0]
                    assert len({int(v) % rows for v in values}) == len(values), "index_put without accumulate repeated a row"
                elif (n.op_type == "scatter_add" and idx.producer().op_type == "input" and values.size >= 2
                      and n.inputs[0].type.shape[n.attrs["dim"]] >= 3 and len(set(values.ravel().tolist())) == 1):
                    repeated[special] += 1
    assert repeated[1.0] > repeated[0.0], f"special values add no repeated indices: {repeated}"


# -- a runtime documented to compute int64 narrower ------------------------------------------------
def test_openvinos_documented_int32_inference_of_int64_is_a_gap_not_a_bug():
    from fuzzer.case import narrow_int64
    from fuzzer.run.plugins.openvino import OpenVinoCpu
    from fuzzer.run.plugins.onnxruntime import OrtOptimized
    from oracles import Kind, Reference, judge_outputs

    truth = np.array([4367381559017732], dtype=np.int64)

    def ref(peak):
        return Reference(truth=[truth], eager32=[truth], jump=[np.zeros(1)], dtypes=["int64"], ops=[["maximum"]],
                         int64_peak=peak)

    wrapped = np.array([1114407172], dtype=np.int64)  # the value mod 2**32, as OpenVINO's CPU plugin gives it
    wrong = judge_outputs(ref(int(truth[0])), [wrapped], "dynamo@19", "openvino")
    assert wrong.kind is Kind.VALUE_MISMATCH
    assert narrow_int64(OpenVinoCpu(), ref(int(truth[0])), wrong).kind is Kind.UNSUPPORTED
    assert narrow_int64(OrtOptimized(), ref(int(truth[0])), wrong).kind is Kind.VALUE_MISMATCH
    small = judge_outputs(ref(5), [wrapped], "dynamo@19", "openvino")
    assert narrow_int64(OpenVinoCpu(), ref(5), small).kind is Kind.VALUE_MISMATCH  # within int32: still a bug


def test_the_truth_records_its_int64_peak():
    g, x = _one_op("maximum", DType.int64, (1,), other=[0])
    found = reference(g, NumpyChoices(0), {x.name: np.array([-(2**63)], dtype=np.int64)})
    assert found is not None and found[0].int64_peak == 2**63


def test_an_unstable_draw_with_special_values_gives_way_to_a_tamer_one(monkeypatch):
    import fuzzer.run.eager as eager
    from oracles import Reference

    g, x = _one_op("relu", DType.float32, (1,))
    draws = iter([(7.0, 1), (1.0, 0)])  # (value, how many special elements the draw holds)
    specials = []

    def fake_draw(graph, choices, *, special=1.0, tally=None):
        value, n = next(draws)
        specials.append(special)
        tally["special"] += n
        return {x.name: np.array([value], dtype=np.float32)}

    monkeypatch.setattr(eager, "draw_inputs", fake_draw)
    monkeypatch.setattr(Reference, "_check_stability", lambda self: (float(self.truth[0][0]) != 7.0, "marked"))
    ref, inputs = eager.reference(g, NumpyChoices(0))
    assert inputs[x.name][0] == 1.0 and specials == [1.0, 1.0]
    # every draw unstable: the last (ordinary) draw is the case's truth, unstable as it is
    draws = iter([(7.0, 1), (8.0, 1), (9.0, 1), (10.0, 0)])
    monkeypatch.setattr(Reference, "_check_stability", lambda self: (False, "marked"))
    ref, inputs = eager.reference(g, NumpyChoices(0))
    assert inputs[x.name][0] == 10.0 and specials[2:] == [1.0, 1.0, 0.5, 0.0]


def test_ops_with_hidden_arithmetic_are_not_judged_near_the_dtypes_limit():
    # softmax exponentiates inside (a kernel computing exp(x) / sum exp(x) meets inf / inf)
    g, x = _one_op("softmax", DType.float32, (4,), attrs={"dim": -1})
    big = np.array([1e30, -1e30, 3.0, 2.0], dtype=np.float32)
    assert "near the dtype's limit" in _judged(g, x, big)
    assert _judged(g, x, np.array([1e10, -1e10, 3.0, 2.0], dtype=np.float32)) is None
    # a comparison or a move of the same values has nothing inside to overflow
    g, x = _one_op("maximum", DType.float32, (4,), other=np.zeros(4))
    assert _judged(g, x, np.array([3.4e38, -3.4e38, 0.0, -0.0], dtype=np.float32)) is None


def test_ops_with_hidden_arithmetic_are_not_judged_on_tiny_values():
    # an op with arithmetic inside (LpNormalization squares: the norm of the smallest normal
    # float32 underflows to 0, and x / norm is then 0, not -1)
    g, x = _one_op("LpNormalization", DType.float32, (3, 1), attrs={"axis": -1, "p": 2})
    assert "tiny" in _judged(g, x, np.array([[-1.1754944e-38], [0.5], [1.0]], dtype=np.float32))
    assert _judged(g, x, np.array([[-0.0], [0.0], [1e-10]], dtype=np.float32)) is None  # zeros are fine
    # elsewhere a tiny value moves results by about itself
    g, x = _one_op("softmax", DType.float32, (2,), attrs={"dim": -1})
    assert _judged(g, x, np.array([1e-45, -1e-45], dtype=np.float32)) is None


def test_a_tie_between_repeated_values_is_never_judged():
    # argmax over [0.5, 0.5, -1]: the tie goes to index 0 in torch; a runtime may pick 1. The
    # sensitivity's rising and falling patterns pull the two apart both ways, so the element
    # is found unstable whatever the random round does
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (3,)))
    (y,) = g.add_node("argmax", [x], {"dim": 0, "keepdim": False}, [TensorType(DType.int64, ())]).outputs
    g.outputs = [y]
    for seed in range(6):
        found = reference(g, NumpyChoices(seed), {x.name: np.array([0.5, 0.5, -1.0], dtype=np.float32)})
        ref = found[0]
        _, mask = ref.tolerance(0)
        assert not mask.any(), "a tied argmax was judged"
    found = reference(g, NumpyChoices(0), {x.name: np.array([0.5, 0.25, -1.0], dtype=np.float32)})
    assert found[0].tolerance(0)[1].all(), "an argmax without a tie was not judged"


def test_an_op_no_spec_names_is_no_cast_to_the_overflow_guard():
    """A graph may hold an op whose spec is not installed here (a plugin's): the guard says it is no
    cast instead of raising on every node of the case it judges."""
    from fuzzer.run.overflow import _is_cast

    assert _is_cast("cast") and not _is_cast("add")
    assert not _is_cast("no_such_op_spec")
