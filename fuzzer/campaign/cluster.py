"""Campaigns on a Dask distributed cluster (`onnxfuzz run --scheduler ADDRESS|local:N`).

Isolation stays per case, exactly as in a local campaign: each thread of each
Dask worker keeps its own Supervisor with one case process, and a Dask
task runs a chunk of cases through it. A segfault, hang or runaway allocation
kills only that case process; the supervisor records the verdict, starts a
fresh one and retries the rest of the case, and the Dask worker never notices.
The supervisor outlives the task (a case process costs seconds of torch import
to start, a chunk lasts about CHUNK_SECONDS), so its path tracker and warm
imports carry over from chunk to chunk.

The client stays the only writer of the store: tasks return CaseResults as
plain data, and the campaign records each chunk's results as soon as the chunk
finishes. Case ids are assigned by the client from the store, so a killed
client loses only the chunks in flight, and a rerun on the same workdir goes on
after the last stored case, as a local campaign does.

No threaded process forks: LocalCluster starts its workers with
multiprocessing's spawn method (distributed's default), and supervisors start
their case processes from a forkserver (fuzzer.campaign.supervisor.worker_context):
one fresh, single-threaded process per Dask worker, started with its first case
process, that has imported torch and the exporters once, so a case process that
replaces a dead one starts warm. Each case process gets the environment of the
moment it starts (the client's plugins, set below), not the forkserver's.
Dask's nanny marks its worker processes daemonic, and a daemonic process may
not start children; `local:N` turns that off, and workers started by hand need
DASK_DISTRIBUTED__WORKER__DAEMON=False (README, "Running on a cluster").
A worker that cannot isolate cases says so rather than running them
unprotected.
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from fuzzer.case import CaseResult, CaseSpec
from fuzzer.errors import UsageError

#: `--scheduler local:N` starts a LocalCluster of N single-threaded workers
LOCAL_PREFIX = "local:"
#: a chunk of cases should take about this long: long enough that the per-task cost of Dask
#: and of the client is small beside it, short enough that results stream and a killed client
#: loses little
CHUNK_SECONDS = 2.0
#: ...and longer on a large cluster, so that the client receives at most this many chunks a
#: second: a chunk costs the client (and the scheduler) about 5 ms of CPU, a result about 0.5 ms
#: (benchmarks/dask_scaling.py), so past a few hundred case processes chunks would dominate
MAX_CHUNKS_PER_SECOND = 50.0
MAX_CHUNK = 256
#: chunks in flight per Dask worker thread: one running and one queued behind it, so a thread
#: never waits for the client between chunks
CHUNKS_PER_THREAD = 2
#: after the deadline and the cases' grace, how long the client still waits for chunk results
#: to arrive before it cancels what is left
GATHER_SECONDS = 30.0
#: how long the client tries to reach an existing scheduler
CONNECT_SECONDS = 15
#: how long the client waits for a first worker to join an existing scheduler
JOIN_SECONDS = 60.0


@dataclass(frozen=True)
class Isolation:
    """What a Dask worker needs to build the supervisor its cases run under."""

    stage_timeout: float
    memory_limit_mb: int
    diversity: bool
    #: the client's ONNXFUZZ_PLUGINS: a worker must resolve the same plugin names
    plugins: str | None
    #: the client's generator version: a case is replayable only if both agree
    generator: int
    #: where case-process logs go; None: under the Dask worker's local directory
    logdir: str | None = None


@dataclass
class ChunkOutcome:
    """What a task sends back: the chunk's finished cases and what the supervisor learnt."""

    results: list[CaseResult]
    worker: str
    restarts: int = 0
    paths2: set = field(default_factory=set)
    paths3: set = field(default_factory=set)


# -- the Dask worker's side --------------------------------------------------------------

_supervisors: dict[int, tuple[Isolation, object]] = {}
_lock = threading.Lock()


def run_chunk(specs: list[CaseSpec], isolation: Isolation, wall_deadline: float, grace: float) -> ChunkOutcome:
    """Run specs (a Dask task) on this thread's supervisor; stops starting cases at wall_deadline.

    Raises:
        UsageError: this worker cannot run the client's cases (a daemonic process, or another
            onnxfuzz version).
    """
    from distributed import get_worker

    from fuzzer.version import GENERATOR_VERSION

    worker = get_worker()
    if isolation.generator != GENERATOR_VERSION:
        raise UsageError(f"Dask worker {worker.address} runs onnxfuzz generator {GENERATOR_VERSION}, the client "
                         f"{isolation.generator}: install the same onnxfuzz on every worker")
    if mp.current_process().daemon:
        raise UsageError(f"Dask worker {worker.address} is a daemonic process and cannot start the processes that "
                         "isolate cases: start workers with DASK_DISTRIBUTED__WORKER__DAEMON=False")
    outcome = ChunkOutcome([], worker.address)
    remaining = wall_deadline - time.time()
    if remaining <= 0:  # queued behind the deadline: nothing to start
        return outcome
    sup = _supervisor(isolation, Path(worker.local_directory), worker.name)
    restarts = sup.restarts
    pending = list(reversed(specs))
    issued = set()

    def next_spec():
        if not pending:
            return None
        spec = pending.pop()
        issued.add(spec.case_id)
        return spec

    try:
        for result in sup.run(next_spec, time.monotonic() + remaining, grace):
            outcome.results.append(result)
    except BaseException:
        _drop_supervisor()  # e.g. case processes that die while starting: the next chunk starts afresh
        raise
    outcome.restarts = sup.restarts - restarts
    # what the supervisor gathered is this chunk's alone: hand it over and start afresh
    outcome.paths2, sup.paths2 = sup.paths2, set()
    outcome.paths3, sup.paths3 = sup.paths3, set()
    if issued - {r.case_id for r in outcome.results}:
        # the deadline abandoned a case in flight: its process may still be busy with it, so
        # this supervisor cannot serve another chunk
        _drop_supervisor()
    return outcome


