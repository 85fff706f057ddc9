"""A batch of cases whose exporters have a high fixed cost, exported together.

A BatchSpec is a job of several CaseSpecs that share their exporters (all of
them `batchable`: dynamo, dynamo-noopt, tf2onnx). A worker runs it as
run_batch: each case's graph, inputs and float64 truth (fuzzer.case.start_case),
then, per exporter, one export of all the graphs packed together
(fuzzer.convert.batch), split back into one model per graph, and then each
case's own remaining stages (finish_case), judged against its own truth. Every
case is its own result, with its own case id, seed, graph and verdicts.

Failures are brought down to the one graph that causes them:
- an export that raises is bisected here, in the worker: each half is exported
  again, down to single graphs, which their own case exports alone, exactly as
  an unbatched case does, so the verdict, its signature and the kept model are
  a single export's. When the error names the graph it failed in
  (PackedRequest.suspect), that graph goes alone at once and the others are
  exported together again, which costs one export instead of a bisection;
- an export that kills or hangs the worker is bisected by the supervisor
  (after_death): every stage a batch announces names the cases it concerns (a
  tuple of case ids for a packed export), so the group that was being exported
  is retried as two halves, and the rest of the batch as a batch; a single
  culprit is retried as a plain case and dies there like any other.
"""
from __future__ import annotations

import re

import time
import traceback
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

from fuzzer.errors import causes
from fuzzer.case import (CaseResult, CaseSpec, Exported, StartedCase, _not_exportable_by, finish_case, keep_for_corpus,
                         start_case)
from fuzzer.plugin import load_plugin
from oracles import Kind, Stage

#: announce(case id, or a tuple of the case ids a packed export concerns, stage, path, runtime)
Announce = Callable[[object, str, str, str], None]


@dataclass
class BatchSpec:
    """Cases exported together: what the campaign sends a worker instead of one CaseSpec."""

    members: list[CaseSpec]
    #: per exporter, the op families (op_family) that failed its exports anywhere in the campaign
    #: (fuzzer.campaign.batching.Batcher): a graph holding one is exported alone by its own case,
    #: as with the worker's own FAILING_OPS, which a worker restart or another worker lacks
    keep_out: dict[str, frozenset[str]] = field(default_factory=dict)

    # the fields of a CaseSpec the supervisor and the Dask chunks read off any job
    @property
    def case_id(self) -> int:
        return self.members[0].case_id

    @property
    def seed(self) -> int:
        return self.members[0].seed

    @property
    def ids(self) -> list[int]:
        return [m.case_id for m in self.members]

    def member(self, case_id: int) -> CaseSpec | None:
        return next((m for m in self.members if m.case_id == case_id), None)

    def with_member(self, spec: CaseSpec) -> BatchSpec:
        """The batch with the member of spec's case id replaced by spec (it now carries its graph)."""
        return BatchSpec([spec if m.case_id == spec.case_id else m for m in self.members], self.keep_out)

    def without(self, case_id: int) -> BatchSpec:
        """The batch less a finished member."""
        return BatchSpec([m for m in self.members if m.case_id != case_id], self.keep_out)

    def after_death(self, culprit) -> tuple[CaseSpec | None, list]:
        """What to do when the worker died (or hung) in this batch: (the one case the fatal stage
        belonged to, or None; the jobs that retry the rest).

        culprit is what the last stage announced: a member's case id (its own stage: the
        supervisor records the death against that case as for any case), or a tuple of case
        ids (their packed export: retried as two halves, bisecting toward the graph that
        kills the exporter), or None (nothing announced yet: the whole batch is halved)."""
        if isinstance(culprit, int):
            if self.member(culprit) is not None:
                rest = [m for m in self.members if m.case_id != culprit]
                return self.member(culprit), _jobs(rest, self.keep_out)
            culprit = None  # a case that had already ended: the death is between cases
        group = [m for m in self.members if culprit is None or m.case_id in set(culprit)]
        rest = [m for m in self.members if m not in group]
        half = len(group) // 2
        keep = self.keep_out
        return None, _jobs(group[:half], keep) + _jobs(group[half:], keep) + _jobs(rest, keep)


