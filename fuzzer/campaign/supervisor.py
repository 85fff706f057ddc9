"""Runs cases on worker processes and turns their deaths into verdicts.

The supervisor tracks the case each worker has in flight and the stage it
last announced. When a worker dies (segfault, abort), stalls past the time
limit in one stage, or grows past the memory limit, the supervisor records a
crash, hang or out-of-memory verdict against the system under test that was
running, starts a fresh worker, and retries the rest of that case with the
fatal (path, runtime) pair skipped. The campaign goes on.

A worker sends each case's graph before its first risky stage (its graphs
depend on the worker's path tracker, not on the seed alone): the retry runs
that same graph, and every result the supervisor makes up itself (a crash
verdict after the last retry, an error, a finding flushed at the time limit)
carries it, so a report and the minimizer start from the graph that failed.
A dynamic case's plan (which dims vary, at which sizes) travels the same way,
as soon as the worker has decided it: a death at another size than the base
one is retried, recorded and minimized with the sizes it died at.

A job may be a batch of cases exported together (fuzzer.batch.BatchSpec): it
stays in flight until each of its cases has sent its result, every stage names
the case (or the group of cases of a packed export) it concerns, and a death
in a packed export retries that group as two halves (BatchSpec.after_death),
until the one case that kills the exporter dies alone and is recorded as any
case is.
"""
from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import shutil
import signal
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Callable, Iterator

import psutil

from fuzzer.batch import BatchSpec
from fuzzer.case import CaseResult, CaseSpec
from oracles import Kind, Stage, Verdict
from oracles.verdict import CRASH_AT

#: a case is retried after a fatal pair at most this often
MAX_RETRIES = 3
#: how long a fresh worker may take to import torch and report ready
STARTUP_SECONDS = 120.0
#: consecutive workers dying before "ready" after which the campaign gives up
MAX_START_FAILURES = 3
#: how worker processes start: "forkserver" (default) or "spawn" (each worker imports everything itself)
START_ENV = "ONNXFUZZ_WORKER_START"
START_METHODS = ("forkserver", "spawn")


def worker_context():
    """The multiprocessing context workers start from.

    Workers are never forked from the process that runs the supervisor (a campaign, a Dask
    worker's thread, a triaging worker): it may have threads, or have computed with torch.
    By default they fork from a forkserver, a fresh single-threaded process that has imported
    torch, onnx, onnxscript and onnxfuzz once (fuzzer.campaign.preload), so a worker that
    replaces a dead one starts in a fraction of a second instead of importing them again.
    Each worker is still its own process: a death loses that worker alone. The forkserver is
    one per process that starts workers, started with the first worker.
    ONNXFUZZ_WORKER_START=spawn starts every worker afresh, as before.
    """
    from fuzzer.errors import UsageError

    method = os.environ.get(START_ENV, "forkserver")
    if method not in START_METHODS:
        raise UsageError(f"{START_ENV}={method!r}: expected one of {', '.join(START_METHODS)}")
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["fuzzer.campaign.preload"])
    return ctx


class WorkerStartError(RuntimeError):
    """Workers die before they can run a case: the environment is broken, not a system under test."""


@dataclass
class _InFlight:
    spec: CaseSpec
    started: float
    stage: str = "reference"
    path: str = ""
    runtime: str = ""
    stage_started: float = 0.0
    #: each case's graph's distinct (2-op, 3-op) paths, by case id, once the worker has sent it
    paths: dict = field(default_factory=dict)
    #: the case id the last stage concerns (a batch's: a tuple of ids for a packed export)
    case: object = None


@dataclass
class _Worker:
    index: int
    process: mp.Process
    conn: object
    log: Path
    ready: bool = False
    spawned: float = field(default_factory=time.monotonic)
    job: _InFlight | None = None
    #: its temporary folder (TMPDIR)
    tmp: str = ""