def _supervisor(isolation: Isolation, local_directory: Path, worker_name) -> object:
    """This thread's supervisor, started on first use and rebuilt when the client's settings change."""
    from fuzzer.campaign.supervisor import Supervisor
    from fuzzer.plugin import ENV_VAR

    key = threading.get_ident()
    with _lock:
        cached = _supervisors.get(key)
    if cached is not None and cached[0] == isolation:
        return cached[1]
    if cached is not None:
        _drop_supervisor()
    # spawned case processes inherit the environment: they must load the client's plugins
    if isolation.plugins is None:
        os.environ.pop(ENV_VAR, None)
    else:
        os.environ[ENV_VAR] = isolation.plugins
    base = Path(isolation.logdir) if isolation.logdir else local_directory / "onnxfuzz-logs"
    logdir = base / f"dask-{worker_name}-{key:x}"
    sup = Supervisor(1, logdir, isolation.stage_timeout, isolation.memory_limit_mb, diversity=isolation.diversity)
    sup.start()
    with _lock:
        if not _supervisors:
            import atexit

            atexit.register(_stop_all)
        _supervisors[key] = (isolation, sup)
    return sup


def _drop_supervisor() -> None:
    with _lock:
        cached = _supervisors.pop(threading.get_ident(), None)
    if cached is not None:
        cached[1].stop()


def _stop_all() -> None:
    with _lock:
        sups = [s for _, s in _supervisors.values()]
        _supervisors.clear()
    for sup in sups:
        sup.stop()


# -- the client's side -------------------------------------------------------------------


def local_workers(address: str) -> int | None:
    """N for a `local:N` address, None for the address of an existing scheduler.

    Raises:
        UsageError: a `local:` address whose N is not a positive integer.
    """
    if not address.startswith(LOCAL_PREFIX):
        return None
    text = address[len(LOCAL_PREFIX):]
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"--scheduler {address!r}: expected local:N with N a positive number of workers")
    return int(text)


def chunk_size(case_seconds: float, threads: int) -> int:
    """How many cases of case_seconds each a chunk holds on a cluster of `threads` case processes."""
    seconds = max(CHUNK_SECONDS, threads / MAX_CHUNKS_PER_SECOND)
    return max(1, min(MAX_CHUNK, round(seconds / case_seconds)))


def start_local_cluster(workers: int):
    """A LocalCluster of `workers` single-threaded worker processes that may start case processes."""
    import dask
    from distributed import LocalCluster

    # the nanny's workers are daemonic by default, and a daemonic process may not have children;
    # Dask's own logs stay quiet (a worker's heartbeat racing the shutdown logs a traceback): the
    # campaign reports what matters itself
    with dask.config.set({"distributed.worker.daemon": False}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            dashboard_address=":0", silence_logs=logging.CRITICAL)


