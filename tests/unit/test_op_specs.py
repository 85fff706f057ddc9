"""Meta-test over every registered op spec.

For each op, graphs restricted to it (plus cast/add, which bridge dtypes and
feed it reused values) must round-trip through JSON, run in torch eager in both
the deployed and the float64 ground-truth rendering, produce exactly the
inferred types at every node, and actually contain the op.

For each op with an `onnx` lowering, a few such graphs (drawn for the direct
ONNX frontend) are also built as ONNX models at the oldest opset the graph
can be built at (from 7: fuzzer.materialize.onnx_model.lowest_opset), 13, 18
and the newest, must pass the full checker and strict shape inference, and the ONNX reference
evaluator's outputs must pass the campaign's own judge against the torch
float64 truth. Specs in new modules are picked up through the registry.
"""
from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch

from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, draw_inputs, generate
from fuzzer.ir import FLOATS, INTS, DType, Graph, TensorType
from fuzzer.materialize import build_module, torch_inputs
from fuzzer.materialize.onnx_model import lowest_opset, model_proto
from fuzzer.ops import OLDEST_OPSET, all_specs, get_spec
from fuzzer.run.eager import reference
from oracles import judge_outputs
from oracles.verdict import Kind

HELPERS = ("cast", "add")
SEEDS = range(12)
ALL_DTYPES = frozenset(FLOATS | INTS | {DType.bool})
#: the default dtype mix, then every dtype (float16/bfloat16/int8/... reach the op through cast)
CONFIGS = ("default", "all_dtypes")

TORCH_DTYPE = {d: getattr(torch, d.value) for d in DType}


def _config(name: str, kind: str) -> GenConfig:
    ops = (name,) + tuple(h for h in HELPERS if h != name)
    # an op torch exporters must not see is drawn only for the direct ONNX frontend (or, with a
    # `tf` hook only, the TF one: tf2onnx's motifs); its torch lowering (the truth) is still
    # checked here, on graphs of that frontend
    spec = get_spec(name)
    frontend = "torch" if spec.exportable else "onnx" if spec.has_onnx else "tf"
    # a control-flow op is drawn only when the config asks for control flow
    if kind == "all_dtypes":
        return GenConfig(ops=ops, max_nodes=4, dtypes=ALL_DTYPES, frontend=frontend, control_flow=spec.control_flow)
    return GenConfig(ops=ops, max_nodes=4, frontend=frontend, control_flow=spec.control_flow)


def _expected(t: TensorType, truth: bool) -> tuple[tuple[int, ...], torch.dtype]:
    dtype = DType.float64 if truth and t.dtype.is_float else t.dtype
    return t.shape, TORCH_DTYPE[dtype]


def _check_graph(g: Graph, seed: int) -> None:
    data = g.to_json()
    assert Graph.from_json(data).to_json() == data, "JSON round trip changed the graph"
    # what a campaign does: the graph it runs is the one it read back
    g = Graph.from_json(data)
    inputs = draw_inputs(g, NumpyChoices(seed + 1000))
    for truth in (False, True):
        module = build_module(g, truth=truth)
        args = torch_inputs(g, inputs, truth=truth)
        with torch.no_grad():
            outs = module(*args)
            values = module.trace(*args)
        assert len(outs) == len(g.outputs)
        for v, out in zip(g.outputs, outs):
            assert (tuple(out.shape), out.dtype) == _expected(v.type, truth), (v.name, g.summary())
        # every intermediate value too, not only the sinks
        for node in g.op_nodes:
            for v in node.outputs:
                got = values[v.name]
                assert isinstance(got, torch.Tensor), (v.name, type(got), g.summary())
                assert (tuple(got.shape), got.dtype) == _expected(v.type, truth), (
                    f"{node.op_type} {v.name}: got {tuple(got.shape)} {got.dtype}, "
                    f"inferred {v.type} (truth={truth})\n{g.summary()}"
                )


#: specs the generator never draws (weight 0: imported nodes) cannot be tested by generating
DRAWN = [s.name for s in all_specs() if s.weight > 0]


#: the specs made from torch's OpInfo database (fuzzer.ops.opinfo, over 800) get three graphs of
#: the default mix: each of their samples was run, twice and on meta tensors, when the table was
#: built, and `gen --check` judges them too; the hand-written specs get the full 24 graphs
OPINFO_SEEDS = range(3)


