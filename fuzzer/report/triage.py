"""From a campaign's raw failures to filed bugs: reduce, blame, file, per signature."""
from __future__ import annotations

import contextlib
import json
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fuzzer.ir import Graph
from fuzzer.ir.types import read_npz
from fuzzer.minimize import Target, in_process, reduce
from fuzzer.report.blame import blame
from fuzzer.report.rootcause import graph_sink_ops, is_own, onnx_op_of, root_key
from fuzzer.report.regenerate import reduce_filed_model
from fuzzer.report.writer import Filed, file_bug
from fuzzer.version import __version__
from oracles import Kind, Stage, Verdict, normalize_error


def verdict_from_json(v: dict) -> Verdict:
    return Verdict(Kind(v["kind"]), Stage(v["stage"]), v["path"], v["runtime"], v.get("ops", []), v["error"], v.get("stats", {}))


@dataclass
class CaseArtifacts:
    """What a campaign keeps of a failing case (artifacts/case-<id>/)."""

    directory: Path
    graph: Graph
    inputs: dict[str, np.ndarray]
    verdicts: list[Verdict]
    seed: int
    case_id: int
    #: the dynamic-shape plan the case ran with (case.json "dynamic"), None for a static case
    dynamic: dict | None = None
    #: every verdict the campaign gave the case, passes included (from the workdir's store), or
    #: None when no store is there to tell: what the witnesses of a minimal case are held to
    campaign: list[Verdict] | None = None

    @classmethod
    def load(cls, d: Path) -> "CaseArtifacts":
        d = Path(d)
        meta = json.loads((d / "case.json").read_text()) if (d / "case.json").exists() else {}
        case_id = int(meta.get("case_id", 0))
        return cls(
            d,
            Graph.loads((d / "graph.json").read_text()),
            read_npz(d / "inputs.npz") if (d / "inputs.npz").exists() else {},
            [verdict_from_json(v) for v in json.loads((d / "verdicts.json").read_text())],
            int(meta.get("seed", 0)),
            case_id,
            meta.get("dynamic"),
            campaign_verdicts(d.parent.parent, case_id),
        )


def campaign_verdicts(workdir: Path, case_id: int) -> list[Verdict] | None:
    """Every verdict the campaign in workdir recorded for case_id, or None without its store.
    Read-only: safe beside a running campaign."""
    from fuzzer.errors import UsageError
    from fuzzer.store import Store
    from fuzzer.store.db import DB_NAME

    if not (Path(workdir) / DB_NAME).exists():
        return None
    try:
        store = Store.open_read_only(workdir)
    except UsageError:
        return None
    try:
        rows = store.conn.execute("SELECT kind, stage, path, runtime, error FROM verdicts WHERE case_id = ?", (case_id,)).fetchall()
    finally:
        store.close()
    return [Verdict(Kind(k), Stage(st), p, r, [], e) for k, st, p, r, e in rows] or None


@dataclass
class TriageOutcome:
    signature: str
    filed: Filed | None
    note: str
    original_ops: int = 0
    minimized_ops: int = 0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)
    #: the traceback when triaging this signature raised (note says why in one line); "" otherwise
    error: str = ""
    #: onnxfuzz's own defect (its direct builder, a lowering, the ground truth): what the store's
    #: own_defects list records (see `own_record`); never filed as a bug folder
    own: dict | None = None
    #: why the minimal case was not filed though blamed: a witness no longer behaves as in the
    #: campaign (the reduction changed the failure); "" otherwise
    differs: str = ""

    @property
    def status(self) -> str:
        """filed | updated | held | own | differs | ambiguous | not reproduced | not filed | failed"""
        if self.error:
            return "failed"
        if self.own is not None:
            return "own"
        if self.differs:
            return "differs"
        if self.filed is not None and self.filed.held:
            return "held"
        if self.filed is not None and (self.filed.path / "case.json").exists() and not self.filed.reason.startswith(("repro", "no ")):
            return "filed" if self.filed.new else "updated"
        if self.note.startswith("does not reproduce"):
            return "not reproduced"
        if self.note.startswith("ambiguous"):
            return "ambiguous"
        return "not filed"


DEATHS = (Kind.HANG, Kind.OOM)
NUMERIC_KINDS = {Kind.VALUE_MISMATCH.value, Kind.SHAPE_MISMATCH.value, Kind.DTYPE_MISMATCH.value, Kind.NAN_INF.value}


