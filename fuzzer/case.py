"""One test case, end to end: generate, materialize, convert, execute, judge.

`run_case` is what a campaign worker calls for every case; it is plain
in-process code. Isolation (time and memory limits, surviving a segfault) is
the campaign supervisor's job; `run_case` only announces each call into a
system under test through `progress`, so that the supervisor knows what to
blame when the worker dies or stalls inside one.
"""
from __future__ import annotations

import dataclasses
import io
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from fuzzer.choices import NumpyChoices
from fuzzer.convert.base import Exporter, ExportRequest, Transformer
from fuzzer.generate import GenConfig, generate
from fuzzer.ir import Graph
from fuzzer.ir.types import read_npz
from fuzzer.plugin import load_plugin
from fuzzer.run.base import Runtime, feeds_for
from oracles import Kind, Reference, Stage, Verdict, judge_error, judge_model, judge_outputs
from oracles.evidence import runtime_family

Progress = Callable[[Stage, str, str], None]


@dataclass
class CaseSpec:
    case_id: int
    seed: int
    config: GenConfig
    exporters: list[str]
    runtimes: list[str]
    #: ONNX-to-ONNX converters applied to each exported model, each on its own
    transformers: list[str] = field(default_factory=list)
    #: run this IR graph (JSON) instead of generating one from seed (the minimizer does)
    graph_json: str | None = None
    #: input values to use where they still fit the graph (npz bytes); the rest are drawn
    inputs_npz: bytes | None = None
    #: fixed opset for every exporter, or None to draw one per exporter from its range
    opset: int | None = None
    #: (path, runtime) pairs not to run: set when a retry must skip a pair that killed a worker
    skip: frozenset = frozenset()
    #: paths whose model is kept even when nothing fails in this run (a retry after a fatal pair)
    keep_models: frozenset = frozenset()
    #: a dynamic-shape plan to redo (CaseResult.dynamic of an earlier run): used where it still
    #: fits the graph, whether or not config.dynamic is set
    dynamic: dict | None = None
    #: the swarm the case's config was narrowed by (fuzzer.generate.swarm.Swarm.to_json), or None;
    #: recorded with a failing case so that its configuration is known without re-deriving it
    swarm: dict | None = None


@dataclass
class CaseResult:
    case_id: int
    seed: int
    status: str  # judged | unstable | discarded | error
    ops: list[str] = field(default_factory=list)
    #: (op, dtype of its primary operand) per op node (Graph.op_dtypes): the report's coverage
    op_dtypes: list[tuple[str, str]] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    sut_seconds: float = 0.0
    total_seconds: float = 0.0
    #: kept only when a verdict failed: what a report and the minimizer need
    graph_json: str | None = None
    inputs_npz: bytes | None = None
    models: dict[str, bytes] = field(default_factory=dict)
    #: seconds spent on each exporter's path (export, check, every runtime): what fair sharing charges
    path_seconds: dict[str, float] = field(default_factory=dict)
    #: a failure of onnxfuzz itself (status "error"): traceback or the worker's last words
    error: str | None = None
    #: the dynamic-shape plan the case ran with (fuzzer.generate.dynamic.DynamicPlan.to_json), or None
    dynamic: dict | None = None
    #: what a check of a user's model settled (fuzzer.check.model): its reference, draws
    notes: dict = field(default_factory=dict)
    #: {system: [rule, ...]}: the rules of systems under test the case exercised (fuzzer.coverage)
    rule_hits: dict = field(default_factory=dict)
    #: {system: {"version", "rules"}}: inventories this worker process found since its last case
    rule_inventory: dict = field(default_factory=dict)
    #: the case's swarm (CaseSpec.swarm), or None
    swarm: dict | None = None

    @property
    def failures(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.kind.is_failure]


