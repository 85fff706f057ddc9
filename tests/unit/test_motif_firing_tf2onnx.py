"""Every tf2onnx rewrite motif (fuzzer/ops/motifs_tf2onnx.py) makes tf2onnx apply the rules it names.

For each `motif_tf2onnx_*` spec: among one-motif graphs of the TF frontend (seeds in turn),
the first instances drawn to fire are converted by the tf2onnx converter plugin at opset 13;
the rewriters and optimizers fuzzer.coverage.firing reads from that conversion must hold
every tf2onnx rule of the motif's `rewrites`. The converted model, run by ONNX Runtime, must
agree with the torch float64 truth under the campaign's judge (the rewrite kept the values).

An instance drawn on the other side of its guard must convert too, and the motif's first
rule (the rewriter or optimizer it is about) must not fire, except where that rule also
fires on both sides (remove_back_to_back also merges the NHWC transposes every convolution
motif has; optimize_transpose moves transposes it cannot cancel): there an op type the rule
removes must be gone from the converted model on the firing side and kept on the other
(SAME_RULE_BOTH_SIDES). The einsum motif has no guard.
"""
from __future__ import annotations

import numpy as np
import onnx
import pytest

pytest.importorskip("tf2onnx")

from fuzzer.choices import NumpyChoices  # noqa: E402
from fuzzer.convert.base import ExportRequest  # noqa: E402
from fuzzer.convert.plugins.tf2onnx import Tf2OnnxExporter  # noqa: E402
from fuzzer.coverage.firing import fired  # noqa: E402
from fuzzer.generate import GenConfig, generate  # noqa: E402
from fuzzer.ir import FLOATS, DType  # noqa: E402
from fuzzer.ops import all_specs  # noqa: E402
from fuzzer.ops.motif import FIRES, is_motif  # noqa: E402
from fuzzer.run.eager import reference  # noqa: E402
from oracles.judge import judge_outputs  # noqa: E402
from oracles.verdict import Kind  # noqa: E402

MOTIFS = [s for s in all_specs() if s.name.startswith("motif_tf2onnx_")]
DTYPES = frozenset(FLOATS | {DType.int32, DType.int64})
SEEDS = range(60)
OPSET = 13
#: motifs whose first rule fires on both sides of the guard, and the op type that tells the sides
#: apart instead: gone from the converted model when drawn to fire, still there when not
SAME_RULE_BOTH_SIDES = {
    # remove_back_to_back also merges the layout transposes: the fusion shows as the BN gone
    "motif_tf2onnx_conv_batch_norm": "BatchNormalization",
    # the transposes still move through the ops before and after the stuck one, but stay
    "motif_tf2onnx_channels_last": "Transpose",
    # no guard: every draw fires
    "motif_tf2onnx_einsum": None,
}


#: checker rejections a motif exposes in tf2onnx 1.17 (a failure for the campaign to report, not a
#: defect of the motif): the decomposed Einsum's graph output loses its shape (most equations
#: with a batch dim or a reduction)
KNOWN_INVALID = {"motif_tf2onnx_einsum": "Field 'shape' of 'type' is required but missing"}


#: TF ops a motif drawn not to fire leaves unconverted in tf2onnx 1.17: its float64 range
#: constants are read as float32 by rewrite_quantize_and_dequantize, which then gives up
KNOWN_UNCONVERTED = {"motif_tf2onnx_quantize_dequantize": "QuantizeAndDequantizeV4"}


def _check(name: str, model: onnx.ModelProto) -> None:
    try:
        onnx.checker.check_model(model, full_check=True)
    except onnx.checker.ValidationError as e:
        if name not in KNOWN_INVALID or KNOWN_INVALID[name] not in str(e):
            raise


def _instances(spec, fires: bool, count: int):
    found = []
    for seed in SEEDS:
        g = generate(NumpyChoices(seed), GenConfig(ops=(spec.name,), frontend="tf", min_nodes=1, max_nodes=1,
                                                  dtypes=DTYPES))
        nodes = [n for n in g.op_nodes if n.op_type == spec.name]
        if nodes and nodes[0].attrs[FIRES] == fires:
            found.append((seed, g, nodes[0]))
            if len(found) == count:
                break
    return found


def _convert(g, inputs=None) -> onnx.ModelProto:
    request = ExportRequest(g, inputs or {}, [v.name for v in g.inputs], [f"out{i}" for i in range(len(g.outputs))],
                            OPSET)
    return onnx.load_model_from_string(Tf2OnnxExporter().export(request))


def _ort_outputs(model: onnx.ModelProto, feeds: dict) -> list[np.ndarray]:
    import onnxruntime as ort

    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def test_there_are_tf2onnx_motifs_and_each_names_a_tf2onnx_rule():
    assert len(MOTIFS) >= 15
    for spec in MOTIFS:
        assert is_motif(spec) and not spec.exportable and spec.has_tf, spec
        assert spec.rewrites and all(system == "tf2onnx" for system, _ in spec.rewrites), spec
        # remove_identity changes every model: naming it would prove nothing
        assert ("tf2onnx", "remove_identity") not in spec.rewrites, spec