def triage(case: CaseArtifacts, verdict: Verdict, bugs_dir: Path, exporters: list[str], runtimes: list[str],
           found: dict | None = None, max_seconds: float = 180.0, evaluate=None) -> TriageOutcome:
    """Reduce, blame and file one failing verdict of case.

    evaluate: how candidates run (a shared IsolatedEvaluator, say); by default as
      `evaluator_for(verdict)` chooses.
    """
    t0 = time.perf_counter()
    target = Target.of(verdict, case.dynamic)
    if evaluate is not None:
        return _reduce_and_file(case, verdict, target, bugs_dir, exporters, runtimes, found, max_seconds, t0, evaluate)
    with evaluator_for(verdict) as evaluate:
        return _reduce_and_file(case, verdict, target, bugs_dir, exporters, runtimes, found, max_seconds, t0, evaluate)


@contextlib.contextmanager
def evaluator_for(verdict: Verdict):
    """In-process for ordinary failures; a supervised worker for one that kills, hangs or bloats
    its process (a death can only be seen from outside the process that dies)."""
    if verdict.kind in DEATHS or verdict.error.startswith("worker died"):
        from fuzzer.minimize.isolated import IsolatedEvaluator

        with IsolatedEvaluator() as isolated:
            yield isolated
    else:
        yield in_process


def _reduce_and_file(case, verdict, target, bugs_dir, exporters, runtimes, found, max_seconds, t0, evaluate) -> TriageOutcome:
    sig = verdict.signature or ""
    info = {"onnxfuzz": __version__, "workdir": str(case.directory.parent.parent), "case_id": case.case_id,
            "seed": case.seed, "time": time.strftime("%Y-%m-%d %H:%M:%S"), **(found or {})}
    mine = own_failure(verdict, case.graph)
    if mine:  # onnxfuzz's own: no system under test to reduce it for, blame or file against
        out = TriageOutcome(sig, None, f"onnxfuzz's own defect ({mine}): recorded, not filed", len(case.graph), len(case.graph))
        out.own = own_record(verdict, mine, case.graph, info, reduced=False)
        out.seconds = time.perf_counter() - t0
        return out
    try:
        red = reduce(case.graph, target, case.seed, case.inputs, evaluate=evaluate, max_seconds=max_seconds)
    except ValueError as e:
        return TriageOutcome(sig, None, f"does not reproduce: {e}", len(case.graph))
    inputs_npz = red.result.inputs_npz
    # witnesses run with the plan the minimal graph fails with (none, when it fails static too)
    who = blame(red.graph, target.with_plan(red.dynamic), case.seed, inputs_npz, exporters, runtimes, evaluate=evaluate)
    out = TriageOutcome(sig, None, "", red.original_ops, len(red.graph), time.perf_counter() - t0)
    if is_own(who.system, who.role):
        out.own = own_record(red.verdict, who.reason, red.graph, info, reduced=True)
        out.note = f"onnxfuzz's own defect ({who.reason}): recorded, not filed"
        return out
    if not who.system:
        out.note = f"ambiguous ({who.reason}): not filed"
        return out
    if who.role == "spec":  # the ONNX spec's own defect (an op's function body): no system under test to file against
        out.note = f"not filed: {who.reason}"
        return out
    if who.inherited and target.stage in (Stage.CHECK, Stage.CONVERT):
        # the exporter's model broke the IR rules before the transformer saw it: the transformer
        # is not at fault, and the exporter's defect shows on its own path (its repro could not
        # show it through a transformer that is not its own)
        out.note = f"not filed against {target.path.split('>')[-1]}: {who.reason}"
        return out
    out.differs = differs_from_campaign(target, who.witnesses, case.campaign if case.campaign is not None else case.verdicts)
    if out.differs:
        out.note = f"not filed: the minimal case does not behave as the campaign's ({out.differs})"
        return out
    out.filed = file_bug(bugs_dir, red, target, who, info)
    if out.filed.new:
        reduce_filed_model(out.filed.path)
    out.extra["dynamic"] = red.dynamic
    out.extra["static_too"] = red.static_too
    out.note = out.filed.reason or ("filed" if out.filed.new else "updated")
    out.seconds = time.perf_counter() - t0
    return out


#: error words of onnxfuzz's TF lowering (fuzzer.materialize.tf_model), not of tf2onnx
_TF_LOWERING = ("LoweringMismatch", "NotImplementedError: no TensorFlow lowering")