class Supervisor:
    """Runs CaseSpecs on `workers` worker processes (started as worker_context says).

    Args:
        workers: number of worker processes.
        logdir: where each worker's stdout/stderr go.
        stage_timeout: seconds one stage may take before it counts as a hang, counted from the
            stage's announcement; a plugin that declares its own `stage_timeout` gets that instead.
        memory_limit_mb: resident memory above which a worker counts as out of memory.
        diversity: each worker keeps a path tracker across its cases (fuzzer.generate.diversity).
    """

    def __init__(self, workers: int, logdir: Path, stage_timeout: float = 60.0, memory_limit_mb: int = 4096,
                 diversity: bool = True) -> None:
        self.n = workers
        self.logdir = Path(logdir)
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.stage_timeout = stage_timeout
        self.memory_limit = memory_limit_mb * 2**20
        self._tmp: str | None = None
        self.ctx = worker_context()
        self.workers: list[_Worker] = []
        self.retries: deque[CaseSpec] = deque()
        self.fatal: dict[int, list[Verdict]] = {}  # case id -> verdicts of pairs that killed a worker
        self.attempts: dict[int, int] = {}
        self.restarts = 0
        self.start_failures = 0
        self.diversity = diversity
        #: (role, plugin name) -> the hang limit of its stages (see stage_limit)
        self._limits: dict[tuple[str, str], float] = {}
        #: distinct op paths of the graphs of judged cases (status judged or unstable)
        self.paths2: set = set()
        self.paths3: set = set()

    # -- worker lifecycle ---------------------------------------------------------
    #: what a worker process runs (fuzzer.campaign.worker.main when None); a nested supervisor
    #: (fuzzer.campaign.triage_jobs) runs it through a wrapper that dies with its parent
    worker_main: Callable | None = None

    def _spawn(self, index: int) -> _Worker:
        from fuzzer.campaign.worker import main

        parent, child = self.ctx.Pipe()
        log = self.logdir / f"worker-{index}.log"
        # the environment goes along: a forked worker would otherwise have the forkserver's, as
        # it was when the forkserver started (a Dask worker sets the client's plugins later)
        # each worker gets a temporary folder of its own, removed when it ends: one killed mid-case
        # (a hang, a death) cannot clean up what it had there (tract's copy of the model it loads)
        tmp = tempfile.mkdtemp(prefix=f"worker-{index}-", dir=self._tmp_root())
        environ = {**os.environ, "TMPDIR": tmp}
        proc = self.ctx.Process(target=type(self).worker_main or main, args=(child, str(log), self.diversity, environ),
                                daemon=True, name=f"onnxfuzz-worker-{index}")
        proc.start()
        child.close()
        return _Worker(index, proc, parent, log, tmp=tmp)

    def _tmp_root(self) -> str:
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="onnxfuzz-workers-")
        return self._tmp

    def start(self) -> None:
        self.workers = [self._spawn(i) for i in range(self.n)]

    def stop(self) -> None:
        for w in self.workers:
            try:
                w.conn.send(None)
            except (OSError, BrokenPipeError):
                pass
        deadline = time.monotonic() + 5
        for w in self.workers:
            w.process.join(max(0.0, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
                w.process.join(1)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def _replace(self, w: _Worker) -> None:
        if w.process.is_alive():
            w.process.kill()
        w.process.join(5)
        if w.tmp:
            shutil.rmtree(w.tmp, ignore_errors=True)
        self.restarts += 1
        self.workers[w.index] = self._spawn(w.index)

    # -- the loop -------------------------------------------------------------------
    def run(self, next_spec: Callable[[], CaseSpec | None], deadline: float, grace: float = 10.0) -> Iterator[CaseResult]:
        """Yield finished CaseResults until next_spec() returns None with no job in flight, or
        the deadline passes.

        next_spec() is asked again whenever a worker is free, even after it returned None: a
        job in flight can make new work (a failure that a campaign then triages).
        After the deadline no new case is started; cases in flight get `grace`
        seconds to finish and are then abandoned (they were never recorded).
        """
        exhausted = False
        while True:
            now = time.monotonic()
            time_up = now >= deadline
            for w in self.workers:
                if not w.ready or w.job is not None or time_up:
                    continue
                if self.retries:  # a case that killed a worker goes on before new ones
                    spec = self.retries.popleft()
                else:
                    spec = next_spec()
                    exhausted = spec is None
                    if spec is None:
                        continue
                w.job = _InFlight(spec, now, stage_started=now)
                w.conn.send(spec)
            busy = [w for w in self.workers if w.job is not None]
            if exhausted and not busy and not self.retries:
                return
            if time_up and (not busy or now >= deadline + grace):
                yield from self._flush()
                return
            handles = {w.conn: w for w in self.workers}
            handles.update({w.process.sentinel: w for w in self.workers})
            for h in wait(list(handles), timeout=0.2):
                w = handles[h]
                if h is w.conn:
                    yield from self._drain(w)
            for w in list(self.workers):
                yield from self._police(w)

    def _flush(self) -> Iterator[CaseResult]:
        """At the time limit: record what is known of cases that killed a worker and were
        waiting for (or in) their retry, rather than lose those findings."""
        jobs = [*self.retries, *(w.job.spec for w in self.workers if w.job is not None)]
        specs = {spec.case_id: spec for job in jobs for spec in (job.members if isinstance(job, BatchSpec) else [job])}
        self.retries.clear()
        for case_id, verdicts in list(self.fatal.items()):
            spec = specs.get(case_id)
            if spec is None:
                yield CaseResult(case_id, 0, "judged", verdicts=verdicts)
            else:
                yield _made_up(spec, "judged", verdicts=verdicts)
        self.fatal.clear()

    def _drain(self, w: _Worker) -> Iterator[CaseResult]:
        while True:
            try:
                if not w.conn.poll():
                    return
                msg = w.conn.recv()
            except (EOFError, OSError):
                return  # the process died; _police sees it
            tag = msg[0]
            if tag == "ready":
                w.ready = True
                self.start_failures = 0
            elif tag == "graph" and w.job is not None and isinstance(w.job.spec, BatchSpec):
                _, case_id, graph_json, found = msg
                member = w.job.spec.member(case_id)
                if member is not None:
                    w.job.spec = w.job.spec.with_member(dataclasses.replace(member, graph_json=graph_json))
                    w.job.paths[case_id] = found
            elif tag == "graph" and w.job is not None and msg[1] == w.job.spec.case_id:
                _, _, graph_json, found = msg
                w.job.spec = dataclasses.replace(w.job.spec, graph_json=graph_json)
                w.job.paths[msg[1]] = found
            elif tag == "dynamic" and w.job is not None and msg[1] == w.job.spec.case_id:
                w.job.spec = dataclasses.replace(w.job.spec, dynamic=msg[2])
            elif tag == "stage" and w.job is not None:
                _, case, stage, path, runtime = msg
                w.job.stage, w.job.path, w.job.runtime, w.job.case = stage, path, runtime, case
                w.job.stage_started = time.monotonic()
            elif tag == "done" and w.job is not None:
                result: CaseResult = msg[1]
                job = w.job
                self._end(w, result.case_id)
                if result.status in ("judged", "unstable"):
                    found = job.paths.get(result.case_id, ((), ()))
                    self.paths2.update(map(tuple, found[0]))
                    self.paths3.update(map(tuple, found[1]))
                yield self._merge(result)
            elif tag == "error" and w.job is not None:
                spec = self._end(w, msg[1])
                yield _made_up(spec, "error", error=msg[2])

    def _end(self, w: _Worker, case_id: int) -> CaseSpec:
        """A case of w's job has ended: the job is over, or (a batch) goes on without that case.
        Returns that case's spec."""
        spec = w.job.spec
        if not isinstance(spec, BatchSpec):
            w.job = None
            return spec
        member = spec.member(case_id) or spec.members[0]
        w.job.spec = spec.without(member.case_id)
        if not w.job.spec.members:
            w.job = None
        return member

    def _police(self, w: _Worker) -> Iterator[CaseResult]:
        now = time.monotonic()
        alive = w.process.is_alive()
        if not w.ready:
            if not alive or now - w.spawned > STARTUP_SECONDS:
                self.start_failures += 1
                if self.start_failures >= MAX_START_FAILURES:
                    raise WorkerStartError(f"{self.start_failures} workers in a row died while starting; last output:\n{_tail(w.log)}")
                self._replace(w)
            return
        # what it sent before dying or stalling comes first: its case's graph, or the finished case
        yield from self._drain(w)
        job = w.job
        if not alive:
            yield from self._fatal(w, Kind.RUN_CRASH, f"worker died: {_exit_reason(w.process.exitcode)}")
            return
        if job is None:
            return
        # a job that is not a case (a triage job) may say how long it can go without a word
        limit = getattr(job.spec, "stall_limit", None) or self.stage_limit(job.stage, job.path, job.runtime)
        if now - job.stage_started > limit:
            yield from self._fatal(w, Kind.HANG, f"no progress for {limit:g} s in stage {job.stage}")
            return
        try:
            rss = psutil.Process(w.process.pid).memory_info().rss
        except psutil.Error:
            return
        if rss > self.memory_limit:
            yield from self._fatal(w, Kind.OOM, f"resident memory {rss >> 20} MiB over the {self.memory_limit >> 20} MiB limit in stage {job.stage}")

    def stage_limit(self, stage: str, path: str, runtime: str) -> float:
        """Seconds the stage may take: the stage_timeout its system under test declares (the
        runtime of a load or run, the last converter of an export or convert), else the
        supervisor's. onnxfuzz's own stages (reference, check) always get the supervisor's."""
        if runtime:
            key = ("runtime", runtime)
        elif stage in (Stage.EXPORT.value, Stage.CONVERT.value) and path:
            key = ("converter", path.split(">")[-1].partition("@")[0])
        else:
            return self.stage_timeout
        if key not in self._limits:
            from fuzzer.plugin import load_plugin

            try:
                declared = load_plugin(*key).stage_timeout
            except Exception:  # the worker reports a plugin that does not load; the limit stands
                declared = None
            self._limits[key] = self.stage_timeout if declared is None else float(declared)
        return self._limits[key]

    def _fatal(self, w: _Worker, kind: Kind, reason: str) -> Iterator[CaseResult]:
        job = w.job
        tail = _tail(w.log)
        self._replace(w)
        if job is None:
            return
        spec = job.spec
        if isinstance(spec, BatchSpec):
            # the fatal stage belonged to one case (its retry and verdict follow, below), or to
            # a packed export (its group goes on as two halves); the rest of the batch is retried
            spec, rest = spec.after_death(job.case)
            self.retries.extend(rest)
            if spec is None:
                return
        after_death = getattr(spec, "after_death", None)
        if after_death is not None:
            # a job that is not a case (a triage job) says what its death means: no verdict of a
            # system under test, no retry without a fatal pair
            yield after_death(f"{reason}\n{tail}" if tail else reason)
            return
        if job.stage == "reference":
            # torch eager on our own graph died: not a converter's fault; keep the evidence
            yield _made_up(spec, "error", error=f"{reason}\n{tail}")
            return
        stage = Stage(job.stage)
        if kind is Kind.RUN_CRASH:  # a death: name it after the stage it hit
            kind = CRASH_AT[stage]
        error = reason + (f"\nlast output:\n{tail}" if tail else "")
        verdict = Verdict(kind, stage, job.path, job.runtime, [], error, {}, time.monotonic() - job.stage_started)
        self.fatal.setdefault(spec.case_id, []).append(verdict)
        attempts = self.attempts.get(spec.case_id, 0) + 1
        self.attempts[spec.case_id] = attempts
        skip_key = (job.path, "" if stage in (Stage.EXPORT, Stage.CONVERT, Stage.CHECK) else job.runtime)
        if attempts <= MAX_RETRIES:
            self.retries.append(
                dataclasses.replace(spec, skip=spec.skip | {skip_key}, keep_models=spec.keep_models | {job.path})
            )
        else:
            yield _made_up(spec, "judged", verdicts=self.fatal.pop(spec.case_id))

    def _merge(self, result: CaseResult) -> CaseResult:
        fatal = self.fatal.pop(result.case_id, [])
        self.attempts.pop(result.case_id, None)
        result.verdicts = fatal + result.verdicts
        return result


def _made_up(spec: CaseSpec, status: str, **fields) -> CaseResult:
    """A result the supervisor records itself (no worker finished the case): with the
    case's graph and dynamic plan when the worker had sent them, for the report and the
    minimizer."""
    ops, op_dtypes = [], []
    if spec.graph_json is not None:
        from fuzzer.ir import Graph

        try:
            graph = Graph.loads(spec.graph_json)
            ops, op_dtypes = graph.op_types(), graph.op_dtypes()
        except Exception:  # a graph that does not load is still evidence: keep its JSON
            ops, op_dtypes = [], []
    return CaseResult(spec.case_id, spec.seed, status, ops=ops, op_dtypes=op_dtypes, graph_json=spec.graph_json,
                      dynamic=spec.dynamic, swarm=getattr(spec, "swarm", None), **fields)


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "unknown"
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    own = "--- case "  # the worker's own per-case markers say nothing about the death
    return "\n".join([ln for ln in text.splitlines() if not ln.startswith(own)][-lines:])
