"""Triage while the campaign runs: a campaign's workers minimize, blame and file its new failures.

With `run --file-bugs DIR`, the campaign hands a share of its workers triage
jobs instead of cases, so bug folders appear minutes after a failure's first
hit rather than after the campaign.

Which signatures, in what order (`TriageJobs`). The same selection as the
filer after a campaign (fuzzer.report.triage.triage_workdir): raw signatures
still carry every op the failing output depends on, so one root cause shows up
under many; at most `per_group` of each coarse group (symptom, stage, converter
family, normalized error; eight times that for numeric mismatches) are
triaged. Among those, a signature of a group no job has taken yet goes first,
then the most hit.

How much of the campaign. At most `max_workers` jobs at once (one by default),
and up to half the workers while more than LONG_QUEUE signatures wait: the
campaign goes on finding failures while it files them.

Isolation. A triage job runs on a campaign worker like a case, and the worker
runs every reduction candidate and witness on a nested supervised process of
its own (the post-campaign filer's IsolatedEvaluator, kept warm from job to
job), so a candidate that segfaults, hangs or bloats costs that nested process
only, and a failure that is a death can be reduced at all: the reducer keeps a
candidate because it dies, and a death is seen only from outside the process
that dies. Running candidates in the worker itself would be faster only
for failures that never kill, and would turn each death the reducer looks for
into a dead campaign worker. The job says a word to the supervisor before each
candidate, and every HEARTBEAT seconds while the nested process (policed by its
own supervisor) runs one; its own work in the worker (reducer, blame, and the
writer, which runs the repro up to its own timeout) may be silent for
`stall_limit` seconds before the job counts as hung. A job
that still kills or stalls its worker (a plugin hook the writer calls in the
worker, say, or onnxfuzz's own bug) is recorded as a failed triage of its
signature, and the campaign goes on on a fresh worker.

The campaign's end. Jobs in flight at the deadline are abandoned with the
cases in flight; `file_after_campaign` then triages, in the campaign process as
before, every signature the post-campaign filer would have chosen that was not
triaged into DIR yet, so `run --file-bugs` files at least what it filed
before. Every signature triaged is recorded in the store (`triaged`), so a
rerun on the same workdir and DIR does not triage it again.
"""
from __future__ import annotations

import math
import multiprocessing as mp
import os
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fuzzer.case import CaseResult
from fuzzer.report.likely import holding
from fuzzer.report.triage import PER_GROUP, choose, coarse_group, group_cap

#: more signatures than this waiting lets up to half the workers triage
LONG_QUEUE = 8
#: the result status of a triage job (never stored as a case)
TRIAGED = "triaged"


class _Stage:
    """What a triage job announces to the supervisor: it only reads `.value`."""

    value = "triage"