def own_failure(verdict: Verdict, graph: Graph) -> str | None:
    """What of onnxfuzz's own failed, when verdict is its own defect rather than a system under
    test's: its direct ONNX builder (onnx-direct) failing to build a model or building one the
    checker rejects, or its TensorFlow lowering failing before tf2onnx sees a function."""
    from oracles.verdict import path_family

    steps = path_family(verdict.path).split(">")
    exporter = steps[0]
    # its own model: a check failure after a transformer is that transformer's output's
    if exporter == "onnx-direct" and len(steps) == 1 and verdict.stage in (Stage.EXPORT, Stage.CHECK):
        return f"onnxfuzz's direct ONNX builder fails at {verdict.stage.value}: an op spec's ONNX lowering"
    if verdict.stage is Stage.EXPORT and exporter == "tf2onnx":
        if verdict.error.startswith(_TF_LOWERING) or _tf_lowering_fails(graph):
            return "onnxfuzz's TensorFlow lowering of the graph fails before tf2onnx runs"
    return None


def _tf_lowering_fails(graph: Graph) -> bool:
    """Does tracing onnxfuzz's tf.function of graph fail (no tf2onnx involved)?"""
    try:
        from fuzzer.materialize.tf_model import build_tf_function

        build_tf_function(graph).get_concrete_function()
    except ImportError:
        return False  # no TensorFlow here: tf2onnx could not have run either
    except Exception:
        return True
    return False


def own_record(verdict: Verdict, what: str, graph: Graph, found: dict, reduced: bool) -> dict:
    """The store's own_defects row for verdict (fuzzer.store.Store.record_own_defect)."""
    sinks = graph_sink_ops(graph) if reduced else sorted({onnx_op_of(op) for op in verdict.ops or graph.op_types()})
    key = root_key("onnxfuzz", "own", verdict.kind.value, verdict.stage.value, verdict.error, verdict.runtime, sinks, False)
    return {"key": key, "what": what, "kind": verdict.kind.value, "stage": verdict.stage.value, "path": verdict.path,
            "runtime": verdict.runtime, "error": verdict.error[:2000], "signature": verdict.signature or "",
            "case_id": found.get("case_id"), "workdir": found.get("workdir", ""), "ops": len(graph), "reduced": reduced}


def differs_from_campaign(target: Target, witnesses: list, campaign: list[Verdict]) -> str:
    """How a witness of the minimal case behaves otherwise than on the campaign's case ("" when
    none does). witnesses: blame's (path, runtime, verdict kind) on the minimal case; campaign:
    the case's verdicts as the campaign gave them. A pair that passed in the campaign must still
    pass; a pair that showed the same failure as target (its kind and normalized error) must
    still fail so. A pair that failed otherwise in the campaign failed for another part of the
    graph, which reduction took away: it says nothing. Pairs the campaign did not run are new
    evidence, held to nothing."""
    from oracles.verdict import path_family

    was: dict[tuple[str, str], Verdict] = {}
    for v in campaign:
        was.setdefault((path_family(v.path), v.runtime), v)
    for path, runtime, kind in witnesses:
        pair = (path_family(path), runtime)
        before = was.get(pair)
        if before is None or pair == (path_family(target.path), target.runtime):
            continue
        where = f"{pair[0]} on {runtime}" if runtime else pair[0]
        if before.kind is Kind.PASS and kind != Kind.PASS.value:
            return f"{where} passed in the campaign, gives {kind} on the minimal case"
        same = before.kind is target.kind and normalize_error(before.kind, before.error) == target.error
        if same and kind != target.kind.value:
            return f"{where} failed as the filed failure ({target.kind.value}) in the campaign, gives {kind} on the minimal case"
    return ""


#: signatures reduced per coarse group, and how many times more for a numeric mismatch's group
PER_GROUP, NUMERIC_FACTOR = 4, 8


def coarse_group(row: dict) -> tuple:
    """The group of a signature row (a store.signatures() row): symptom, stage, converter family,
    normalized error. Raw signatures still carry every op the failing output depends on, so one
    root cause shows up under many of them, and a few per group are enough to reach it."""
    from oracles.verdict import path_family

    return row["kind"], row["stage"], path_family(row["path"]), normalize_error(Kind(row["kind"]), row["error"])


def group_cap(row: dict, per_group: int = PER_GROUP) -> int:
    # a numeric mismatch normalizes to its kind alone, so its group holds every silent bug of
    # that converter: it gets more room
    return per_group * NUMERIC_FACTOR if row["kind"] in NUMERIC_KINDS else per_group