def as_job(members: list[CaseSpec], keep_out: dict[str, frozenset[str]] | None = None):
    """members as one job: a BatchSpec of two or more, or the one CaseSpec itself."""
    return members[0] if len(members) == 1 else BatchSpec(list(members), dict(keep_out or {}))


def _jobs(members: list[CaseSpec], keep_out: dict[str, frozenset[str]] | None = None) -> list:
    return [as_job(members, keep_out)] if members else []


def run_batch(batch: BatchSpec, announce: Announce) -> Iterator[tuple]:
    """Run every case of batch; yields the worker's protocol messages, one per case:
    ("done", CaseResult) or ("error", case id, traceback).

    Rule coverage (fuzzer.coverage) is taken by each case as it finishes: the packed export's
    rules go to the first case finished after it, so every rule a batch hit is recorded once. A
    result names those rules it carries but no graph of its own hit (notes["batch"]["shared_rules"]):
    its case joins the corpus (fuzzer.campaign.guidance) for the rules its own stages hit first,
    never for those. Otherwise a batched campaign's corpus would hold only its cases exported
    alone, mostly graphs that failed an export or killed a worker, whose mutations fail alike.
    """
    from fuzzer import coverage

    coverage.begin_case()
    started: list[StartedCase] = []
    for spec in batch.members:
        announce(spec.case_id, "reference", "", "")
        try:
            case = start_case(spec, _progress(announce, spec.case_id))
        except Exception:
            yield "error", spec.case_id, traceback.format_exc()
            continue
        if isinstance(case, CaseResult):
            yield "done", case  # discarded: no truth to judge against
        else:
            started.append(case)

    exported: dict[int, dict[str, Exported]] = {c.spec.case_id: {} for c in started}
    opsets: dict[int, dict[str, int]] = {c.spec.case_id: {} for c in started}
    extra: dict[int, dict[str, float]] = {c.spec.case_id: {} for c in started}  # failed packed exports' shares
    log: list[dict] = []
    #: [exporter, op family] learned in this batch, for the campaign to share (Batcher.learn)
    learned: list[list[str]] = []
    names = list(dict.fromkeys(n for c in started for n in c.spec.exporters))
    for name in names:
        exporter = load_plugin("converter", name)
        groups: dict[int, list[StartedCase]] = {}
        for case in started:
            if name not in case.spec.exporters:
                continue
            opset = opsets[case.spec.case_id][name] = case.opset_for(exporter)
            if _packable(case, exporter, f"{name}@{opset}", batch.keep_out.get(name, frozenset())):
                groups.setdefault(opset, []).append(case)
        for opset, group in groups.items():
            _export(exporter, group, opset, exported, extra, log, announce, learned)

    shared = coverage.in_flight()  # the references' and packed exports' rules: no one graph's
    for case in started:
        cid = case.spec.case_id
        try:
            result = finish_case(case, exported[cid], opsets[cid])
        except Exception:
            yield "error", cid, traceback.format_exc()
            continue
        for name in names:
            if name not in exported[cid]:
                # exported alone: a translation gap it shows keeps its op out of later packs, as
                # a packed export's failure would have (one failed pack fewer per such op); a
                # documented gap (unsupported) fails a pack all the same
                for v in result.verdicts:
                    if v.stage is Stage.EXPORT and v.kind is not Kind.PASS and v.path.startswith(f"{name}@"):
                        op = _learn_failing_op(name, v.error, case.graph)
                        if op is not None and [name, op] not in learned:
                            learned.append([name, op])
        for name, seconds in extra[cid].items():
            key = f"export:{name}"
            result.timings[key] = result.timings.get(key, 0.0) + seconds
            result.path_seconds[name] = result.path_seconds.get(name, 0.0) + seconds
            result.sut_seconds += seconds
            result.total_seconds += seconds
        result.rule_hits, result.rule_inventory = coverage.take()
        carried = {s: sorted(shared[s] & set(rules)) for s, rules in result.rule_hits.items() if shared.get(s, set()) & set(rules)}
        own = {s: [r for r in rules if r not in shared.get(s, ())] for s, rules in result.rule_hits.items()}
        coverage.novel(carried)  # seen by this process, but no reason to keep this graph
        keep_for_corpus(result, case.graph, own)
        result.notes["batch"] = {"id": batch.case_id, "size": len(batch.members), "exporters": names, "exports": log,
                                 "learned": list(learned), "shared_rules": carried}
        yield "done", result