@pytest.mark.parametrize("name", DRAWN)
def test_op_spec(name):
    seen = 0
    opinfo = name.startswith("opinfo.")
    for kind in CONFIGS[:1] if opinfo else CONFIGS:
        for seed in OPINFO_SEEDS if opinfo else SEEDS:
            g = generate(NumpyChoices(seed), _config(name, kind))
            seen += g.op_types().count(name)
            try:
                _check_graph(g, seed)
            except Exception as e:
                raise AssertionError(f"op {name}, config {kind}, seed {seed}:\n{g.summary()}") from e
    assert seen > 0, f"op {name} never appeared in {len(CONFIGS) * len(SEEDS)} generated graphs"


def test_registry_has_no_duplicates_and_declares_dtypes():
    names = [s.name for s in all_specs()]
    assert len(names) == len(set(names))
    for spec in all_specs():
        assert spec.dtypes, spec
        assert spec.dtypes <= ALL_DTYPES, spec


# -- the direct ONNX frontend -------------------------------------------------------
#: besides the oldest opset a graph can be built at (lowest_opset): the one where most schemas
#: changed form, the one where most others did, the newest
ONNX_OPSETS = (13, 18, onnx.defs.onnx_opset_version())
#: fewer seeds than the torch part: each graph is materialized, checked and run at three opsets
ONNX_SEEDS = range(4)


def _onnx_config(name: str, kind: str) -> GenConfig:
    ops = (name,) + tuple(h for h in HELPERS if h != name)
    dtypes = ALL_DTYPES if kind == "all_dtypes" else GenConfig().dtypes
    return GenConfig(ops=ops, max_nodes=4, dtypes=dtypes, frontend="onnx", control_flow=get_spec(name).control_flow)


def _reference_wrong(node) -> bool:
    """Nodes onnx.reference (1.23) computes wrongly: GlobalMaxPool drops the last dim of a
    rank-3 input; MaxPool with an Indices output ignores its pads; MaxPool and AveragePool
    with ceil_mode misplace or drop windows; grouped ConvTranspose mixes up the groups; Gelu
    computes float16 in float16, where 1 + erf(x) cancels to 0 (torch and onnxruntime widen);
    LpNormalization with p=1 leaves out the absolute value; BatchNormalization-9 (opsets 9-13)
    fills in the momentum attribute's default and then normalizes with the batch's own statistics,
    and computes with another epsilon than its attribute's; QLinearMatMul and QLinearConv round
    x / y_scale + y_zero_point where the text rounds x / y_scale and then adds the zero point (a
    half step and an odd zero point land one step apart); TfIdfVectorizer weighs each output
    coordinate by weights[coordinate] where the text says weights[pool position], and raises
    when weights are omitted or ngram_indexes leave coordinates unused.
    A model holding one is run on onnxruntime instead."""
    attrs = {a.name: a for a in node.attribute}
    if node.op_type in ("GlobalMaxPool", "Gelu", "LRN", "BatchNormalization"):  # LRN: it sums over the batch, not the channels
        return True
    if node.op_type in ("OptionalHasElement", "OptionalGetElement"):  # an empty optional is full; get returns a list
        return True
    if node.op_type in ("QLinearMatMul", "QLinearConv", "TfIdfVectorizer"):
        return True
    if node.op_type in ("ReduceSumSquare", "AffineGrid"):  # int32 in, int64 out; double in, float out
        return True
    if node.op_type == "Resize":  # negative axes: "axes don't match array"
        return any(a.name == "axes" and any(d < 0 for d in a.ints) for a in node.attribute)
    if node.op_type == "Det":  # bfloat16 in, float64 out
        return True
    if node.op_type == "LpNormalization":  # p=1 sums x, not |x|, so negative entries go wrong
        return any(a.name == "p" and a.i == 1 for a in node.attribute)
    if node.op_type == "Loop":  # no iteration when cond is omitted; scan outputs np.vstack-ed
        return node.input[1] == "" or len(node.output) > len(node.input) - 2
    if node.op_type == "ConvTranspose":
        return "group" in attrs and attrs["group"].i > 1
    if node.op_type in ("MaxPool", "AveragePool") and "ceil_mode" in attrs and attrs["ceil_mode"].i == 1:
        return True
    return node.op_type == "MaxPool" and len(node.output) == 2


def _resize_policy_on_negative_axis(node) -> bool:
    attrs = {a.name: a for a in node.attribute}
    return (node.op_type == "Resize" and "keep_aspect_ratio_policy" in attrs
            and attrs["keep_aspect_ratio_policy"].s in (b"not_larger", b"not_smaller")
            and "axes" in attrs and any(d < 0 for d in attrs["axes"].ints))