@dataclass(kw_only=True)
class Job:
    """A job that is not a CaseSpec: the supervisor's worker calls its `run(progress)`
    (the probe's and `gen --check`'s, through fuzzer.campaign.jobs; `onnxfuzz check`'s ModelSpec).

    These are the fields the supervisor reads and writes. The job announces each call into a
    system under test through progress(stage, path, runtime); when its worker dies or stalls
    there, the supervisor records the death as a verdict and runs the job again with that
    (path, runtime) pair in `skip`, and the job's final result carries the verdict.
    """

    case_id: int
    seed: int = 0
    #: (path, runtime) pairs the job must not call again: each killed a worker
    skip: frozenset = frozenset()
    keep_models: frozenset = frozenset()
    #: the job's generated graph, if it has one (a death's verdict carries it)
    graph_json: str | None = None
    dynamic: dict | None = None

    def run(self, progress: "Progress") -> CaseResult:
        """Do the job in the worker, announcing each call into a system under test."""
        raise NotImplementedError


def _noop(stage: Stage, path: str, runtime: str) -> None:
    pass


def _not_exportable_by(exporter: str, graph: Graph) -> str | None:
    """An op of graph whose spec names the exporters that can export it, not including this one."""
    from fuzzer.ops import get_spec

    for op in graph.op_types():
        allowed = get_spec(op).exporters
        if allowed is not None and exporter not in allowed:
            return op
    return None


def _opsets_for(exporter: Exporter, graph: Graph) -> tuple[int, ...]:
    """The exporter's opsets that every op of a direct model can be lowered at."""
    if exporter.frontend != "onnx":
        return exporter.opsets
    from fuzzer.materialize.onnx_model import lowest_opset

    try:
        floor = lowest_opset(graph, max(exporter.opsets))
    except Exception:  # a lowering that fails at every opset: the export records that failure
        return exporter.opsets
    return tuple(o for o in exporter.opsets if o >= floor) or exporter.opsets[-1:]


def case_frontend(exporters: list[str]) -> str:
    """The one frontend every exporter of a case shares: its graph is drawn for that frontend."""
    frontends = {load_plugin("converter", name).frontend for name in exporters}
    if len(frontends) != 1:
        raise ValueError(f"a case's exporters must share a frontend, got {sorted(frontends)} from {exporters}")
    return frontends.pop()


@dataclass
class Exported:
    """One graph's model out of a batched export (fuzzer.batch), handed to its case: the
    model, or the error a per-graph check raised for it (Exporter.check_split), and this
    graph's share of the batch's export seconds."""

    model: bytes | None
    seconds: float
    error: BaseException | None = None


def run_case(spec: CaseSpec, progress: Progress = _noop) -> CaseResult:
    """Run one case; its result carries the rules it exercised (fuzzer.coverage)."""
    from fuzzer import coverage

    coverage.begin_case()
    started = start_case(spec, progress)
    result = started if isinstance(started, CaseResult) else finish_case(started)
    result.rule_hits, result.rule_inventory = coverage.take()
    if not isinstance(started, CaseResult):
        keep_for_corpus(result, started.graph)
    return result


def keep_for_corpus(result: CaseResult, graph, hits: dict[str, list[str]] | None = None) -> None:
    """Give a result the graph of its case when the case hit a rule new to this process: a
    candidate for the campaign's corpus (fuzzer.campaign.guidance), which only the campaign,
    knowing every worker's hits, can tell is new to the campaign. A failing case carries its
    graph anyway. hits: the rules its graph hit, when not all of result.rule_hits (a batch's)."""
    from fuzzer import coverage

    if coverage.novel(result.rule_hits if hits is None else hits) and result.graph_json is None:
        result.notes["corpus_graph"] = graph.dumps()


@dataclass
class StartedCase:
    """A case up to its first call into a system under test: its graph, inputs and float64
    truth (and dynamic plan). finish_case takes it on; a batch exports many of them at once."""

    spec: CaseSpec
    graph: Graph
    choices: NumpyChoices
    result: CaseResult
    paths: "_Paths"
    #: seconds start_case took: a batched case's total counts its own steps, not its batch mates'
    seconds: float

    def opset_for(self, exporter: Exporter) -> int:
        """The opset this case exports at with exporter: the spec's, else drawn from the case's choices."""
        spec = self.spec
        return spec.opset if spec.opset is not None else self.choices.choice(_opsets_for(exporter, self.graph))

    def request(self, exporter: Exporter, opset: int) -> ExportRequest:
        """The ExportRequest its own export would get (static: batches hold no dynamic case)."""
        g = self.graph
        return ExportRequest(g, self.paths.inputs, [v.name for v in g.inputs], [f"out{i}" for i in range(len(g.outputs))], opset)