def _packable(case: StartedCase, exporter, path: str, keep_out: frozenset[str] = frozenset()) -> bool:
    """Does this case's graph go into the packed export? Not when its case exports it alone
    anyway: a pair a retry skips, an op the exporter refuses by design, a dynamic plan; nor
    when it holds an op of a family that made this exporter fail an export before (this
    worker's FAILING_OPS, or keep_out: the campaign's)."""
    failing = FAILING_OPS.get(exporter.name, set()) | keep_out
    return ((path, "") not in case.spec.skip and _not_exportable_by(exporter.name, case.graph) is None
            and case.paths.plan is None and not failing & {op_family(op) for op in case.graph.op_types()})


#: per exporter, the op families (op_family) whose translation failed an export of this worker process
#: (packed, or a case's own): a graph holding one is exported alone by its own case. A failed packed export
#: costs most of a whole export and a second one for the rest of the batch, and the same
#: translation gaps recur all campaign long (dynamo's aten.amin without dims: one graph in
#: eight of a default campaign), so each such op costs at most one failed batch per worker.
FAILING_OPS: dict[str, set[str]] = {}

#: the torch op a torch exporter's translation error names ("target=torch.ops.aten.amin.default",
#: "torch.ops.prims.igammac.default": a prim the aten op was decomposed into)
_ATEN = re.compile(r"torch\.ops\.(?:aten|prims)\.(\w+)\.")

#: the last words of an IR op type that say how the op is called, not which op it is: a graph
#: fails dynamo's translation alike whichever spelling calls the op (torch.lgamma, x.lgamma(), x.lgamma_())
_CALL_SPELLINGS = ("inplace", "method", "operator", "reflected")


def op_family(op: str) -> str:
    """op without its call spelling ("opinfo.lgamma.method" -> "opinfo.lgamma")."""
    while "." in op and op.rsplit(".", 1)[1] in _CALL_SPELLINGS:
        op = op.rsplit(".", 1)[0]
    return op


def failing_op(error: str, ops) -> str | None:
    """The family of the op among ops (IR op types) that a torch export's error names, if it
    names one: a translation error quotes the aten op (or the prim it decomposed into)."""
    for aten in _ATEN.findall(error):
        bare = aten.replace("_", "")
        for op in sorted(set(ops)):
            names = _torch_names(op)
            if any(aten == name or aten.startswith(name + "_") or bare == name.replace("_", "") for name in names):
                return op_family(op)
    return None


def _learn_failing_op(exporter_name: str, error: BaseException | str, graph, op: str | None = None) -> str | None:
    """Remember the op family of graph (the batch's suspect, or a graph whose own export
    failed) that failed the export: op when the error's traceback told it (PackedRequest.suspect_op),
    else the op the error's text names, if it names one."""
    text = error if isinstance(error, str) else "\n".join(f"{e}" for e in causes(error))
    found = op_family(op) if op is not None else failing_op(text, graph.op_types())
    if found is not None:
        FAILING_OPS.setdefault(exporter_name, set()).add(found)
    return found


