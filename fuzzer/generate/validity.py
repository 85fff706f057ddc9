"""Is a generated graph valid? The checks behind `onnxfuzz gen --check`.

The generator promises valid graphs by construction; this module holds it to
that promise, one graph at a time:

1. torch eager runs the graph (the float64 truth, fuzzer.run.eager.reference);
   when no input draw gives a finite truth the graph is "discarded", which is
   counted apart and is not a validity failure (the later checks still run);
2. when every op has an ONNX lowering, onnxfuzz's own direct model of the graph
   passes the checker as campaigns judge it (oracles.judge_model: full check,
   strict shape inference), and ONNX Runtime loads it with its graph
   optimizations off (the onnxruntime-noopt plugin: a load that measures
   kernels, not optimizers). A load refused for a missing kernel is valid
   when the plugin's is_unsupported says so, as a campaign judges it: the gap
   is read from ORT's own error, never from a cache (the missing kernel is
   recorded in "kernel_gap"). A model that loads is loaded again with every
   optimization on (the onnxruntime plugin): an error only there is a bug in
   ORT's optimizers, a finding ("runtime_finding"), not an invalid graph;
3. a graph of the torch frontend is also exported with TorchScript and the
   exported model judged as a campaign judges it (oracles.judge_model). A
   failure there is a finding about the exporter (a system under test), never
   a sign of an invalid graph; a type gap the checker names is a finding the
   exporter is excused for ("exporter_unsupported"), as in a campaign.

Each check returns plain data, so a multiprocessing pool can run it.
"""
from __future__ import annotations

import contextlib
import os
import sys
import traceback
from dataclasses import asdict, dataclass, field

from fuzzer.case import CaseResult, Job
from oracles import Kind, Stage, judge_model

#: opsets TorchScript is drawn at (its full range)
TORCHSCRIPT_OPSETS = tuple(range(7, 21))


@dataclass
class GraphCheck:
    seed: int
    frontend: str
    #: valid | invalid | crashed (set by gen --check when a checking process dies)
    status: str = "valid"
    #: why it is invalid: "<stage>: <error>"
    why: str | None = None
    #: True when no input draw gave a finite float64 truth
    discarded: bool = False
    #: "direct" when the direct ONNX model was checked, "eager" when only torch eager could be
    judged_on: str = "eager"
    #: the kernel ORT (optimizations off) says it lacks, in its own error: valid, counted for the report
    kernel_gap: str | None = None
    direct_opset: int | None = None
    #: the opset the TorchScript export was drawn at (torch frontend)
    export_opset: int | None = None
    #: ONNX op types of the direct and the exported model
    onnx_ops: list[str] = field(default_factory=list)
    #: TorchScript: "<stage>: <error>" when export or the exported model failed
    exporter_finding: str | None = None
    #: True when that failure is a documented gap: the exporter's is_unsupported, or a type gap
    #: the checker names in the exported model (oracles.judge_model), as a campaign judges it
    exporter_unsupported: bool = False
    #: ORT failed to load the direct model with its graph optimizations on, though it loads
    #: with them off: a bug in ORT's optimizers (a system under test), not an invalid graph
    runtime_finding: str | None = None
    #: a system under test killed the checking process in a step that looks for findings
    #: (TorchScript export, or ORT's optimized load); the rest of the checks stand without it
    crash_finding: str | None = None
    #: the missing kernel of a kernel gap (fuzzer.probe.gaps.missing_kernel), when identified
    gap: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)


#: the steps of check_graph that look for findings in systems under test, not at the graph's
#: validity; `skip` leaves them out to tell which step killed a checking process
FINDING_STEPS = ("export", "ort-optimized")


def check_graph(graph_json: str, seed: int, frontend: str, skip: tuple[str, ...] = (), progress=None) -> GraphCheck:
    """Run every validity check on one graph; never raises for a finding.

    skip: steps of FINDING_STEPS to leave out: "export" (TorchScript export and its check),
    "ort-optimized" (the second ORT load, with optimizations on). The graph's validity is the
    same without them.
    progress: called as progress(stage, path, runtime) before each finding step (they come
    last, after the graph's own checks), so a supervisor watching the process can tell a
    system under test that killed it (see fuzzer.generate.check_job).
    """
    unknown = set(skip) - set(FINDING_STEPS)
    if unknown:
        raise ValueError(f"unknown check steps to skip: {sorted(unknown)}; known: {list(FINDING_STEPS)}")
    from fuzzer.choices import NumpyChoices
    from fuzzer.generate import draw_inputs
    from fuzzer.ir import Graph
    from fuzzer.ops import get_spec
    from fuzzer.run.eager import reference

    graph = Graph.loads(graph_json)
    result = GraphCheck(seed, frontend)
    choices = NumpyChoices(seed)
    try:
        found = reference(graph, choices)
    except Exception as e:
        return _invalid(result, "torch eager", e)
    if found is None:
        result.discarded = True
        inputs = draw_inputs(graph, choices)  # the export needs example inputs all the same
    else:
        inputs = found[1]
    ops: set[str] = set()
    specs = [get_spec(op) for op in set(graph.op_types())]
    if all(s.has_onnx for s in specs):
        result.judged_on = "direct"
        _check_direct(graph, specs, choices, result, ops, optimized="ort-optimized" not in skip, progress=progress)
    if frontend == "torch" and "export" not in skip:
        if progress is not None:
            progress(Stage.EXPORT, "torchscript", "")
        _check_export(graph, inputs, choices, result, ops)
    result.onnx_ops = sorted(ops)
    return result


