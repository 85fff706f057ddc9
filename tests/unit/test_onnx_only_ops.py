"""The ONNX-only op specs (fuzzer/ops/onnx_*.py), end to end on the direct ONNX frontend.

For each spec, small graphs of it (plus cast and add, which bridge dtypes) are
built as ONNX models at the oldest opset the graph can be built at (from 7),
at 13, at 18 and at the newest; each model must pass the full checker with strict shape inference,
and onnxruntime (or the ONNX reference evaluator, where ORT has no kernel)
must agree with the torch float64 truth under the campaign's own judge.
"""
from __future__ import annotations

import re

import numpy as np
import onnx
import pytest

from onnx.reference.op_run import RuntimeImplementationError

from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, generate
from fuzzer.ir import FLOATS, DType
from fuzzer.materialize.onnx_model import lowest_opset, model_proto
from fuzzer.ops import all_specs
from fuzzer.run.eager import reference
from oracles.judge import judge_outputs

ALL9 = frozenset(FLOATS | {DType.int8, DType.uint8, DType.int32, DType.int64, DType.bool})
NEWEST = onnx.defs.onnx_opset_version()
SEEDS = range(4)
#: ORT limits that ONNX does not have (the campaign records them once, deduplicated); ORT's STFT
#: with neither window nor frame_length makes a negative-size output (ONNX: frame_length = signal length)
KNOWN_GAPS = re.compile(r"ScalesValidation|LRN.*size_ % 2 == 1|X_shape.NumDimensions\(\) == 4|running STFT node.*Size\(\) must be >= 0")
#: ORT verdicts that differ from the ONNX spec on degenerate inputs, by op: MVN of a constant
#: group is 0 / (0 + 1e-9) = 0 by the ONNX function, NaN in ORT (no epsilon)
#: DynamicQuantizeLinear of an all-zero tensor: scale 0 and zero point round(0 / 0), undefined
KNOWN_VERDICTS = {"MeanVarianceNormalization": "nan_inf", "DynamicQuantizeLinear": "value_mismatch"}
#: the reference evaluator's own bugs: its LRN loops over the batch size instead of the channels;
#: its OptionalHasElement calls an empty Optional(type=...) full and its OptionalGetElement
#: returns the optional itself, a list (onnx 1.23); its QLinearMatMul and QLinearConv round
#: x / y_scale + y_zero_point, where the text rounds x / y_scale before adding the zero point
REFERENCE_BUGS = {"LRN", "onnx.Optional", "QLinearMatMul", "QLinearConv"}
#: ops ONNX Runtime gets wrong, judged on the reference evaluator instead: ORT runs Bernoulli
#: through its ONNX function body, Cast(Greater(RandomUniformLike(p), p)), which draws 1 with
#: probability 1 - p where the operator text says p (onnx 1.23); its RandomNormal(Like) of scale 0
#: aborts the process (libstdc++ asserts stddev > 0)
ORT_BUGS = {"Bernoulli", "onnx.RandomNormal"}
MODULES = ("onnx_math", "onnx_index", "onnx_quant", "onnx_image", "onnx_seq", "onnx_text", "onnx_signal", "onnx_nn", "onnx_new", "onnx_attrs", "onnx_rest")
# weight 0: not drawn (see each spec for why), so not judged here either
SPECS = [s for s in all_specs() if type(s).__module__.rpartition(".")[2] in MODULES and s.weight > 0]


def _resize_nodes(g, policy_only: bool = False):
    return [n for n in g.op_nodes if n.op_type == "onnx.Resize"
            and any(d < 0 for d in n.attrs.get("axes") or ())
            and (not policy_only or n.attrs.get("policy") in ("not_larger", "not_smaller"))]


def _resize_bug(g) -> bool:
    """A Resize with keep_aspect_ratio_policy over a negative axis: ORT 1.32 leaves that axis
    unresized and the reference evaluator raises on negative axes, so no runtime here judges it."""
    return bool(_resize_nodes(g, policy_only=True))


def _ort_wrong(g) -> bool:
    """ORT 1.32's tf_crop_and_resize disagrees with the Resize text and the reference evaluator
    (with an axes subset it ignores the roi and returns the input): judged on the reference."""
    return any(n.op_type == "onnx.Resize" and n.attrs.get("ctm") == "tf_crop_and_resize" for n in g.op_nodes)


def _opsets(g) -> list[int]:
    lo = lowest_opset(g)
    return sorted({lo, max(lo, 13), max(lo, 18), NEWEST})


def _ort(model, feeds) -> list[np.ndarray] | None:
    """ORT's outputs, or None where ORT has no kernel, or cannot take bfloat16 at the graph
    boundary (its numpy API has no such type)."""
    import onnxruntime as ort

    from fuzzer.run.plugins.onnxruntime import is_gap

    try:
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        return sess.run(None, feeds)
    except Exception as e:
        if is_gap(e) or "bfloat16" in str(e) or "MLDataType" in str(e) or KNOWN_GAPS.search(str(e)):
            return None
        raise