def _run_ort(model, feeds: dict) -> list[np.ndarray] | None:
    """ORT as an evaluator of the lowering: its graph optimizations off, since they are a system
    under test (the rewrite motifs of fuzzer/ops/motifs_ort*.py exist to make them fire)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        return list(sess.run(None, feeds))
    except Exception as e:  # onnxruntime lacks many bfloat16 kernels: then no values are checked
        if any(k in str(e) for k in ("NOT_IMPLEMENTED", "MLDataType", "No corresponding Numpy type", "tensor(bfloat16)")):
            return None
        raise


def _run_model(model, feeds: dict) -> list[np.ndarray] | None:
    """The model's outputs, or None when no evaluator here computes it right.

    onnx.reference first; onnxruntime where the reference is known wrong on a node (its
    BatchNormalization before opset 14 too, RoiAlign before 16), or raises on a model that passed the full checker
    and strict shape inference (its MaxPool drops the pads of some 1-D pools, for one)."""
    if any(_resize_policy_on_negative_axis(n) for n in model.graph.node):
        return None  # ORT leaves the axis unresized, the reference evaluator raises on it
    resize_crop = any(n.op_type == "Resize" and any(a.name == "coordinate_transformation_mode"
                                                     and a.s == b"tf_crop_and_resize" for a in n.attribute)
                      for n in model.graph.node)
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    # RoiAlign before 16: the evaluator shifts by half a pixel, as 16's default half_pixel does,
    # where RoiAlign-10 has no shift (16's output_half_pixel)
    if any(_reference_wrong(n) or (n.op_type == "BatchNormalization" and opset < 14) or (n.op_type == "RoiAlign" and opset < 16)
           for n in model.graph.node):
        return None if resize_crop else _run_ort(model, feeds)
    from onnx.reference import ReferenceEvaluator

    try:
        return list(ReferenceEvaluator(model).run(None, feeds))
    except Exception:
        if resize_crop or any(n.op_type in ORT_WRONG for n in model.graph.node):
            return None  # ORT's tf_crop_and_resize disagrees with the text (it ignores an roi over axes)
        return _run_ort(model, feeds)


#: ops onnxruntime computes wrongly, never judged there: Bernoulli through its ONNX function
#: body draws 1 with probability 1 - p; RandomNormal(Like) of scale 0 aborts the process
ORT_WRONG = ("Bernoulli", "RandomNormal", "RandomNormalLike")


def _check_onnx(g: Graph, seed: int) -> int:
    """Materialize g at every target opset, check it strictly and compare the reference
    evaluator's outputs with the torch float64 truth. Returns how many models were judged."""
    got = reference(g, NumpyChoices(seed + 2000))
    if got is None:  # no finite draw: the campaign would discard this case too
        return 0
    ref, inputs = got
    floor = lowest_opset(g)
    judged = 0
    for opset in sorted({max(o, floor) for o in (floor, *ONNX_OPSETS)}):
        model = model_proto(g, opset)
        onnx.checker.check_model(model, full_check=True)
        onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
        outs = _run_model(model, {v.name: inputs[v.name] for v in g.inputs})
        if outs is None:
            continue
        # the production judge: shape and dtype exact, values within the per-element tolerance
        # the campaign uses (dtype-aware, widened by the graph's own float32 error and sensitivity)
        verdict = judge_outputs(ref, outs, f"onnx-direct@{opset}", "onnx-reference")
        if verdict.kind == Kind.UNSTABLE:
            continue
        assert verdict.kind == Kind.PASS, f"opset {opset}: {verdict.kind}: {verdict.error}"
        judged += 1
    return judged


ONNX_SPECS = [s.name for s in all_specs() if s.has_onnx and s.weight > 0]


@pytest.mark.parametrize("name", ONNX_SPECS)
def test_op_onnx_lowering(name):
    seen = judged = 0
    for kind in CONFIGS:
        for seed in ONNX_SEEDS:
            g = generate(NumpyChoices(seed), _onnx_config(name, kind))
            if name not in g.op_types():
                continue
            seen += 1
            try:
                judged += _check_onnx(g, seed)
            except Exception as e:
                raise AssertionError(f"op {name}, config {kind}, seed {seed}:\n{g.summary()}") from e
    assert seen > 0, f"op {name} never appeared in {len(CONFIGS) * len(ONNX_SEEDS)} generated onnx graphs"
    assert judged > 0, f"op {name}: no generated graph had a stable truth to judge against"