def start_case(spec: CaseSpec, progress: Progress = _noop) -> StartedCase | CaseResult:
    """The case's graph, reference and dynamic plan; a CaseResult when it ends there (discarded)."""
    from fuzzer.run.eager import reference

    t0 = time.perf_counter()
    choices = NumpyChoices(spec.seed)
    config = spec.config
    frontend = case_frontend(spec.exporters)
    if frontend != config.frontend:
        config = dataclasses.replace(config, frontend=frontend)
    graph = Graph.loads(spec.graph_json) if spec.graph_json is not None else generate(choices, config)
    result = CaseResult(spec.case_id, spec.seed, "judged", ops=graph.op_types(), op_dtypes=graph.op_dtypes(),
                        swarm=spec.swarm)
    clock = _Clock(result)
    given = read_npz(spec.inputs_npz) if spec.inputs_npz else None
    with clock("reference"):
        # a case given its inputs (a replay, the minimizer) keeps those; any that no longer fit a
        # shrunk graph are drawn ordinary, so that a shrink keeps the failure it is testing for
        # rather than trading it for a special value's (a zero that hides a sign flip)
        found = reference(graph, choices, given, special=given is None)
    if found is None:
        result.status = "discarded"
        result.total_seconds = time.perf_counter() - t0
        return result
    ref, inputs = found
    if not ref.stability()[0]:
        result.status = "unstable"
    sizes: list = []
    plan = None
    if (config.dynamic or spec.dynamic is not None) and frontend in _DYNAMIC_FRONTENDS:
        with clock("dynamic"):
            plan, sizes = _plan_dynamic(graph, choices, spec.dynamic, given)
        if plan is not None:
            result.dynamic = plan.to_json()
            # a supervised worker passes the plan on before any system under test runs: a
            # retry after a death, and the verdict the death becomes, keep it
            if hasattr(progress, "planned"):
                progress.planned(result.dynamic)

    paths = _Paths(spec, graph, ref, inputs, result, clock, progress)
    paths.plan, paths.sizes = plan, sizes
    return StartedCase(spec, graph, choices, result, paths, time.perf_counter() - t0)


def finish_case(case: StartedCase, exported: dict[str, Exported] | None = None, opsets: dict[str, int] | None = None) -> CaseResult:
    """Export, convert, run and judge a started case.

    Args:
        exported: {exporter name: its model of this graph out of a batched export}; an exporter
            not in it exports the graph itself.
        opsets: {exporter name: opset} already drawn for it (by the batch); the rest are drawn here.
    """
    t0 = time.perf_counter()
    spec, graph, result, paths = case.spec, case.graph, case.result, case.paths
    exported, opsets = exported or {}, opsets or {}
    for name in spec.exporters:
        exporter: Exporter = load_plugin("converter", name)
        opset = opsets[name] if name in opsets else case.opset_for(exporter)
        path = f"{name}@{opset}"
        start = time.perf_counter()
        given = exported.get(name)
        model = paths.export(exporter, path, opset) if given is None else paths.take(exporter, path, given)
        passed = paths.check_and_run(model, path) if model is not None else set()
        spent = time.perf_counter() - start + (given.seconds if given is not None else 0.0)
        result.path_seconds[name] = result.path_seconds.get(name, 0.0) + spent
        for tname in spec.transformers:
            if not passed or model is None:
                break  # a transformer is judged only where the model it is given is right
            start = time.perf_counter()
            transformer: Transformer = load_plugin("converter", tname)
            tpath = f"{path}>{tname}"
            out = paths.transform(transformer, model, tpath, opset)
            if out is not None:
                paths.check_and_run(out, tpath, only=passed, precision=transformer.precision, family=transformer.output_for)
            if tpath in paths.keep:  # a transformer's repro starts from the model it was given
                paths.keep.setdefault(path, model)
            result.path_seconds[tname] = result.path_seconds.get(tname, 0.0) + time.perf_counter() - start

    if result.failures or spec.keep_models:
        result.graph_json = graph.dumps()
        buf = io.BytesIO()
        # the inputs of each alternative size too, under "<name>@<k>": a rerun reuses them
        alt = {f"{n}@{k}": a for k, (_, _, ins, _) in enumerate(paths.sizes) for n, a in ins.items()}
        np.savez(buf, **paths.inputs, **alt)
        result.inputs_npz = buf.getvalue()
        result.models = paths.keep
    shares = sum(e.seconds for e in exported.values())
    result.total_seconds = case.seconds + time.perf_counter() - t0 + shares
    return result


