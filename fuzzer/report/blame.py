"""Whose bug is it: the other converters and runtimes as witnesses, and the model as evidence.

The minimized case is run along every exporter path and on every runtime, and
the models the failing path made are kept. The rules it then applies are
shared with `onnxfuzz check` (oracles.evidence):
- a converter or transformer is at fault only when its output is wrong: the
  full checker or the IR rules the checker skips reject it (a dim name used for
  dims of different lengths, a declared output shape the model does not
  produce, an input declared of another element type than the graph's), it breaks an op's input constraints in the spec, or it computes the
  wrong function on every runtime that genuinely runs it; a valid model that every
  runtime refuses is no witness against its exporter (each refusal may be the
  runtime's own);
- a runtime is at fault when a runtime of another family (or its own kin at
  other settings) runs the same model correctly; against a refusal to load or
  run, the lenient reference evaluator alone is no witness;
- kernel gaps (`unsupported`) are no witness either way;
- a checker failure inside an op's function body that the op alone at that
  element type shows too is the ONNX spec's defect ("onnx (function body of Op)");
- onnxfuzz's own direct builder (onnx-direct) is never blamed: evidence that
  points at it is onnxfuzz's own defect;
- a transformer that crashes on, or writes an invalid model from, a model that
  already breaks the IR rules (declares shapes it does not produce, as the
  TorchScript exporter's If wrapper around scatter_reduce does) is not at
  fault: the model it was given is the witness against its exporter.
Anything else is ambiguous and is left for a human (and never filed automatically).

A target with a dynamic plan is witnessed with the same plan: every path
exports the same dims dynamic and runs at the same sizes, since a failure that
shows only at another size would look like a pass everywhere else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from fuzzer.case import CaseSpec
from fuzzer.convert.base import EXPORTERS_FUSIONS, EXPORTERS_OPTIMIZER
from fuzzer.generate import GenConfig
from fuzzer.ir import Graph
from fuzzer.ir.types import read_npz
from fuzzer.minimize.reducer import Evaluator, Target, fit_plan, in_process
from oracles import Kind, Stage
from oracles.evidence import (LENIENT, constraint_breaks, function_body_fault, input_type_faults, model_faults, on_same_model,
                              shape_faults, type_contradiction)
from oracles.evidence import runtime_family as runtime_family
from oracles.verdict import path_family

#: onnxfuzz's own direct ONNX builder: a materializer, not a system under test
OWN_EXPORTER = "onnx-direct"


@dataclass
class Blame:
    """The system at fault for one failure, and why.

    system: a plugin name; "" when ambiguous (never filed); "onnxfuzz" (role "own") when the
    evidence points at onnxfuzz itself (its direct builder onnx-direct, a lowering): a defect
    of onnxfuzz, never to be filed as a bug of a system under test; "onnx" (role "spec") when
    an op's function body in the ONNX spec fails the checker on its own (the reason says
    "onnx (function body of <Op>)").
    role: exporter | transformer | runtime | own | spec | "".
    """

    system: str
    role: str
    reason: str
    witnesses: list[tuple[str, str, str]] = field(default_factory=list)  # (path, runtime, verdict kind)
    #: the IR rules the exporter's model broke before a transformer was given it, when that is
    #: why the exporter is blamed for a failure seen after the transformer
    inherited: list[str] = field(default_factory=list)
    #: the component outside the blamed exporter, run by it first, that fails the same way on
    #: its own (Exporter.upstream_fault: "torch.jit.trace"); "" when the exporter's own code is at fault
    component: str = ""
    #: the failure in the blamed system's own words, where they differ from those the campaign saw:
    #: a converter a tool runs inside its own transform, run alone (onnxoptimizer built into
    #: onnxsim names its assertion's file once more); "" when the campaign's words are its own
    said: str = ""


def _transformer_upstream(transformer: str, given: bytes | None, opset: int, error: str) -> str:
    """Transformer.upstream_fault of the failing transform, "" when it names none or cannot tell."""
    from fuzzer.plugin import load_plugin

    if given is None:
        return ""
    try:
        return load_plugin("converter", transformer).upstream_fault(given, opset, error) or ""
    except Exception:  # the evidence could not be had: the transformer stays blamed
        return ""


def _words_of(transformer: str, given: bytes | None, opset: int) -> str:
    """What transformer says when it fails on given (its exception, else the checker's words on
    what it wrote), "" when it does not fail or cannot be asked."""
    import onnx

    from fuzzer.plugin import load_plugin

    try:
        out = load_plugin("converter", transformer).transform(given, opset)
    except Exception as e:  # noqa: BLE001 - its failure, in its own words
        return f"{type(e).__name__}: {e}"
    try:
        onnx.checker.check_model(onnx.load_model_from_string(out), full_check=True)
    except Exception as e:  # noqa: BLE001 - the model it wrote is refused
        return f"{type(e).__name__}: {e}"
    return ""


def _upstream_fault(exporter: str, graph: Graph, feeds: dict | None, opset: int, error: str) -> str:
    """Exporter.upstream_fault of the failing export, "" when it names none or cannot tell
    (a process death is not retried here: this runs in the filer's process)."""
    from fuzzer.convert.base import ExportRequest
    from fuzzer.plugin import load_plugin

    # a minimized graph may have no inputs at all (constants only): its feeds are {} (review 16:
    # torch's functionalization of polygamma_ on a constant was blamed on the exporter)
    if feeds is None or (error or "").startswith("worker died"):
        return ""
    try:
        names = [v.name for v in graph.inputs]
        if not all(n in feeds for n in names):
            return ""
        request = ExportRequest(graph, {n: feeds[n] for n in names}, names,
                                [f"out{i}" for i in range(len(graph.outputs))], opset)
        return load_plugin("converter", exporter).upstream_fault(request, error) or ""
    except Exception:  # the evidence could not be had: the exporter stays blamed as before
        return ""


#: ONNX Runtime with every graph optimization off
NOOPT = "onnxruntime-noopt"


def kind_is_crash(kind: Kind) -> bool:
    """A runtime's refusal to load or run (not a wrong result)."""
    return kind in (Kind.LOAD_CRASH, Kind.RUN_CRASH)


def _redeclared(model, fed: dict, produced: list) -> bytes:
    """model declaring the shapes it is fed (by input name) and produces (by output position)."""
    import onnx
    from onnx import helper

    m = onnx.ModelProto()
    m.CopyFrom(model)

    def declare(vi, shape):
        if shape is None or not vi.type.HasField("tensor_type"):
            return
        vi.type.CopyFrom(helper.make_tensor_type_proto(vi.type.tensor_type.elem_type, list(shape)))

    for vi in m.graph.input:
        declare(vi, (fed or {}).get(vi.name))
    if produced is not None and len(produced) == len(m.graph.output):
        for vi, shape in zip(m.graph.output, produced):
            declare(vi, shape)
    return m.SerializeToString()


def _still_fails(runtime: str, model: bytes, feeds: dict, error: str) -> bool:
    """Does runtime, loading and running model on feeds in a process of its own (a runtime may
    die on it), raise what error's first line says (names and numbers aside)?"""
    from fuzzer.coverage.localize import error_pattern
    from fuzzer.run.alone import run_alone

    first = (error or "").strip().splitlines()
    if not runtime or not first:
        return False
    raised = run_alone(runtime, model, feeds).raised
    return bool(raised) and re.search(error_pattern(first[0]), raised) is not None


def _function_body_computes_otherwise(model, feeds: dict, kind: Kind) -> str:
    """The ops whose spec function bodies, expanded in model (oracles.evidence.expand_function_ops),
    make onnx.reference compute what kind says (NaN or inf, or other values) where its own kernels
    for those ops compute the model finite and close; "" when they do not, or either run fails.
    Each run is in a process of its own."""
    from fuzzer.run.alone import run_alone
    from oracles.evidence import expand_function_ops

    expanded = expand_function_ops(model)
    if expanded is None:
        return ""
    body_model, ops = expanded
    kernels = run_alone(LENIENT, model.SerializeToString(), feeds, outputs=True).outputs
    bodies = run_alone(LENIENT, body_model.SerializeToString(), feeds, outputs=True).outputs
    if kernels is None or bodies is None or len(kernels) != len(bodies):
        return ""
    for k, b in zip(kernels, bodies):
        k, b = np.asarray(k), np.asarray(b)
        if k.shape != b.shape or k.dtype.kind != "f" or not np.isfinite(k).all():
            continue
        if kind is Kind.NAN_INF and not np.isfinite(b).all():
            return ", ".join(ops)
        if kind is Kind.VALUE_MISMATCH and np.isfinite(b).all() and not np.allclose(b, k, rtol=1e-2, atol=1e-6):
            return ", ".join(ops)
    return ""


def _producer(name: str, role: str, reason: str, witnesses) -> Blame:
    """Blame on whoever made a model; onnxfuzz's own builder is onnxfuzz's own defect."""
    if name == OWN_EXPORTER:
        return Blame("onnxfuzz", "own", f"onnxfuzz's own direct ONNX builder ({OWN_EXPORTER}) is at fault: {reason}", witnesses)
    return Blame(name, role, reason, witnesses)


def blame(graph: Graph, target: Target, seed: int, inputs_npz: bytes | None, exporters: list[str], runtimes: list[str],
          evaluate: Evaluator = in_process) -> Blame:
    """Whose bug the failure `target` of graph is (see the module docstring)."""
    found = _blame(graph, target, seed, inputs_npz, exporters, runtimes, evaluate)
    if found.role == "exporter" and not found.component and target.stage is not Stage.EXPORT:
        # the exporter's model is invalid or computes wrongly: a component it runs first may
        # already compute the module wrongly (Exporter.upstream_wrong)
        feeds = read_npz(inputs_npz) if inputs_npz else None
        opset = int(target.path.split(">")[0].partition("@")[2])
        upstream = _upstream_wrong(found.system, graph, feeds, opset)
        if upstream == EXPORTERS_OPTIMIZER:
            return Blame("", "", f"{found.system} exports a model that computes the module's result with optimize=False; "
                         f"{upstream}, which it runs last, makes it wrong or invalid, and so does that optimizer's "
                         "transformer alone on the plain model: the path through the onnxscript-optimizer transformer "
                         f"files it under its rule ({found.reason})", found.witnesses)
        if upstream == EXPORTERS_FUSIONS:
            found.component = upstream
            found.reason = (f"{found.system} exports a model that computes the module's result with optimize=False; "
                            f"{upstream}, which it runs after its own translation, make it wrong; {found.reason}")
        elif upstream:
            found.component = upstream
            found.reason = (f"{upstream}, which {found.system} runs before its own translation, already computes the "
                            f"module wrongly or fails when run eagerly: the fault is there; {found.reason}")
    return found


def _upstream_wrong(exporter: str, graph: Graph, feeds: dict | None, opset: int) -> str:
    """Exporter.upstream_wrong of the exporter's model, "" when it names none or cannot tell."""
    from fuzzer.convert.base import ExportRequest
    from fuzzer.plugin import load_plugin

    try:
        names = [v.name for v in graph.inputs]
        if feeds is None or not all(n in feeds for n in names):
            return ""
        request = ExportRequest(graph, {n: feeds[n] for n in names}, names,
                                [f"out{i}" for i in range(len(graph.outputs))], opset)
        return load_plugin("converter", exporter).upstream_wrong(request) or ""
    except Exception:  # the evidence could not be had: the exporter stays blamed as before
        return ""


def _blame(graph: Graph, target: Target, seed: int, inputs_npz: bytes | None, exporters: list[str], runtimes: list[str],
           evaluate: Evaluator) -> Blame:
    import onnx

    from fuzzer.plugin import load_plugin

    exporters, runtimes = list(exporters or []), list(runtimes or [])  # None: no witnesses beyond the case's own
    steps = target.path.split(">")
    exporter, _, opset_text = steps[0].partition("@")
    opset = int(opset_text)
    all_runtimes = sorted(set(runtimes) | ({target.runtime} - {""}))
    witnesses: list[tuple[str, str, str]] = []
    models: dict[str, bytes] = {}
    shown = ""
    for name in sorted(set(exporters) | {exporter}):
        opsets = load_plugin("converter", name).opsets
        mine = name == exporter
        spec = CaseSpec(
            case_id=0, seed=seed, config=GenConfig(), exporters=[name],
            transformers=steps[1:] if mine else [], runtimes=all_runtimes,
            opset=opset if opset in opsets else min(opsets, key=lambda o: abs(o - opset)),
            graph_json=graph.dumps(), inputs_npz=inputs_npz, dynamic=fit_plan(graph, target.dynamic),
            # the failing path's models are evidence: kept whether or not they fail this time
            keep_models=frozenset(">".join(steps[:k]) for k in range(1, len(steps) + 1)) if mine else frozenset(),
        )
        result = evaluate(spec)
        if result is not None:
            witnesses += [(v.path, v.runtime, v.kind.value) for v in result.verdicts]
            if mine:
                models = dict(result.models)
                # a Target keeps its error normalized ("value_mismatch"): the verdict says which output
                shown = next((v.error for v in result.verdicts if v.path == target.path and v.runtime == target.runtime
                              and v.kind is target.kind), "")

    feeds = read_npz(inputs_npz) if inputs_npz else None

    def model(path: str):
        data = models.get(path)
        try:
            return onnx.load_model_from_string(data) if data is not None else None
        except Exception:
            return None

    fed = {v.name: tuple(v.type.shape) for v in graph.inputs}
    produced = [tuple(v.type.shape) for v in graph.outputs]
    given, made = model(steps[0]), model(target.path)
    transformer = steps[-1] if len(steps) > 1 else None

    if target.stage is Stage.EXPORT:
        upstream = _upstream_fault(exporter, graph, feeds, opset, target.error)
        if upstream == EXPORTERS_OPTIMIZER:
            # it runs after the translation, on a model the exporter without it writes: its rule is
            # what failed, and the onnxscript-optimizer transformer on that model names the rule
            return Blame("", "", f"{exporter} exports the module with optimize=False; the crash is in onnxscript's "
                         "optimizer, which it runs last, and the path through the onnxscript-optimizer transformer files "
                         "it under its rule", witnesses)
        if upstream:
            blamed = _producer(exporter, "exporter", f"{upstream} alone fails the same way on the module: the fault "
                               f"is in {upstream}, which {exporter} runs before its own translation", witnesses)
            blamed.component = upstream
            return blamed
        return _producer(exporter, "exporter", f"{exporter} fails before any runtime runs its model", witnesses)
    carried = _carried_over(transformer, target, witnesses) if transformer else ""
    if carried:
        # not filed here: this path's model holds the folded constant, which shows the runtime's
        # defect to no one (review 13's short campaign: a model of no nodes whose constant was
        # wrong, run on ONNX Runtime); the runtime's own failure on the model it was given is a
        # signature of its own, filed with that model
        return Blame("", "", f"{transformer} computes constants with {carried}'s kernels, and {carried} already "
                     f"computes the model {transformer} was given wrongly: {transformer} carried that into its output, "
                     f"and {carried}'s failure is filed on its own path", witnesses)
    if transformer and given is not None and target.stage in (Stage.CHECK, Stage.CONVERT):
        # the model the transformer was given passed the checker (a case hands it no other), but
        # it may still break the IR rules the checker skips (declared shapes it does not
        # produce): a transformer that trusts the declaration then fails or writes a model the
        # checker rejects, and the exporter's model is the witness against the exporter
        # and the spec's input constraints the checker of its opset skips (an axis on a 0-d value)
        # (with the case's inputs, for values computed in the graph: axes a Reshape of constants
        # makes, review 16's ReduceMax on a 0-d value, which an offline optimizer then refused)
        given_feeds = {i.name: feeds[i.name] for i in given.graph.input if feeds and i.name in feeds} or None
        broken = model_faults(given, fed, produced) or constraint_breaks(given, given_feeds)
        if broken:
            blamed = _producer(exporter, "exporter", f"the model {exporter} gave {transformer} already breaks the IR "
                               f"rules: {'; '.join(broken)}; {transformer} only trusted what it declares", witnesses)
            blamed.inherited = broken
            return blamed
        # a converter the tool runs inside its own transform may be what fails (Transformer.upstream_fault)
        upstream = _transformer_upstream(transformer, models.get(steps[0]), opset, target.error)
        if upstream:
            return Blame(upstream, "transformer", f"{transformer} runs {upstream} first, and {upstream} alone fails the "
                         f"same way on the model {transformer} was given", witnesses,
                         said=_words_of(upstream, models.get(steps[0]), opset))
    if target.stage is Stage.CHECK:
        spec_fault = function_body_fault(made, _checker_error(made)) if made is not None else None
        if spec_fault is not None:
            op, dtype = spec_fault
            return Blame("onnx", "spec", f"onnx (function body of {op}): {op} alone at {dtype} fails the full checker inside "
                         f"its function body, however it is built; {transformer or exporter} only emitted the op", witnesses)
        if transformer:
            # a case only hands a transformer a model that passed the checker and ran correctly
            # on some runtime (fuzzer/case.py), so a model the checker rejects after it is its own
            return Blame(transformer, "transformer", f"{transformer} turns a model that passes the checker and runs "
                         "correctly into one the checker rejects", witnesses)
        return _producer(exporter, "exporter", f"the checker rejects the model {exporter} wrote", witnesses)
    if target.stage is Stage.CONVERT:
        folding = _folding_runtime_died(steps[-1], target, witnesses)
        if folding:
            return Blame("", "", f"{steps[-1]} dies while it folds constants with {folding}, which fails on the model "
                         f"{steps[-1]} was given too: that failure is {folding}'s, on its own path", witnesses)
        return Blame(steps[-1], "transformer", f"{steps[-1]} fails on a model it was given", witnesses)

    # a runtime failed (load, run or judged outputs): first the model itself as evidence
    if made is not None:
        faults = model_faults(made, fed, produced) + input_type_faults(made, feeds)
        unoptimized = target.runtime != NOOPT and runtime_family(target.runtime) == runtime_family(NOOPT) and any(
            p == target.path and r == NOOPT and Kind(k) is Kind.PASS for p, r, k in witnesses)
        if (faults and unoptimized and faults == shape_faults(made, fed, produced) and kind_is_crash(target.kind)
                and feeds is not None and _still_fails(target.runtime, _redeclared(made, fed, produced), feeds, target.error)):
            # ONNX Runtime runs the model correctly with its optimizations off, and with them on
            # fails the same way on the model declaring what it takes and makes: the declarations
            # are the producer's defect, but not this failure's cause (review 16: constant folding
            # refusing a dead If branch of TorchScript's tile, in a model that also declared an
            # output of the wrong rank); the witnesses below decide
            faults = []
        if faults:
            inherited = transformer and given is not None and set(faults) <= set(
                model_faults(given, fed, produced) + input_type_faults(given, feeds))
            who = exporter if not transformer or inherited else transformer
            return _producer(who, "transformer" if who == transformer else "exporter",
                             f"the model {who} wrote is invalid: {'; '.join(faults)}", witnesses)
    kind = target.kind
    on_model = [(r, Kind(k)) for p, r, k in witnesses if path_family(p) == path_family(target.path) and r]
    found = on_same_model(kind, target.runtime, on_model, made, feeds)
    contradiction = type_contradiction(made, shown or target.error) if (
        found.at == "model" and not found.broken and made is not None and kind_is_crash(kind)) else ""
    if contradiction:
        # every runtime fails, but this one by computing a type the model's checked types rule
        # out: whatever the others do, this failure is its own (review 21's float16 AffineGrid)
        return Blame(runtime_family(target.runtime), "runtime", f"{contradiction} ({found.reason})", witnesses)
    if found.at == "runtime":
        flipped = _discrete_output_of_lowered_precision(transformer, graph, target, model(">".join(steps[:-1])),
                                                        shown) if transformer and runtime_family(target.runtime) == LENIENT else ""
        if flipped:
            # the truth is the graph's at its own precision, and the reference evaluator computes
            # each op at the lowered model's own types, as the spec reads: where it alone differs
            # on a discrete output, it may be the one that honours the rounding (review 18: it
            # counted float16's two -0 in Unique as one value, where ONNX Runtime dropped the
            # Casts and agreed with the float32 truth). A compiled runtime that alone differs is
            # judged as before (tract's float16 Softplus losing its small values: c2f007)
            return Blame("", "", f"{flipped}; the truth is the graph's at its own precision, and {target.runtime} "
                         f"computes each op at the lowered model's types, so it may be the one that honours the "
                         f"rounding ({found.reason})", witnesses)
        if (kind in (Kind.NAN_INF, Kind.VALUE_MISMATCH) and runtime_family(target.runtime) != LENIENT and made is not None
                and feeds is not None):
            body = _function_body_computes_otherwise(made, feeds, kind)
            if body:
                # a runtime with no kernel for the op at this opset runs the spec's function body:
                # the body is what is wrong (review 19: ONNX Runtime at opset 28 inlines
                # ReduceLogSumExp's Exp of the unshifted input, which overflows)
                return Blame("onnx", "spec", f"onnx (function body of {body}): run by onnx.reference, the body the "
                             f"spec defines {body} by computes {'NaN or inf' if kind is Kind.NAN_INF else 'other values'} "
                             f"where onnx.reference's own {body} computes the model right; {target.runtime} runs that "
                             f"body ({found.reason})", witnesses)
        system = target.runtime if found.alone else runtime_family(target.runtime)
        return Blame(system, "runtime", found.reason, witnesses)
    if transformer and not kind_is_crash(kind):
        # the runtime that passed on the model the transformer was given may be the odd one out:
        # when every other runtime family that ran that model computed it wrongly too, its pass
        # is no witness that the transformer broke anything (review 16: tract alone agreeing with
        # torch on the dynamo exporter's wrong atan2 at -0.0, by an error of its own)
        given_path = ">".join(steps[:-1])
        before = [(r, Kind(k)) for p, r, k in witnesses
                  if p == given_path and r and runtime_family(r) != runtime_family(target.runtime)]
        ran = [(r, k) for r, k in before if k is Kind.PASS or k.is_failure]
        if ran and all(k.is_failure for _, k in ran):
            return Blame("", "", f"on the model {transformer} was given, {target.runtime} alone passes and every other "
                         f"runtime that ran it fails ({', '.join(sorted(r for r, _ in ran))}): that model's failure is "
                         f"filed on its own path, and no witness says that what {transformer} made is wrong", witnesses)
    if transformer:
        if found.at == "model":
            stated_first = runtime_family(target.runtime) == LENIENT
            inherited = given is not None and kind in (Kind.LOAD_CRASH, Kind.RUN_CRASH) and bool(
                constraint_breaks(given, feeds, stated_first=stated_first))
            if inherited:
                return _producer(exporter, "exporter", f"{found.reason}; the model {exporter} gave {transformer} breaks "
                                 "them already", witnesses)
            flipped = _discrete_output_of_lowered_precision(transformer, graph, target, model(">".join(steps[:-1])), shown)
            if flipped:
                return Blame("", "", f"{flipped}; {found.reason}", witnesses)
            return Blame(transformer, "transformer", f"the model passes on {target.runtime} before {transformer} and fails "
                         f"after it: {found.reason}", witnesses)
        if found.at == "alone" and kind not in (Kind.LOAD_CRASH, Kind.RUN_CRASH):
            # a wrong function on the one runtime that runs both the input and the output; unless
            # the output needs kernels the input did not: that runtime's kernel may be what is
            # wrong (review 7: onnx.reference computing an int64 Gemm through float64, when
            # onnxoptimizer fused MatMul and Add into it)
            new = _new_op_types(model(">".join(steps[:-1])), made)
            if new:
                return Blame("", "", f"the model passes on {target.runtime} before {transformer} and computes wrongly "
                             f"after it, with kernels the input did not need ({', '.join(new)}): their defect or "
                             f"{transformer}'s; {found.reason}", witnesses)
            return Blame(transformer, "transformer", f"the model passes on {target.runtime} before {transformer} and "
                         f"computes wrongly after it; {found.reason}", witnesses)
        return Blame("", "", found.reason, witnesses)
    if found.broken:
        return _producer(exporter, "exporter", found.reason, witnesses)
    rivals = {path_family(p) for p, r, k in witnesses if path_family(p) != exporter and ">" not in p and r == target.runtime}
    rivals_pass = sorted({path_family(p) for p, r, k in witnesses
                          if path_family(p) in rivals and r == target.runtime and k == Kind.PASS.value})
    if found.at == "alone" and rivals_pass and kind not in (Kind.LOAD_CRASH, Kind.RUN_CRASH):
        # a wrong function on the one runtime that runs both this model and another exporter's
        # model of the same graph correctly (a refusal there may be the runtime's lack of support)
        return _producer(exporter, "exporter", f"{exporter}'s model computes wrongly on {target.runtime}, where "
                         f"{', '.join(rivals_pass)}'s model of the same graph passes; {found.reason}", witnesses)
    if found.at != "model":  # mixed witnesses, or none that genuinely ran the model
        return Blame("", "", found.reason, witnesses)
    if kind in (Kind.LOAD_CRASH, Kind.RUN_CRASH):
        # every runtime refuses a model that passes the full checker and breaks none of the input
        # constraints known (found.broken is empty): each refusal may be that runtime's own (a valid
        # Pad of a 0-d tensor that ORT, onnx.reference, OpenVINO and tract each refuse), and another
        # exporter's model passing shows only that a different model runs
        return Blame("", "", f"{found.reason}, yet the model passes the full checker and breaks none of the "
                     "input constraints onnxfuzz checks: each runtime's refusal may be its own", witnesses)
    # every runtime that genuinely ran the exporter's model fails on it
    if rivals_pass:
        return _producer(exporter, "exporter", f"{found.reason}; {', '.join(rivals_pass)}'s model of the same graph "
                         f"passes on {target.runtime}", witnesses)
    if rivals:
        return Blame("", "", f"every exporter's model fails on every runtime that runs it: suspect the ground truth "
                     f"({found.reason})", witnesses)
    why = "no other exporter could export the graph" if set(exporters) - {exporter} else "no other exporter was a witness"
    return _producer(exporter, "exporter", f"{found.reason}, the same way ({why})", witnesses)


def _discrete_output_of_lowered_precision(transformer: str, graph: Graph, target: Target, given=None, shown: str = "") -> str:
    """Why a wrong integer or bool output of a transformer that lowers precision on purpose (to
    float16, to int8) is no defect of it, or "": an index or a comparison of float values flips
    when the rounding moves two near values past each other, and the model judged at its new
    precision still does exactly what it should (review 10: ORT's dynamic quantization moved two
    Conv outputs 0.003 apart past each other, and Unique's indices after them swapped). Every
    runtime agrees on such a model; one that computes it otherwise is judged as before."""
    from fuzzer.plugin import load_plugin

    if target.kind is not Kind.VALUE_MISMATCH:  # rounding never changes a shape
        return ""
    try:
        precision = getattr(load_plugin("converter", transformer), "precision", None)
    except Exception:  # noqa: BLE001 - a plugin that no longer loads lowers nothing we know of
        return ""
    # shown: the failing verdict's own words, which name the output (a Target's error is normalized)
    m = re.match(r"output (\d+):", shown or target.error or "")
    if not precision or m is None or int(m.group(1)) >= len(graph.outputs):
        return ""
    out = graph.outputs[int(m.group(1))]
    ancestors = [n for n in graph.ancestors(out) if n.is_op]
    if not any(v.type.dtype.is_float for n in ancestors for v in n.inputs):
        return ""
    ops = {op for n in ancestors for op in _onnx_ops(n.op_type)} | _model_steps(given, int(m.group(1)))
    if not out.type.dtype.is_float:
        # only where floats become discrete on the way: an index, a comparison, a cast to an integer
        turned = sorted(ops & (_STEPS | {"Cast", "CastLike", "Unique", "NonZero"}))
        if not turned:
            return ""
        return (f"{transformer} lowers the model to {precision} on purpose, and output {m.group(1)} is {out.type.dtype.value} "
                f"made from float values by {', '.join(turned)}: the lower precision's rounding flips it")
    steps = sorted(ops & (_STEPS | {CAST_TO_INTEGER}))
    if steps:
        # a float output through a step (review 11: a quantized Conv's 0.981 became 1.031, and the
        # Floor after it gave -2 for -1): the step's jump is the rounding's, not a defect
        return (f"{transformer} lowers the model to {precision} on purpose, and output {m.group(1)} goes through "
                f"{', '.join(steps)}, whose step the lower precision's rounding crosses")
    return ""


#: ONNX ops whose result jumps when their input crosses a point: a lowered precision moves
#: values across such points without any defect
_STEPS = frozenset({"Floor", "Ceil", "Round", "Sign", "Mod", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Equal",
                    "ArgMax", "ArgMin", "TopK", "IsInf", "IsNaN"})


#: a Cast from a float to an integer type truncates: a step (float32 -> int32 -> float32 turns a
#: quantized -1.009 for -0.997 into -1 for 0: review 12)
CAST_TO_INTEGER = "Cast to an integer type"


def _model_steps(model, output: int) -> set[str]:
    """{CAST_TO_INTEGER} when the model's output `output` is computed through a Cast of a float
    value to an integer type, a value computed from the data (not from a Shape or Size, whose
    sizes no rounding moves), else {}: a motif's casts are in the model, not in its spec's ops."""
    if model is None or output >= len(model.graph.output):
        return set()
    import onnx
    from onnx import TensorProto

    from oracles.evidence import needed_nodes

    floats = {TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16, TensorProto.BFLOAT16}
    # the integer types a Cast truncates a float to (not float8, int4 or bool)
    integers = {TensorProto.UINT8, TensorProto.INT8, TensorProto.UINT16, TensorProto.INT16, TensorProto.INT32,
                TensorProto.INT64, TensorProto.UINT32, TensorProto.UINT64}
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001 - a model inference refuses: its declared types only
        inferred = model
    elem = {v.name: v.type.tensor_type.elem_type for v in (*inferred.graph.input, *inferred.graph.value_info,
                                                           *inferred.graph.output)}
    elem.update({t.name: t.data_type for t in model.graph.initializer})
    nodes = list(model.graph.node)
    for n in needed_nodes(nodes, {model.graph.output[output].name}):
        if n.op_type != "Cast" or not n.input or elem.get(n.input[0]) not in floats:
            continue
        if not any(a.name == "to" and a.i in integers for a in n.attribute):
            continue
        if not {m.op_type for m in needed_nodes(nodes, {n.input[0]})} & {"Shape", "Size"}:
            return {CAST_TO_INTEGER}
    return set()


def _onnx_ops(ir_op: str) -> tuple[str, ...]:
    from fuzzer.ops import get_spec

    try:
        return tuple(get_spec(ir_op).onnx_ops or ())
    except KeyError:
        return (ir_op.removeprefix("onnx."),)


def _folding_runtime_failed(transformer: str, target: Target, witnesses, kinds) -> str:
    """The runtime a transformer folds constants with (Transformer.folds_with), when that runtime
    (any setting of its family) already fails on the model the transformer was given with one of
    `kinds` (verdict kind values); "" otherwise."""
    from fuzzer.plugin import load_plugin
    from fuzzer.report.rootcause import system_family

    try:
        folds_with = load_plugin("converter", transformer).folds_with
    except Exception:  # noqa: BLE001 - a plugin that no longer loads folds with nothing we know of
        return ""
    given = target.path.rsplit(">", 1)[0]
    if folds_with and any(p == given and r and system_family(r) == system_family(folds_with) and k in kinds
                          for p, r, k in witnesses):
        return folds_with
    return ""


def _carried_over(transformer: str, target: Target, witnesses) -> str:
    """The runtime a transformer folds constants with, when that runtime already gives a wrong
    result on the model the transformer was given and the transformer's output is invalid or
    wrong: onnx.reference's Slice clamping a negative step's start wrongly, folded by onnxscript's
    optimizer into an output of the wrong shape (review 9). "" otherwise."""
    if target.kind not in (Kind.INVALID_MODEL, Kind.VALUE_MISMATCH, Kind.SHAPE_MISMATCH, Kind.DTYPE_MISMATCH, Kind.NAN_INF):
        return ""
    wrong = (Kind.VALUE_MISMATCH.value, Kind.SHAPE_MISMATCH.value, Kind.DTYPE_MISMATCH.value, Kind.NAN_INF.value)
    return _folding_runtime_failed(transformer, target, witnesses, wrong)


def _folding_runtime_died(transformer: str, target: Target, witnesses) -> str:
    """The runtime a transformer folds constants with, when the transformer's process died and
    that runtime fails to load or run the model the transformer was given: the death is the
    runtime's, met inside the tool (ONNX Runtime's RandomNormal aborting on scale 0, reached
    through onnxslim's folding: review 13). A Python exception of the tool stays its own. "" otherwise."""
    from fuzzer.report.rootcause import is_death

    if target.kind is not Kind.CONVERT_CRASH or not is_death(target.error):
        return ""
    return _folding_runtime_failed(transformer, target, witnesses, (Kind.LOAD_CRASH.value, Kind.RUN_CRASH.value))


def _new_op_types(before, after) -> list[str]:
    """The kernels (op and element type, as a rule at fault names them) `after` runs and `before`
    does not, subgraphs included; [] when either model is unknown."""
    from fuzzer.coverage.fault import all_nodes, element_types, kernel_name

    if before is None or after is None:
        return []

    def kernels(model) -> set[str]:
        types = element_types(model)
        return {kernel_name(n, types) for n in all_nodes(model.graph)}

    return sorted(kernels(after) - kernels(before))


def _checker_error(model) -> str:
    import onnx

    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:
        return str(e)
    return ""