class DaskPool:
    """The Supervisor's interface (start, run, stop, n, restarts, paths2, paths3) over a Dask cluster.

    Args:
        address: a scheduler's address (tcp://host:8786), or local:N to start a LocalCluster.
        isolation: the supervisor settings each Dask worker thread uses.
        note: prints one line for the user (a lost chunk).
        task: what a Dask worker runs on each chunk, with run_chunk's signature (the scaling
            benchmark swaps in one that makes results up, to measure the client's ceiling).
    """

    def __init__(self, address: str, isolation: Isolation, note: Callable[[str], None] = print,
                 task: Callable[..., ChunkOutcome] = run_chunk) -> None:
        self.address = address
        self.isolation = isolation
        self.note = note
        self.task = task
        self.client = None
        self.cluster = None
        self.n = 0
        self.restarts = 0
        self.paths2: set = set()
        self.paths3: set = set()
        #: chunks whose Dask worker died (not a case process: those are verdicts)
        self.lost_chunks = 0
        self._pending: set = set()
        #: finished futures, put there by their done callbacks (from the client's event loop thread)
        self._done: queue.Queue = queue.Queue()
        self._case_seconds: float | None = None
        self._threads_checked = 0.0

    def start(self) -> None:
        """Connect (or start the local cluster) and wait for a first worker.

        Raises:
            UsageError: the scheduler cannot be reached, or no worker joins it.
        """
        from distributed import Client

        workers = local_workers(self.address)
        try:
            if workers is not None:
                self.cluster = start_local_cluster(workers)
                self.client = Client(self.cluster, set_as_default=False)
            else:
                self.client = Client(self.address, timeout=f"{CONNECT_SECONDS}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            self.stop()
            raise UsageError(f"cannot reach the Dask scheduler at {self.address}: {e}") from None
        try:
            self.client.wait_for_workers(1, timeout=JOIN_SECONDS)
        except (TimeoutError, OSError):
            self.stop()
            raise UsageError(f"no Dask worker joined the scheduler at {self.address} in {JOIN_SECONDS:.0f} s") from None
        self._refresh_threads(force=True)

    def stop(self) -> None:
        if self.client is not None:
            if self._pending:
                self.client.cancel(list(self._pending))
                self._pending.clear()
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def run(self, next_spec: Callable[[], CaseSpec | None], deadline: float, grace: float = 10.0) -> Iterator[CaseResult]:
        """Yield finished CaseResults until next_spec() returns None or the deadline (time.monotonic) passes."""
        from distributed import KilledWorker
        from distributed.client import FutureCancelledError

        wall_deadline = time.time() + (deadline - time.monotonic())
        exhausted = False
        while True:
            now = time.monotonic()
            if now < deadline and not exhausted:
                self._refresh_threads()
                while len(self._pending) < CHUNKS_PER_THREAD * self.n:
                    chunk = self._take(next_spec)
                    if not chunk:
                        exhausted = True
                        break
                    future = self.client.submit(self.task, chunk, self.isolation, wall_deadline, grace, pure=False)
                    future.add_done_callback(self._done.put)
                    self._pending.add(future)
            if not self._pending:
                return
            if now > deadline + grace + GATHER_SECONDS:
                self.note(f"{len(self._pending)} chunk(s) still running {GATHER_SECONDS:.0f} s after the deadline: abandoned")
                self.client.cancel(list(self._pending))
                self._pending.clear()
                return
            try:
                done = [self._done.get(timeout=1.0)]
            except queue.Empty:
                continue
            while not self._done.empty():
                done.append(self._done.get_nowait())
            for future in done:
                self._pending.discard(future)
                try:
                    outcome: ChunkOutcome = future.result()
                except (KilledWorker, FutureCancelledError) as e:
                    # the Dask worker process itself died (not a case process): its chunk is lost,
                    # the campaign goes on with the other workers
                    self.lost_chunks += 1
                    self.note(f"a chunk was lost with its Dask worker: {type(e).__name__}")
                    continue
                finally:
                    future.release()
                self.restarts += outcome.restarts
                self.paths2 |= outcome.paths2
                self.paths3 |= outcome.paths3
                self._learn(outcome)
                yield from outcome.results

    def _take(self, next_spec) -> list[CaseSpec]:
        """The next chunk: as many specs as fill about chunk_size's seconds at the measured case time."""
        size = 1 if self._case_seconds is None else chunk_size(self._case_seconds, self.n)
        chunk, cases = [], 0
        while cases < size:
            spec = next_spec()
            if spec is None:
                break
            chunk.append(spec)
            cases += len(getattr(spec, "members", ())) or 1  # a batch of cases exported together counts each
        return chunk

    def _learn(self, outcome: ChunkOutcome) -> None:
        """Follow the mean case time (a moving average: the mix of exporters drifts)."""
        if not outcome.results:
            return
        mean = sum(r.total_seconds for r in outcome.results) / len(outcome.results)
        mean = max(mean, 1e-3)
        self._case_seconds = mean if self._case_seconds is None else 0.8 * self._case_seconds + 0.2 * mean

    def _refresh_threads(self, force: bool = False) -> None:
        """Threads across the cluster (workers may join or leave): checked at most every 5 s."""
        now = time.monotonic()
        if force or now - self._threads_checked > 5.0:
            self._threads_checked = now
            self.n = max(1, sum(self.client.nthreads().values()))


def isolation_for(stage_timeout: float, memory_limit_mb: int, diversity: bool, logdir: Path | None) -> Isolation:
    """The client's Isolation: its plugin registrations and generator version go with it."""
    from fuzzer.plugin import ENV_VAR
    from fuzzer.version import GENERATOR_VERSION

    return Isolation(stage_timeout, memory_limit_mb, diversity, os.environ.get(ENV_VAR), GENERATOR_VERSION,
                     str(logdir) if logdir is not None else None)


__all__ = ["DaskPool", "Isolation", "chunk_size", "isolation_for", "local_workers", "run_chunk", "start_local_cluster"]