# The frontends whose exporters can declare dims dynamic (the TF frontend cannot yet).
_DYNAMIC_FRONTENDS = ("torch", "onnx")


def _plan_dynamic(graph: Graph, choices, stored: dict | None, given: dict | None):
    """(plan, [(size, alt graph, alt inputs, alt reference)]) for a dynamic case: each
    alternative size with its own inputs and float64 truth. (None, []) when no dim can vary."""
    from fuzzer.generate.dynamic import DynamicPlan, plan, replay
    from fuzzer.materialize import build_module
    from fuzzer.run.eager import reference, types_hold

    module = []  # built on first use, once: every size shares the base graph's source

    def check(g: Graph) -> bool:
        if not module:
            module.append(build_module(graph))
        return types_hold(g, choices, module[0])

    p = replay(graph, DynamicPlan.from_json(stored), check) if stored is not None else plan(graph, choices, check)
    if p is None:
        return None, []
    sizes = []
    for k, (size, g) in enumerate(zip(p.sizes, p.graphs)):
        mine = {n.removesuffix(f"@{k}"): a for n, a in (given or {}).items() if n.endswith(f"@{k}")}
        try:
            found = reference(g, choices, mine)
        except Exception:  # torch disagrees with the re-typed graph after all: not this size
            found = None
        if found is not None:
            sizes.append((size, g, found[1], found[0]))
    if not sizes:
        return None, []
    kept = [s for s, *_ in sizes]
    p.sizes, p.graphs = kept, [g for _, g, _, _ in sizes]
    return p, sizes


def _output_axes(graph: Graph, plan, sizes) -> dict[str, dict[int, str]]:
    """The output dims that change with the dynamic sizes, named by the symbol they follow
    when one does, for exporters that declare output dims too."""
    axes: dict[str, dict[int, str]] = {}
    for i, v in enumerate(graph.outputs):
        for ax, d in enumerate(v.type.shape):
            alts = [g.outputs[i].type.shape[ax] for _, g, _, _ in sizes]
            if all(a == d for a in alts):
                continue
            same = [sym for sym, b in plan.base.items() if b == d and all(a == s[sym] for a, (s, *_) in zip(alts, sizes))]
            axes.setdefault(f"out{i}", {})[ax] = same[0] if same else f"out{i}_{ax}"
    return axes