def choose(rows: list[dict], per_group: int = PER_GROUP) -> list[dict]:
    """The signatures the filer reduces: most hit first, at most group_cap of each coarse group."""
    from collections import Counter

    taken: Counter = Counter()
    chosen = []
    for row in sorted(rows, key=lambda r: -r["hits"]):
        group = coarse_group(row)
        if taken[group] < group_cap(row, per_group):
            taken[group] += 1
            chosen.append(row)
    return chosen


def triage_workdir(workdir: Path, bugs_dir: Path, exporters: list[str], runtimes: list[str],
                   limit: int | None = None, max_seconds: float = 180.0, on_outcome=None,
                   per_group: int = PER_GROUP, isolate: bool = True) -> list[TriageOutcome]:
    """Reduce and file the first case of every distinct signature in a campaign workdir.

    Raw signatures (computed before minimization) still carry every op the
    failing output depends on, so one root cause shows up under many of them.
    At most `per_group` are reduced per coarse group (symptom, stage, converter
    family, normalized error), most-hit first; the minimized bug key then
    merges whatever is left of the duplicates.

    isolate: run every candidate on one supervised worker. A campaign's failures include
    runtimes that abort their process on some candidate a reduction tries (tract's Rust
    panics do, at sizes the campaign never reached), and that must not end the triage.
    """
    from fuzzer.store import Store

    store = Store.open(workdir, create=False)
    try:
        sigs = sorted(store.signatures(), key=lambda s: -s["hits"])
    except BaseException:
        store.close()
        raise
    chosen = choose(sigs, per_group)
    with contextlib.ExitStack() as stack:
        stack.callback(store.close)
        evaluate = None
        if isolate and chosen[:limit]:
            from fuzzer.minimize.isolated import IsolatedEvaluator

            evaluate = stack.enter_context(IsolatedEvaluator())

        def outcome(o: TriageOutcome) -> None:
            record_outcome(store, o)
            if on_outcome:
                on_outcome(o)

        return _triage_each(workdir, chosen[:limit], bugs_dir, exporters, runtimes, max_seconds, outcome, evaluate)


def record_outcome(store, o: TriageOutcome) -> None:
    """Note o in the campaign's store: the bug folder it was filed as, or onnxfuzz's own defect."""
    record_filed(store, o)
    if o.own is not None:
        store.record_own_defect(o.own)


def record_filed(store, o: TriageOutcome) -> None:
    """Note in the campaign's store the bug folder o was filed as (new, or found again), and
    when: the folder lives under whatever bugs directory was given, and the campaign report
    finds it from the workdir alone."""
    if o.filed is None or o.filed.held or not (o.filed.path / "case.json").exists():
        return  # not filed (its repro did not reproduce, say, or held as a likely repeat)
    bug = json.loads((o.filed.path / "case.json").read_text())["bug"]
    store.record_bug(o.filed.bug_id, o.filed.path, o.signature, o.filed.new, bug["title"], bug["system"],
                     bug["kind"], bug["stage"])


def _triage_each(workdir, chosen, bugs_dir, exporters, runtimes, max_seconds, on_outcome, evaluate) -> list[TriageOutcome]:
    outcomes = []
    for s in chosen:
        t0 = time.perf_counter()
        try:
            o = _triage_signature(workdir, s, bugs_dir, exporters, runtimes, max_seconds, evaluate)
        except Exception as e:
            # one signature's failure (a plugin hook that raises, say a repro_source that is
            # missing or broken) must not end the triage of the others: record why and go on
            o = TriageOutcome(s["signature"], None, f"triage failed: {type(e).__name__}: {e}",
                              seconds=time.perf_counter() - t0, error=traceback.format_exc())
        outcomes.append(o)
        if on_outcome:
            on_outcome(o)
    return outcomes


def _triage_signature(workdir, s, bugs_dir, exporters, runtimes, max_seconds, evaluate) -> TriageOutcome:
    d = Path(workdir) / "artifacts" / f"case-{s['first_case']}"
    if not (d / "graph.json").exists():
        return TriageOutcome(s["signature"], None, "no artifacts kept")
    case = CaseArtifacts.load(d)
    match = [v for v in case.verdicts if v.signature == s["signature"]]
    if not match:
        return TriageOutcome(s["signature"], None, "verdict not in artifacts")
    return triage(case, match[0], bugs_dir, exporters, runtimes, max_seconds=max_seconds, evaluate=evaluate)


def failed(outcomes: list[TriageOutcome]) -> list[dict]:
    """The signatures whose triage raised, with why: for a campaign's stats."""
    return [{"signature": o.signature, "why": o.note} for o in outcomes if o.error]