@dataclass
class TriageSpec:
    """A triage job: what the campaign sends a worker instead of a CaseSpec (see the module docstring).

    case_id is negative, so a triage job is never taken for a case.
    """

    case_id: int
    row: dict
    workdir: str
    bugs_dir: str
    exporters: list[str]
    runtimes: list[str]
    max_seconds: float = 180.0
    #: seconds the job may go without a word to its supervisor before it counts as hung
    stall_limit: float = 600.0
    #: the nested supervisor's limits, the campaign's own
    stage_timeout: float = 60.0
    memory_limit_mb: int = 4096
    seed: int = 0
    #: a CaseSpec's fields the supervisor reads; a triage job has neither
    graph_json: str | None = None
    dynamic: dict | None = None
    skip: frozenset = frozenset()
    keep_models: frozenset = frozenset()

    def run(self, progress) -> CaseResult:
        """What a campaign worker calls: triage the signature; the outcome travels in notes."""
        from fuzzer.report.triage import TriageOutcome, _triage_signature

        started = time.time()
        isolated = _nested_evaluator(Path(self.workdir) / "logs", self.stage_timeout, self.memory_limit_mb)

        def evaluate(spec):
            # While a candidate runs on the nested process, its supervisor polices it (and its
            # retries): say a word every HEARTBEAT seconds. Outside, this process's own work
            # (reducer, blame, writer) must speak within stall_limit.
            progress(_Stage, f"triage:{self.row['signature']}", "")
            stop = threading.Event()
            beat = threading.Thread(target=_beat, args=(stop, progress, self.row["signature"]), daemon=True)
            beat.start()
            try:
                return isolated(spec)
            finally:
                stop.set()
                beat.join()

        progress(_Stage, f"triage:{self.row['signature']}", "")
        t0 = time.perf_counter()
        try:
            outcome = _triage_signature(Path(self.workdir), self.row, Path(self.bugs_dir), self.exporters,
                                        self.runtimes, self.max_seconds, evaluate)
        except Exception as e:
            from fuzzer.campaign.supervisor import WorkerStartError

            if isinstance(e, WorkerStartError):  # the nested worker cannot start: the next job tries afresh
                _drop_evaluator()
            # as the post-campaign filer: one signature's failure does not end anything else
            outcome = TriageOutcome(self.row["signature"], None, f"triage failed: {type(e).__name__}: {e}",
                                    seconds=time.perf_counter() - t0, error=traceback.format_exc())
        return CaseResult(self.case_id, 0, TRIAGED, notes={"triage": outcome, "started": started})

    def after_death(self, reason: str) -> CaseResult:
        """The supervisor's word for a job that killed or stalled its worker: a failed triage."""
        from fuzzer.report.triage import TriageOutcome

        why = reason.splitlines()[0]
        outcome = TriageOutcome(self.row["signature"], None, f"triage failed: the worker died or stalled: {why}",
                                error=reason)
        return CaseResult(self.case_id, 0, TRIAGED, notes={"triage": outcome})


# -- the worker's side ---------------------------------------------------------------------

#: seconds between the words a triage job says while its nested process runs a candidate
HEARTBEAT = 20.0


def _beat(stop: threading.Event, progress, signature: str) -> None:
    while not stop.wait(HEARTBEAT):
        progress(_Stage, f"triage:{signature}", "")

_evaluator = None


def _nested_evaluator(logdir: Path, stage_timeout: float, memory_limit_mb: int):
    """This worker's nested IsolatedEvaluator, started on first use and kept for its next triage jobs;
    its process logs beside the campaign's workers (logs/triage-<this worker's pid>/)."""
    global _evaluator
    if _evaluator is None:
        # A campaign's workers are daemonic (they must not outlive the campaign), and
        # multiprocessing refuses children to a daemonic process; the nested worker dies with
        # this one all the same (_worker_dying_with_parent).
        mp.current_process().daemon = False
        _evaluator = _nested_evaluator_class()(logdir / f"triage-{os.getpid()}", stage_timeout, memory_limit_mb)
    return _evaluator


def _drop_evaluator() -> None:
    global _evaluator
    if _evaluator is not None:
        _evaluator.close()
        _evaluator = None


def _nested_evaluator_class():
    # imported here: fuzzer.minimize.isolated imports this package's supervisor
    from fuzzer.campaign.supervisor import Supervisor
    from fuzzer.minimize.isolated import IsolatedEvaluator

    class NestedSupervisor(Supervisor):
        worker_main = staticmethod(_worker_dying_with_parent)

    class NestedEvaluator(IsolatedEvaluator):
        """The post-campaign filer's evaluator, on a supervisor whose process dies with this one."""

        def __init__(self, logdir: Path, stage_timeout: float, memory_limit_mb: int) -> None:
            self.supervisor = NestedSupervisor(1, logdir, stage_timeout, memory_limit_mb)
            self.supervisor.start()

        def close(self) -> None:
            self.supervisor.stop()  # the logs stay with the campaign's

    return NestedEvaluator


def _worker_dying_with_parent(*args) -> None:
    """fuzzer.campaign.worker.main, in a process the kernel kills when its parent dies (Linux): the
    campaign kills a triaging worker that hangs, and its nested worker must not run on, orphaned."""
    import ctypes
    import signal

    try:
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the nested worker ends at its next read instead
        pass
    from fuzzer.campaign.worker import main

    main(*args)