# -- every dtype, every opset, 0-d operands ------------------------------------------
#: every opset a direct model may target: gen --check and campaigns draw any of them
EVERY_OPSET = tuple(range(OLDEST_OPSET, onnx.defs.onnx_opset_version() + 1))
#: seeds tried, per dtype and shape regime, for a graph that holds the op
DTYPE_SEEDS = range(8)


def _holds(g: Graph, name: str, dtype: DType, zero_d: bool) -> bool:
    """g has a node of op `name` reading a `dtype` operand (a 0-d one when zero_d)."""
    return any(n.op_type == name and any(v.type.dtype == dtype and (v.type.rank == 0 or not zero_d) for v in n.inputs)
               for n in g.op_nodes)


def _dtype_graphs(name: str):
    """(dtype, 0-d?, label, graph): for each dtype the spec takes, a graph whose op node reads an
    operand of that dtype; for a spec taking 0-d operands, one more per dtype whose op node reads
    a 0-d operand (found when it can be: some ops need one operand of rank 1 or more).

    The graph's inputs are all of that dtype; an op that cannot draw from one dtype alone (a
    mean of integers needs a floating dtype=) gets float32 besides. The mixed-dtype configs
    above reach bfloat16, int8 or a scalar operand only now and then, and the opsets they
    judge skip the ones where a schema gained a dtype (Where bfloat16 at 16, AveragePool at
    22): here each dtype and shape regime is drawn on purpose."""
    spec = get_spec(name)
    ops = (name,) + tuple(h for h in HELPERS if h != name)
    ranks = (4, 0) if spec.min_rank == 0 else (4,)
    for dtype in sorted(spec.dtypes, key=lambda d: d.value):
        for max_rank in ranks:
            found = None
            for dtypes in ({dtype}, {dtype, DType.float32}):
                config = GenConfig(ops=ops, max_nodes=3, max_rank=max_rank, dtypes=frozenset(dtypes),
                                   frontend="onnx", control_flow=spec.control_flow)
                found = next(((seed, g) for seed in DTYPE_SEEDS for g in [generate(NumpyChoices(seed), config)]
                              if _holds(g, name, dtype, max_rank == 0)), None)
                if found:
                    break
            if found:
                seed, g = found
                yield dtype, max_rank == 0, f"{dtype.value}, max rank {max_rank}, seed {seed}", g


@pytest.mark.parametrize("name", ONNX_SPECS)
def test_op_onnx_lowering_every_dtype_and_opset(name):
    """The direct model is valid (full checker, strict shape inference) at every opset for every
    dtype the spec takes, 0-d operands included; its values are judged at one opset per graph,
    a different one each time, so that every opset is judged across the specs. Every dtype the
    spec declares must be drawn: a declared dtype the op never reads is a spec bug."""
    spec = get_spec(name)
    drawn, zero_d = set(), set()
    for i, (dtype, is_0d, label, g) in enumerate(_dtype_graphs(name)):
        (zero_d if is_0d else drawn).add(dtype)
        floor = lowest_opset(g)
        opsets = [o for o in EVERY_OPSET if o >= floor]
        try:
            for opset in opsets:
                model = model_proto(g, opset)
                onnx.checker.check_model(model, full_check=True)
                onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
            _judge_at(g, opsets[(i * 5) % len(opsets)], seed=i)
        except Exception as e:
            raise AssertionError(f"op {name}, {label}:\n{g.summary()}") from e
    never = sorted(d.value for d in spec.dtypes - drawn)
    assert not never, f"op {name} declares dtypes it never reads in {len(DTYPE_SEEDS)} seeds each: {never}"
    if spec.min_rank == 0:
        assert zero_d, f"op {name} takes 0-d operands (min_rank 0) but never read one"


def _judge_at(g: Graph, opset: int, seed: int) -> None:
    """The direct model's outputs at opset pass the campaign's judge against the float64 truth
    (skipped when no draw has a finite truth, no evaluator here computes it, or it is unstable)."""
    got = reference(g, NumpyChoices(seed + 3000))
    if got is None:
        return
    ref, inputs = got
    outs = _run_model(model_proto(g, opset), {v.name: inputs[v.name] for v in g.inputs})
    if outs is None:
        return
    verdict = judge_outputs(ref, outs, f"onnx-direct@{opset}", "onnx-reference")
    assert verdict.kind in (Kind.PASS, Kind.UNSTABLE), f"opset {opset}: {verdict.kind}: {verdict.error}"