def _check_direct(graph, specs, choices, result: GraphCheck, ops: set[str], optimized: bool = True, progress=None) -> None:
    import onnx

    from fuzzer.materialize.onnx_model import lowest_opset, model_proto

    newest = onnx.defs.onnx_opset_version()
    try:
        floor = lowest_opset(graph, newest)
    except Exception as e:
        _invalid(result, "direct model", e)
        return
    opset = choices.integer(floor, newest)
    result.direct_opset = opset
    try:
        model = model_proto(graph, opset)
    except Exception as e:
        _invalid(result, "direct model", e)
        return
    ops.update(n.op_type for n in model.graph.node)
    verdict, _ = judge_model(model.SerializeToString(), f"onnx-direct@{opset}")
    if verdict is not None:  # onnxfuzz's own model: even a type gap is the generator's fault
        result.status, result.why = "invalid", f"direct model: {_short(verdict.error)}"
        return
    _load_in_ort(model, result, optimized, progress)


def _load_in_ort(model, result: GraphCheck, optimized: bool = True, progress=None) -> None:
    """Load model in ONNX Runtime twice. First with every graph optimization off: that load
    measures the kernels alone, so it judges the graph. Then with every optimization on: an
    error there that the plain load did not have is a bug in ORT's optimizers on a valid model,
    a finding about the system under test, never a sign of an invalid graph."""
    from fuzzer.plugin import load_plugin

    error = _ort_load(model, optimize=False)
    if error is None:
        if optimized and progress is not None:
            progress(Stage.LOAD, "onnx-direct", OPTIMIZED_RUNTIME)
        error = _ort_load(model, optimize=True) if optimized else None
        if error is not None:
            result.runtime_finding = f"onnxruntime load (all optimizations): {type(error).__name__}: {_short(error)}"
        return
    # as a campaign judges a load: the runtime's own is_unsupported (is_gap also covers ORT
    # refusing a valid model through the function body it inlined for a missing kernel)
    if not load_plugin("runtime", PLAIN_RUNTIME).is_unsupported(error):
        _invalid(result, "onnxruntime load", error)
        return
    from fuzzer.probe.gaps import missing_kernel

    result.gap = missing_kernel(model, str(error))
    result.kernel_gap = (f"{result.gap['op']}({result.gap['since']})/{','.join(result.gap['dtypes'])}"
                         if result.gap else f"onnxruntime load: {_short(error)}")


#: the runtime plugins of the two loads: optimizations off (judges the graph), all on (findings)
PLAIN_RUNTIME, OPTIMIZED_RUNTIME = "onnxruntime-noopt", "onnxruntime"


def _ort_load(model, optimize: bool) -> Exception | None:
    """The error the ORT runtime plugin raises loading model, or None when it loads."""
    from fuzzer.plugin import load_plugin

    try:
        load_plugin("runtime", OPTIMIZED_RUNTIME if optimize else PLAIN_RUNTIME).load(model.SerializeToString())
    except Exception as e:
        return e
    return None


def _check_export(graph, inputs, choices, result: GraphCheck, ops: set[str]) -> None:
    from fuzzer.convert.base import ExportRequest
    from fuzzer.plugin import load_plugin

    exporter = load_plugin("converter", "torchscript")
    opset = choices.choice(TORCHSCRIPT_OPSETS)
    result.export_opset = opset
    request = ExportRequest(graph, inputs, [v.name for v in graph.inputs],
                            [f"out{i}" for i in range(len(graph.outputs))], opset)
    try:
        with _quiet_stdout():  # the TorchScript exporter prints its whole IR to fd 1 when it fails
            blob = exporter.export(request)
    except Exception as e:
        result.exporter_finding = f"export@{opset}: {type(e).__name__}: {_short(e)}"
        result.exporter_unsupported = exporter.is_unsupported(e)
        return
    verdict, exported_ops = judge_model(blob, f"{exporter.name}@{opset}")
    ops.update(exported_ops)
    if verdict is not None:
        result.exporter_finding = f"check@{opset}: {_short(verdict.error)}"
        result.exporter_unsupported = verdict.kind is Kind.UNSUPPORTED


#: the (path, runtime) pair each finding step announces: what the supervisor puts in a job's
#: skip after that step killed (or hung) the checking process
STEP_PAIRS = {"export": ("torchscript", ""), "ort-optimized": ("onnx-direct", OPTIMIZED_RUNTIME)}


@dataclass(kw_only=True)
class GraphCheckJob(Job):
    """check_graph on a supervised worker (fuzzer.campaign.jobs), for `gen --check`: a finding
    step that kills or hangs the process is skipped on the retry, and the graph is judged by
    the rest."""

    frontend: str

    def run(self, progress) -> CaseResult:
        skip = tuple(step for step, pair in STEP_PAIRS.items() if pair in self.skip)
        check = check_graph(self.graph_json, self.seed, self.frontend, skip, progress)
        return CaseResult(self.case_id, self.seed, "judged", notes={"check": check.to_dict()})


@contextlib.contextmanager
def _quiet_stdout():
    """Discard whatever is written to file descriptor 1 (C++ included) meanwhile: the
    command's own output (JSON) goes there."""
    sys.stdout.flush()
    saved = os.dup(1)
    sink = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(sink, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(sink)


def _invalid(result: GraphCheck, stage: str, e: BaseException) -> GraphCheck:
    result.status = "invalid"
    result.why = f"{stage}: {type(e).__name__}: {_short(e)}"
    if not str(e):  # a bare exception: where it came from is all there is
        result.why += " " + traceback.format_exc(limit=-2).replace("\n", " | ")[:300]
    return result


def _short(e: BaseException, limit: int = 300) -> str:
    return " ".join(str(e).split())[:limit]


__all__ = ["FINDING_STEPS", "GraphCheck", "GraphCheckJob", "check_graph"]