# -- the campaign's side -------------------------------------------------------------------


@dataclass
class _Waiting:
    row: dict
    group: tuple


@dataclass
class TriageJobs:
    """The campaign's queue of signatures to triage, and the jobs it has out (see the module docstring).

    Args:
        store: the campaign's store (the campaign process is its only writer).
        session: the campaign's session id, recorded with each triaged signature.
        workers: the campaign's workers (or Dask threads): bounds the share in a long queue.
        max_workers: at most this many triage jobs at once while the queue is short.
    """

    store: object
    session: int
    workdir: Path
    bugs_dir: Path
    exporters: list[str]
    runtimes: list[str]
    workers: int
    max_workers: int = 1
    per_group: int = PER_GROUP
    max_seconds: float = 180.0
    stage_timeout: float = 60.0
    memory_limit_mb: int = 4096
    waiting: dict[str, _Waiting] = field(default_factory=dict)
    taken: Counter = field(default_factory=Counter)
    #: job id -> (signature, monotonic time it was handed out)
    out: dict[int, tuple[str, float]] = field(default_factory=dict)
    outcomes: list = field(default_factory=list)
    #: signatures lost with their job (a Dask chunk lost with its worker): left for after the campaign
    lost: int = 0
    _next_id: int = -1

    def __post_init__(self) -> None:
        done = self.store.triaged_signatures(self.bugs_dir, but_held=not holding())
        for row in self.store.signatures():  # a campaign resumed on its workdir: what it found before
            group = coarse_group(row)
            if row["signature"] in done:
                self.taken[group] += 1
            else:
                self.waiting[row["signature"]] = _Waiting(row, group)

    @property
    def stall_limit(self) -> float:
        """Filing runs the repro without a word (up to its own timeout); a candidate's stages each
        have the nested supervisor's limit."""
        from fuzzer.report.writer import REPRO_TIMEOUT

        return max(REPRO_TIMEOUT + 60.0, 5 * self.stage_timeout)

    def observe(self, result: CaseResult, new: list[str]) -> None:
        """A case was recorded: count its hits, queue its new signatures."""
        for v in result.failures:
            w = self.waiting.get(v.signature or "")
            if w is not None:
                w.row["hits"] += 1
        if new:
            for row in self.store.signature_rows(new):
                self.waiting[row["signature"]] = _Waiting(row, coarse_group(row))

    def next_job(self) -> TriageSpec | None:
        """A triage job for a worker that is free, or None when the share is used or nothing waits."""
        self._expire()
        waiting = [w for w in self.waiting.values() if self.taken[w.group] < group_cap(w.row, self.per_group)]
        long_queue = self.triageable() > LONG_QUEUE
        limit = max(self.max_workers, math.ceil(self.workers / 2)) if long_queue else self.max_workers
        if not waiting or len(self.out) >= limit:
            return None
        # a group no job has taken yet first (a new distinct failure), then the most hit
        best = min(waiting, key=lambda w: (self.taken[w.group] > 0, -w.row["hits"], w.row["first_seen"]))
        del self.waiting[best.row["signature"]]
        self.taken[best.group] += 1
        job_id, self._next_id = self._next_id, self._next_id - 1
        self.out[job_id] = (best.row["signature"], time.monotonic())
        return TriageSpec(job_id, dict(best.row), str(self.workdir), str(self.bugs_dir), self.exporters, self.runtimes,
                          self.max_seconds, self.stall_limit, self.stage_timeout, self.memory_limit_mb)

    def triageable(self) -> int:
        """How many of the waiting signatures will still be triaged: the room left in each group."""
        per_group: Counter = Counter()
        room: dict[tuple, int] = {}
        for w in self.waiting.values():
            per_group[w.group] += 1
            room[w.group] = group_cap(w.row, self.per_group) - self.taken[w.group]
        return sum(max(0, min(n, room[g])) for g, n in per_group.items())

    def owns(self, result: CaseResult) -> bool:
        return result.case_id in self.out

    def finish(self, result: CaseResult) -> None:
        """A job came back (done, failed, or its worker died): record what it filed."""
        from fuzzer.report.triage import TriageOutcome

        signature, handed_out = self.out.pop(result.case_id)
        outcome = result.notes.get("triage")
        if outcome is None:  # onnxfuzz failed around the job (the worker's "error" message)
            error = result.error or ""
            last = (error.strip().splitlines() or ["onnxfuzz failed"])[-1]
            outcome = TriageOutcome(signature, None, f"triage failed: {last[:300]}", error=error)
        started = result.notes.get("started") or time.time() - (time.monotonic() - handed_out)
        record(self.store, outcome, self.bugs_dir, self.session, started, during_campaign=True)
        self.outcomes.append(outcome)

    def _expire(self) -> None:
        """Forget a job that cannot come back any more (its Dask chunk was lost with its worker): its
        signature is left for after the campaign, and its share goes to the next job."""
        bound = 3 * (self.max_seconds + self.stall_limit)
        now = time.monotonic()
        for job_id, (_, handed_out) in list(self.out.items()):
            if now - handed_out > bound:
                del self.out[job_id]
                self.lost += 1

    def filed(self) -> int:
        """Distinct bug folders filed (new or found again) by the jobs so far."""
        return len({o.filed.bug_id for o in self.outcomes if was_filed(o)})

    def summary(self) -> dict:
        """What the jobs did, as plain data: for the campaign's stats."""
        from fuzzer.report.triage import failed

        return {"jobs": len(self.outcomes), "folders": self.filed(),
                "bugs_filed": new_bugs(self.outcomes),
                "failed": failed(self.outcomes), "lost": self.lost,
                "waiting": self.triageable(),
                "max_workers": self.max_workers}