def test_a_plain_model_fires_no_motif_rule():
    """The rules the motifs name are not ones every conversion applies."""
    g = generate(NumpyChoices(0), GenConfig(ops=("relu",), frontend="tf", min_nodes=1, max_nodes=1,
                                           dtypes=frozenset({DType.float32})))
    named = {rule for spec in MOTIFS for _, rule in spec.rewrites}
    assert not fired("tf2onnx", g, opset=OPSET) & named


@pytest.mark.parametrize("name", [s.name for s in MOTIFS])
def test_motif_fires_its_tf2onnx_rules_and_keeps_the_values(name):
    spec = next(s for s in MOTIFS if s.name == name)
    want = {rule for system, rule in spec.rewrites if system == "tf2onnx"}
    instances = _instances(spec, True, 2)
    assert instances, f"{name}: no instance drawn to fire in {len(SEEDS)} seeds"
    judged = 0
    for seed, g, node in instances:
        hits = fired("tf2onnx", g, opset=OPSET)
        assert want <= hits, f"seed {seed}: {sorted(want - hits)} did not fire (fired: {sorted(hits)})\n{g.summary()}"
        got = reference(g, NumpyChoices(seed + 500))
        if got is None:
            continue
        ref, inputs = got
        model = _convert(g, inputs)
        _check(name, model)
        try:
            outputs = _ort_outputs(model, {v.name: inputs[v.name] for v in g.inputs})
        except Exception as e:  # ORT lacks a kernel tf2onnx chose (GlobalMaxPool in float64)
            if "NOT_IMPLEMENTED" not in str(e):
                raise
            continue
        verdict = judge_outputs(ref, outputs, f"tf2onnx@{OPSET}", "onnxruntime")
        assert verdict.kind in (Kind.PASS, Kind.UNSTABLE), \
            f"seed {seed}: {verdict.kind}: {verdict.error}\n{g.summary()}"
        judged += verdict.kind == Kind.PASS
    assert judged, f"{name}: no firing instance had a stable truth to judge against"


@pytest.mark.parametrize("name", [s.name for s in MOTIFS])
def test_motif_drawn_not_to_fire_converts_and_its_rule_stays_off(name):
    spec = next(s for s in MOTIFS if s.name == name)
    if name in SAME_RULE_BOTH_SIDES and SAME_RULE_BOTH_SIDES[name] is None:
        pytest.skip(f"{name}: its rule fires on both sides of the guard (or it has none)")
    instances = _instances(spec, False, 2)
    assert instances, f"{name}: no instance drawn on the other side of its guards in {len(SEEDS)} seeds"
    first = spec.rewrites[0][1]
    for seed, g, node in instances:
        try:
            model = _convert(g)
        except Exception as e:
            if not Tf2OnnxExporter().is_unsupported(e) or KNOWN_UNCONVERTED.get(name, "?") not in str(e):
                raise
            assert first not in fired("tf2onnx", g, opset=OPSET)
            continue
        _check(name, model)
        kept = SAME_RULE_BOTH_SIDES.get(name)
        if kept is not None:
            assert kept in {n.op_type for n in model.graph.node}, f"seed {seed}: broke {node.attrs['broken']!r}"
        else:
            hits = fired("tf2onnx", g, opset=OPSET)
            assert first not in hits, \
                f"seed {seed}: broke {node.attrs['broken']!r} and {first} still fired\n{g.summary()}"


@pytest.mark.parametrize("name", [n for n, op in SAME_RULE_BOTH_SIDES.items() if op])
def test_motif_drawn_to_fire_leaves_no_op_its_rule_removes(name):
    spec = next(s for s in MOTIFS if s.name == name)
    for seed, g, _ in _instances(spec, True, 2):
        ops = {n.op_type for n in _convert(g).graph.node}
        assert SAME_RULE_BOTH_SIDES[name] not in ops, f"seed {seed}: {sorted(ops)}\n{g.summary()}"


@pytest.mark.parametrize("name", [s.name for s in MOTIFS])
def test_motif_tf_lowering_can_be_written_down_for_a_repro(name):
    """Every TensorFlow call goes through ctx.tf, so a tf2onnx repro records the function."""
    from fuzzer.report.tf_repro import tf_function_source

    spec = next(s for s in MOTIFS if s.name == name)
    written = 0
    for seed, g, _ in _instances(spec, True, 1) + _instances(spec, False, 1):
        got = reference(g, NumpyChoices(seed + 500))
        if got is not None:  # raises Unrecordable for a tensor computed outside a tf call
            source = tf_function_source(g, got[1])
            assert "@tf.function" in source and "tf.identity" in source, source
            written += 1
    assert written, f"{name}: no instance had a truth to draw the repro's inputs from"
