"""Workers fork from a preloaded forkserver (fuzzer.campaign.preload, supervisor.worker_context):
the forkserver is single-threaded, a worker gets the supervisor's environment as it is when
the worker starts, a death still costs one worker alone, and a triaging worker's nested worker
still dies with it. These start real worker processes: forking only exists across processes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from fuzzer.case import CaseResult, Job
from oracles import Kind, Stage

MARK = "ONNXFUZZ_TEST_WORKER_MARK"


@dataclass(kw_only=True)
class Probe(Job):
    """Reports what its worker process looks like; "segv" dies as a crashing runtime would."""

    action: str = "look"

    def run(self, progress) -> CaseResult:
        if self.skip:
            return CaseResult(self.case_id, self.seed, "judged", notes={"skipped": True})
        progress(Stage.RUN, "model", "pretend")
        if self.action == "segv":
            (Path(tempfile.gettempdir()) / "left-behind").write_text("a system's file")
            os.kill(os.getpid(), signal.SIGSEGV)
        if self.action == "nest":  # what a triage job does: a supervisor of its own, in the worker
            from fuzzer.campaign.triage_jobs import _nested_evaluator

            evaluator = _nested_evaluator(Path(os.environ[MARK]), 60.0, 4096)
            return CaseResult(self.case_id, self.seed, "judged",
                              notes={"nested": evaluator.supervisor.workers[0].process.pid})
        return CaseResult(self.case_id, self.seed, "judged", notes={
            "pid": os.getpid(), "ppid": os.getppid(), "mark": os.environ.get(MARK), "tmp": tempfile.gettempdir(),
            # imported by the forkserver's preload only: the worker's own start does not
            "onnxscript": "onnxscript" in sys.modules})


def _run(jobs, workers=1, **kw):
    from fuzzer.campaign.supervisor import Supervisor

    pending = list(jobs)
    with tempfile.TemporaryDirectory() as logdir:
        sup = Supervisor(workers, Path(logdir), stage_timeout=120.0, diversity=False)
        sup.start()
        try:
            results = {r.case_id: r for r in sup.run(lambda: pending.pop(0) if pending else None, float("inf"))}
        finally:
            sup.stop()
    return results, sup


def test_the_preload_leaves_one_thread_and_no_threaded_library(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    code = ("import os, sys, fuzzer.campaign.preload as p; print(p.FAILED); print(len(os.listdir('/proc/self/task'))); "
            "print([m for m in ('onnxruntime', 'openvino', 'tensorflow') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600, check=True)
    failed, threads, threaded = out.stdout.splitlines()[-3:]
    assert failed == "[]" and threaded == "[]"
    assert threads == "1"  # forking a process with other threads can leave their locks held forever


def test_a_worker_forks_warm_and_gets_the_environment_at_its_start(monkeypatch):
    monkeypatch.setenv("ONNXFUZZ_WORKER_START", "forkserver")
    monkeypatch.setenv(MARK, "first")
    first, _ = _run([Probe(case_id=1)])
    monkeypatch.setenv(MARK, "second")  # the forkserver started with "first" and keeps running
    second, _ = _run([Probe(case_id=1)])
    for results, mark in ((first, "first"), (second, "second")):
        notes = results[1].notes
        assert notes["mark"] == mark
        assert notes["onnxscript"]  # preloaded: forked from the forkserver
        assert notes["ppid"] != os.getpid()  # not forked from this (pytest's, threaded) process


def test_spawn_is_still_there_and_an_unknown_method_is_a_usage_error(monkeypatch):
    from fuzzer.campaign.supervisor import worker_context
    from fuzzer.errors import UsageError

    monkeypatch.setenv("ONNXFUZZ_WORKER_START", "spawn")
    results, _ = _run([Probe(case_id=1)])
    assert results[1].notes["ppid"] == os.getpid() and not results[1].notes["onnxscript"]
    monkeypatch.setenv("ONNXFUZZ_WORKER_START", "fork")
    with pytest.raises(UsageError, match="ONNXFUZZ_WORKER_START"):
        worker_context()


def test_a_segfault_costs_its_worker_alone(monkeypatch):
    monkeypatch.setenv("ONNXFUZZ_WORKER_START", "forkserver")
    jobs = [Probe(case_id=1), Probe(case_id=2, action="segv"), Probe(case_id=3), Probe(case_id=4)]
    results, sup = _run(jobs, workers=2)
    died = results[2]
    assert [v.kind for v in died.verdicts] == [Kind.RUN_CRASH] and "SIGSEGV" in died.verdicts[0].error
    assert died.notes == {"skipped": True}  # retried on a fresh worker, the fatal pair skipped
    assert all(results[i].status == "judged" and results[i].notes["pid"] for i in (1, 3, 4))
    assert sup.restarts == 1  # the other worker lived on
    # each worker had a temporary folder of its own, under one the supervisor removed at the end,
    # with what the dead one left there
    tmps = {Path(results[i].notes["tmp"]) for i in (1, 3, 4)}
    assert all(t.name.startswith("worker-") and t.parent.name.startswith("onnxfuzz-workers-") for t in tmps)
    assert not any(t.parent.exists() for t in tmps)


def test_a_nested_worker_dies_with_the_triaging_worker(monkeypatch, tmp_path):
    from fuzzer.campaign.supervisor import Supervisor

    monkeypatch.setenv("ONNXFUZZ_WORKER_START", "forkserver")
    monkeypatch.setenv(MARK, str(tmp_path))
    jobs = [Probe(case_id=1, action="nest")]
    sup = Supervisor(1, tmp_path / "logs", stage_timeout=120.0, diversity=False)
    sup.start()
    try:
        results = list(sup.run(lambda: jobs.pop() if jobs else None, float("inf")))
        nested = psutil.Process(results[0].notes["nested"])
        outer = sup.workers[0].process
        os.kill(outer.pid, signal.SIGKILL)  # as the campaign kills a triaging worker that hangs
        outer.join()
        deadline = time.monotonic() + 120  # generous: the kernel, not a race, decides
        while time.monotonic() < deadline:
            try:
                if nested.status() == psutil.STATUS_ZOMBIE:
                    break
            except psutil.NoSuchProcess:
                break
            time.sleep(0.2)
        else:
            nested.kill()
            pytest.fail("the nested worker outlived the worker that started it")
    finally:
        sup.stop()