def was_filed(outcome) -> bool:
    """Whether the triage left a bug folder (as record_filed judges it: a repro that did not
    reproduce leaves none)."""
    return outcome.filed is not None and not outcome.filed.held and (outcome.filed.path / "case.json").exists()


def new_bugs(outcomes) -> list[str]:
    """The ids of the folders these triages filed for the first time."""
    return sorted({o.filed.bug_id for o in outcomes if was_filed(o) and o.filed.new})


def record(store, outcome, bugs_dir: Path, session: int | None, started: float, during_campaign: bool) -> None:
    """Record a triaged signature: its folder or onnxfuzz's own defect (record_outcome), and the
    triage itself."""
    from fuzzer.report.triage import record_outcome

    record_outcome(store, outcome)
    store.record_triaged(outcome.signature, bugs_dir, session, started, time.time(),
                         outcome.filed.bug_id if was_filed(outcome) else None, outcome.note[:500], during_campaign,
                         outcome.status)


def file_after_campaign(workdir: Path, bugs_dir: Path, exporters: list[str], runtimes: list[str],
                        max_seconds: float = 180.0, on_outcome=None) -> list:
    """After the campaign, in this process as the filer always did: every signature the filer
    would choose (triage_workdir's choice) that was not triaged into bugs_dir yet."""
    import contextlib

    from fuzzer.report.triage import _triage_each
    from fuzzer.store import Store

    store = Store.open(workdir, create=False)
    with contextlib.ExitStack() as stack:
        stack.callback(store.close)
        done = store.triaged_signatures(bugs_dir, but_held=not holding())
        chosen = [row for row in choose(store.signatures()) if row["signature"] not in done]
        if not chosen:
            return []
        from fuzzer.minimize.isolated import IsolatedEvaluator

        evaluate = stack.enter_context(IsolatedEvaluator())
        started = [time.time()]

        def outcome(o) -> None:
            record(store, o, bugs_dir, None, started[0], during_campaign=False)
            started[0] = time.time()
            if on_outcome:
                on_outcome(o)

        return _triage_each(workdir, chosen, bugs_dir, exporters, runtimes, max_seconds, outcome, evaluate)


__all__ = ["TriageJobs", "TriageSpec", "file_after_campaign"]