class _Paths:
    """The steps of one case's converter paths, each announced, timed and judged."""

    def __init__(self, spec, graph, ref, inputs, result, clock, progress) -> None:
        self.spec, self.graph, self.ref, self.inputs = spec, graph, ref, inputs
        self.result, self.clock, self.progress = result, clock, progress
        self.keep: dict[str, bytes] = {}
        self._request = None
        #: the dynamic-shape plan and its [(size, graph, inputs, reference)], when the case has one
        self.plan = None
        self.sizes: list = []
        #: paths whose model declares the plan's dims dynamic: judged at every size
        self.dynamic_paths: set[str] = set()

    def _verdict(self, v: Verdict) -> None:
        self.result.verdicts.append(v)

    def export(self, exporter: Exporter, path: str, opset: int) -> bytes | None:
        if (path, "") in self.spec.skip:
            return None
        if self._request is None:
            g = self.graph
            self._request = ExportRequest(
                g, self.inputs, [v.name for v in g.inputs], [f"out{i}" for i in range(len(g.outputs))], opset,
            )
        self._request.opset = opset
        self._request.dynamic = self._dynamic_for(exporter, opset)
        if self._request.dynamic:
            self.dynamic_paths.add(path)
        refused = _not_exportable_by(exporter.name, self.graph)
        if refused:
            why = f"by design: {exporter.name} cannot export op {refused}"
            self._verdict(judge_error(Stage.EXPORT, why, True, path, "", self.graph.op_types(), 0.0))
            return None
        self.progress(Stage.EXPORT, path, "")
        with self.clock(f"export:{exporter.name}", sut=True) as c:
            try:
                return exporter.export(self._request)
            except Exception as e:
                self._verdict(judge_error(Stage.EXPORT, e, exporter.is_unsupported(e), path, "", self.graph.op_types(), c.elapsed()))
                return None

    def take(self, exporter: Exporter, path: str, given: Exported) -> bytes | None:
        """export()'s part for a model that came out of a batched export: its share of the
        batch's seconds is charged to this case, and a per-graph refusal judged as export's."""
        if (path, "") in self.spec.skip:
            return None
        key = f"export:{exporter.name}"
        self.result.timings[key] = self.result.timings.get(key, 0.0) + given.seconds
        self.result.sut_seconds += given.seconds
        if given.error is not None:
            e = given.error
            self._verdict(judge_error(Stage.EXPORT, e, exporter.is_unsupported(e), path, "", self.graph.op_types(), given.seconds))
            return None
        return given.model

    def _dynamic_for(self, exporter: Exporter, opset: int) -> dict:
        """The dims this exporter is asked to export as dynamic: none unless it can."""
        if self.plan is None or not exporter.supports_dynamic:
            return {}
        dims = {n: dict(a) for n, a in self.plan.dims.items()}
        if exporter.frontend == "onnx" and not self._direct_lowering_is_generic(opset):
            return {}
        return {**dims, **_output_axes(self.graph, self.plan, self.sizes)}

    def _direct_lowering_is_generic(self, opset: int) -> bool:
        """Does the direct ONNX model come out the same whichever size the graph was typed at?
        A lowering that bakes a shape into the model (a Reshape target, an Expand shape) would
        otherwise fail at the other sizes through onnxfuzz's own fault, not a runtime's."""
        from fuzzer.materialize.onnx_model import model_proto

        try:
            base = model_proto(self.graph, opset, dynamic=self.plan.dims).SerializeToString()
            return all(model_proto(g, opset, dynamic=self.plan.dims).SerializeToString() == base for _, g, _, _ in self.sizes)
        except Exception:  # the exporter itself will report what fails here
            return False

    def transform(self, transformer: Transformer, model: bytes, path: str, opset: int) -> bytes | None:
        if (path, "") in self.spec.skip:
            return None
        self.progress(Stage.CONVERT, path, "")
        with self.clock(f"convert:{transformer.name}", sut=True) as c:
            try:
                return transformer.transform(model, opset)
            except Exception as e:
                self._verdict(judge_error(Stage.CONVERT, e, transformer.is_unsupported(e), path, "", _onnx_ops(model), c.elapsed()))
                self.keep[path] = model  # the model the transformer choked on
                return None

    def check_and_run(self, model: bytes, path: str, only: set[str] | None = None, precision: str | None = None,
                      family: str | None = None) -> set[str]:
        """Check model, run it on each runtime (or those in `only`); returns the runtimes it passed on.

        family: the runtime family the model is written for (Transformer.output_for): not
        checked, and run on that family only.
        """
        self.progress(Stage.CHECK, path, "")
        with self.clock("check", sut=True) as c:
            verdict, onnx_ops = judge_model(model, path) if family is None else (None, _onnx_ops(model))
        if family is not None:
            only = {r for r in (only if only is not None else self.spec.runtimes) if runtime_family(r) == family}
        if verdict is not None:
            # A type gap (torch computes this op on this dtype, ONNX cannot express it) is a
            # known limitation, not a bug (oracles.model). Either way no runtime is asked to run
            # an invalid model: its load and run failures would only repeat the same finding.
            self._verdict(dataclasses.replace(verdict, seconds=c.elapsed()))
            if verdict.kind is not Kind.UNSUPPORTED:
                self.keep[path] = model
            return set()
        passed = set()
        ran: list[str] = []  # the runtimes that ran the model to completion: coverage of their ops
        order = [v.name for v in self.graph.inputs]
        # a transformed model is judged at every size when the model it was given declared the dims dynamic
        dynamic = path.split(">")[0] in self.dynamic_paths
        others = [(self.plan.describe(size), ins, ref) for size, _, ins, ref in self.sizes] if dynamic else []
        for rname in self.spec.runtimes:
            if (path, rname) in self.spec.skip or (only is not None and rname not in only):
                continue
            runtime: Runtime = load_plugin("runtime", rname)
            verdict = _execute(runtime, model, self.inputs, order, self.ref, path, onnx_ops, self.progress, self.clock, precision, others)
            self._verdict(verdict)
            if verdict.kind is Kind.PASS:
                passed.add(rname)
            if verdict.stage is Stage.JUDGE:  # it computed outputs, whatever the judgement on them
                ran.append(rname)
        _record_executed(model, ran)
        if path in self.spec.keep_models or any(v.kind.is_failure and v.path == path for v in self.result.verdicts):
            self.keep[path] = model
        return passed