def _reference(model, feeds) -> list[np.ndarray]:
    from onnx.reference import ReferenceEvaluator

    outs = ReferenceEvaluator(model).run(None, feeds)
    # the evaluator computes some bfloat16 ops in float64 and returns that: keep the declared type
    return [np.asarray(o).astype(onnx.helper.tensor_dtype_to_np_dtype(v.type.tensor_type.elem_type))
            for o, v in zip(outs, model.graph.output)]


def _nan_only_where_the_truth_is_zero(truth, outs) -> bool:
    """True when outs hold a NaN and every one sits where the truth is exactly 0: what ORT's MVN
    (no epsilon) computes for a constant group, whose variance is 0. A NaN anywhere else is a
    real mismatch."""
    nans = [np.isnan(np.asarray(o, dtype=np.float64)) for o in outs]
    return (any(m.any() for m in nans)
            and all(not m.any() or (np.shape(t) == m.shape and (np.asarray(t)[m] == 0).all()) for m, t in zip(nans, truth)))


def test_mvn_nan_is_excused_only_where_the_truth_is_zero():
    zero_group = [np.array([0.0, 0.0]), np.array([1.0, -1.0])]
    assert _nan_only_where_the_truth_is_zero(zero_group, [np.array([np.nan, np.nan]), np.array([1.0, -1.0])])
    assert not _nan_only_where_the_truth_is_zero(zero_group, [np.array([0.0, 0.0]), np.array([np.nan, -1.0])])
    assert not _nan_only_where_the_truth_is_zero(zero_group, [np.array([0.0, 0.0]), np.array([1.0, -1.0])])


def test_specs_are_onnx_only():
    assert len({type(s).__name__ for s in SPECS}) >= 40
    for spec in SPECS:
        assert spec.has_onnx and not spec.exportable, spec
        assert spec.onnx_ops, spec


@pytest.mark.parametrize("name", [s.name for s in SPECS])
def test_onnx_only_op(name):
    seen = judged = 0
    for seed in SEEDS:
        cfg = GenConfig(ops=(name, "cast", "add"), frontend="onnx", dtypes=ALL9, max_nodes=4)
        g = generate(NumpyChoices(seed), cfg)
        if name not in g.op_types():
            continue
        seen += 1
        got = reference(g, NumpyChoices(seed + 100))
        if got is None:  # no finite truth for any input draw
            continue
        ref, inputs = got
        if _resize_bug(g):
            continue
        for opset in _opsets(g):
            where = f"{name} seed {seed} opset {opset}\n{g.summary()}"
            m = model_proto(g, opset)
            try:
                onnx.checker.check_model(m, full_check=True)
                onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
            except Exception as e:
                raise AssertionError(f"invalid model: {where}\n{e}") from e
            try:
                outs, runtime = (None if name in ORT_BUGS or _ort_wrong(g) else _ort(m, inputs)), "onnxruntime"
                if outs is None:
                    if name in REFERENCE_BUGS or _resize_nodes(g):  # negative Resize axes: it raises
                        continue
                    outs, runtime = _reference(m, inputs), "onnx-reference"
            except RuntimeImplementationError:
                continue  # neither ORT nor the reference evaluator computes it (GlobalLpPool of doubles)
            except Exception as e:
                raise AssertionError(f"run failed: {where}\n{e}") from e
            v = judge_outputs(ref, outs, "onnx-direct", runtime)
            known = KNOWN_VERDICTS.get(name)
            if name == "DynamicQuantizeLinear" and not any(np.ndim(t) == 0 and t == 0 for t in ref.truth):
                known = None  # only the zero-scale case is excused
            if name == "MeanVarianceNormalization" and not _nan_only_where_the_truth_is_zero(ref.truth, outs):
                known = None  # only a constant group (truth exactly 0, ORT's 0/0) is excused
            assert v.kind.value in ("pass", "unstable", known), f"{v.kind.value}: {v.error}\n{where}"
            judged += 1
    assert seen > 0, f"{name} never drawn"
    assert judged > 0, f"{name} never judged"


def test_qlinearmatmul_without_its_scale_type_takes_float32_scales():
    """The minimizer drops one attribute at a time to try the op's default: a QLinearMatMul whose
    scale_dtype it dropped is one with float32 scales, at its first opset (a check campaign's
    triage raised KeyError 'scale_dtype')."""
    from fuzzer.ops import get_spec

    spec = get_spec("QLinearMatMul")
    assert spec.opset_floor([], {}) == spec.first_opset
    assert spec.opset_floor([], {"scale_dtype": "float16"}) == 21