#: the words of an OpInfo spec's name that say how it is spelled, not which op it is
_SPELLINGS = {"opinfo", "nn", "functional", "special", "linalg", "fft", "method", "inplace", "operator",
              "reflected", "alias", "augmented", "scalar"}


def _torch_names(op: str) -> list[str]:
    """The torch op names an IR op type stands for: itself ("amin"; max_pool2d matches
    aten.max_pool2d_with_indices by prefix), and for an OpInfo spec the words of its name
    ("opinfo.nn.functional.avg_pool2d" -> avg_pool2d, "opinfo.fmod.method" -> fmod)."""
    words = [w for w in op.split(".") if w not in _SPELLINGS and len(w) > 1]
    return [op, *words]


#: the exporters that have made a packed export in this process: the first one also pays for
#: the exporter's imports and caches (seconds), which the batch sizer must not take for its cost
_WARM: set[str] = set()


def _export(exporter, group: list[StartedCase], opset: int, exported, extra, log, announce, learned) -> None:
    """Export group's graphs packed together; on an error, each half again. A graph left alone
    gets no entry: its case exports it itself."""
    from fuzzer.convert.batch import PackedRequest

    if len(group) < 2:
        return
    name = exporter.name
    ids = tuple(c.spec.case_id for c in group)
    announce(ids, Stage.EXPORT.value, f"{name}@{opset}", "")
    packed = PackedRequest.of([c.request(exporter, opset) for c in group], opset)
    cold = name not in _WARM
    _WARM.add(name)
    t0 = time.perf_counter()
    try:
        model = exporter.export(packed)
    except Exception as e:
        seconds = time.perf_counter() - t0
        log.append({"exporter": name, "size": len(group), "seconds": seconds, "ok": False, "error": f"{type(e).__name__}"})
        if cold:
            log[-1]["cold"] = True
        for c in group:
            shares = extra[c.spec.case_id]
            shares[name] = shares.get(name, 0.0) + seconds / len(group)
        suspect = packed.suspect(e)
        if suspect is not None:  # the error names a graph: it goes alone, the others on together
            log[-1]["suspect"] = suspect
            op = _learn_failing_op(name, e, group[suspect].graph, packed.suspect_op(e))
            if op is not None:
                log[-1]["failing_op"] = op
                if [name, op] not in learned:
                    learned.append([name, op])
            _export(exporter, group[:suspect] + group[suspect + 1:], opset, exported, extra, log, announce, learned)
            return
        half = len(group) // 2
        _export(exporter, group[:half], opset, exported, extra, log, announce, learned)
        _export(exporter, group[half:], opset, exported, extra, log, announce, learned)
        return
    seconds = time.perf_counter() - t0
    entry = {"exporter": name, "size": len(group), "seconds": seconds, "ok": True}
    if cold:
        entry["cold"] = True
    log.append(entry)
    try:
        parts = packed.split(model)
    except Exception as e:  # onnxfuzz's splitter failed: each case exports its graph alone, and says why
        entry["split_error"] = f"{type(e).__name__}: {e}"
        for c in group:
            shares = extra[c.spec.case_id]
            shares[name] = shares.get(name, 0.0) + seconds / len(group)
        return
    for case, part in zip(group, parts):
        error = None
        try:
            exporter.check_split(part)
        except Exception as e:
            error = e
        model_bytes = part.SerializeToString() if error is None else None
        exported[case.spec.case_id][name] = Exported(model_bytes, seconds / len(group), error)


def _progress(announce: Announce, case_id: int):
    def progress(stage: Stage, path: str, runtime: str) -> None:
        announce(case_id, stage.value, path, runtime)

    return progress


def pin_opset(members: list[CaseSpec], opset: int) -> list[CaseSpec]:
    """members exporting at one opset (so their graphs are exported together)."""
    return [replace(m, opset=opset) for m in members]


__all__ = ["BatchSpec", "as_job", "failing_op", "op_family", "pin_opset", "run_batch"]