def _execute(runtime: Runtime, model: bytes, inputs, order, ref: Reference, path, onnx_ops, progress, clock, precision=None,
             others=()) -> Verdict:
    """The verdict on running model on runtime: at the base size, then (a model with dynamic
    dims) at each of `others` [(size in words, inputs, reference)]. The first failure is the
    verdict; one found at another size says so on its last line and in stats["size"], which
    leaves the signature (symptom, first line of the error) as it would be at the base size."""
    rname = runtime.name
    progress(Stage.LOAD, path, rname)
    with clock(f"load:{rname}", sut=True) as c:
        try:
            session = runtime.load(model)
        except Exception as e:
            return judge_error(Stage.LOAD, e, runtime.is_unsupported(e), path, rname, onnx_ops, c.elapsed())
    first = None
    for size, feeds, truth in [(None, inputs, ref), *others]:
        progress(Stage.RUN, path, rname)
        with clock(f"run:{rname}", sut=True) as c:
            try:
                outputs = runtime.run(session, feeds_for(runtime.input_names(session), feeds, order))
                verdict = None
            except Exception as e:
                verdict = judge_error(Stage.RUN, e, runtime.is_unsupported(e), path, rname, onnx_ops, c.elapsed())
        if verdict is None:
            verdict = narrow_int64(runtime, truth, judge_outputs(truth, outputs, path, rname, c.elapsed(), precision))
        if size is not None and verdict.kind.is_failure:
            return dataclasses.replace(verdict, error=f"{verdict.error}\nat size {size}", stats={**verdict.stats, "size": size})
        if first is None:
            first = verdict
            if verdict.kind is not Kind.PASS:
                return verdict  # a model that fails (or is unsupported) at the base size is judged there
    if others:
        first = dataclasses.replace(first, stats={**first.stats, "sizes": 1 + len(others)})
    return first


def narrow_int64(runtime: Runtime, ref: Reference, verdict: Verdict) -> Verdict:
    """verdict, or `unsupported` when it is a wrong result of a runtime documented to compute int64
    in a narrower type (Runtime.int64_limit) on a case holding int64 values past that type."""
    limit = runtime.int64_limit
    if not verdict.kind.is_failure or limit is None or ref.int64_peak <= limit:
        return verdict
    return dataclasses.replace(verdict, kind=Kind.UNSUPPORTED, error=(
        f"{runtime.name} computes int64 in a narrower type (documented); this case holds int64 values "
        f"up to {ref.int64_peak}: {verdict.error}"))


def _record_executed(model: bytes, runtimes: list[str]) -> None:
    """Coverage: each runtime in runtimes ran every (op, dtype, opset) of model."""
    if runtimes:
        from fuzzer.coverage import runtimes as executed

        executed.record(model, runtimes)


def _onnx_ops(model: bytes) -> list[str]:
    import onnx

    try:
        proto = onnx.load_model_from_string(model)
    except Exception:
        return []
    return sorted({n.op_type for n in proto.graph.node})


class _Clock:
    """Accumulates wall time per step, and separately the time spent inside systems under test."""

    def __init__(self, result: CaseResult) -> None:
        self.result = result

    def __call__(self, key: str, sut: bool = False):
        return _Timer(self, key, sut)


class _Timer:
    def __init__(self, clock: _Clock, key: str, sut: bool) -> None:
        self.clock, self.key, self.sut = clock, key, sut

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        dt = self.elapsed()
        r = self.clock.result
        r.timings[self.key] = r.timings.get(self.key, 0.0) + dt
        if self.sut:
            r.sut_seconds += dt
        return False


__all__ = ["CaseResult", "CaseSpec", "Exported", "Kind", "StartedCase", "finish_case", "run_case", "start_case"]
