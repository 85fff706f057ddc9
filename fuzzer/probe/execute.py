"""Run probe cases against one plugin: in-process, or in a worker process that may die.

Each case ends in one status:
- runtimes: "pass" (ran and matched onnx's expected output), "mismatch" (ran,
  but the output differs: the kernel exists, its result is for the fuzzer to
  judge), "unsupported" (the load or run error is one the plugin's
  `is_unsupported` calls a documented gap), "error" (any other error);
- transformers: "pass" (transformed, and the checker accepts the result),
  "invalid" (transformed, the checker rejects it), "unsupported", "error",
  "bad-input" (the checker rejects the node test's own model: not the transformer's fault);
- both: "crash" (the worker process died in it), "hang" (over the per-case
  time limit), "skipped" (the probe's time budget ran out first).

Isolated probing runs the cases in a spawned worker that streams each result
back, so a segfault or a hang in the system under test costs one case and a
restart, not the probe.
"""
from __future__ import annotations

import time
from typing import Iterable

import numpy as np

from fuzzer.probe.cases import ProbeCase

SUPPORTED = ("pass", "mismatch")


def _first_line(error: BaseException | str, limit: int = 600) -> str:
    """The error's first lines joined, shortened: enough to tell one gap from another."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[:8])[:limit]


def _close(got, want, rtol: float, atol: float) -> bool:
    if isinstance(want, (list, tuple)):
        return isinstance(got, (list, tuple)) and len(got) == len(want) and all(
            _close(g, w, rtol, atol) for g, w in zip(got, want)
        )
    if want is None:
        return got is None
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return False
    if want.dtype.kind in "OUS":
        return bool(np.array_equal(got.astype(str), want.astype(str)))
    try:
        return bool(np.allclose(got.astype(np.float64), want.astype(np.float64), rtol=max(rtol, 1e-3), atol=max(atol, 1e-5), equal_nan=True))
    except (TypeError, ValueError):
        return bool(np.array_equal(got, want))


def run_one(plugin, case: ProbeCase) -> dict:
    """The outcome of one case on one plugin: {"status", "error"?, "seconds"}."""
    t0 = time.perf_counter()
    out = _runtime_case(plugin, case) if plugin.kind == "runtime" else _transformer_case(plugin, case)
    out["seconds"] = round(time.perf_counter() - t0, 4)
    return out


def _runtime_case(runtime, case: ProbeCase) -> dict:
    from fuzzer.run.base import feeds_for

    order = case.input_names
    values = dict(zip(order, case.inputs))
    try:
        session = runtime.load(case.model)
    except Exception as e:
        return _failed(runtime, case, "load", e)
    try:
        outputs = runtime.run(session, feeds_for(runtime.input_names(session), values, order))
    except Exception as e:
        return _failed(runtime, case, "run", e)
    if case.outputs is None:  # a case without a truth asks only whether the kernels exist
        return {"status": "pass"}
    try:
        ok = len(outputs) == len(case.outputs) and all(
            _close(g, w, case.rtol, case.atol) for g, w in zip(outputs, case.outputs)
        )
    except Exception:
        ok = False
    return {"status": "pass" if ok else "mismatch"}


def _failed(plugin, case: ProbeCase, stage: str, error: Exception) -> dict:
    """The record of a case the plugin failed. A documented gap that names a missing kernel also
    says which one ("gap": op, schema version, type binding; see fuzzer.probe.gaps): the case's
    model may hold more ops than the one it is about (a spec's lowering), and the gap is learned
    for the op that lacks the kernel, whichever case reached it."""
    unsupported = plugin.is_unsupported(error)
    out = {"status": "unsupported" if unsupported else "error", "stage": stage, "error": _first_line(error)}
    try:
        from fuzzer.probe.gaps import missing_kernel

        gap = missing_kernel(case.model, str(error))
    except Exception:  # reading the gap is a bonus: the case's status stands without it
        gap = None
    if gap is not None and unsupported:
        out["gap"] = gap
    return out


def _transformer_case(transformer, case: ProbeCase) -> dict:
    import onnx

    try:  # a transformer is not blamed for its input's faults (as in a campaign)
        onnx.checker.check_model(onnx.load_model_from_string(case.model), full_check=True)
    except Exception as e:
        return {"status": "bad-input", "error": _first_line(e)}
    try:
        model = transformer.transform(case.model, case.opset)
    except Exception as e:
        return _failed(transformer, case, "convert", e)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        return {"status": "invalid", "stage": "check", "error": _first_line(e)}
    return {"status": "pass"}


def run_inprocess(plugin, cases: Iterable[ProbeCase], budget: float | None = None) -> dict[str, dict]:
    """Every case run in this process; once `budget` seconds have passed, the rest are skipped."""
    t0 = time.perf_counter()
    results = {}
    for case in cases:
        if budget is not None and time.perf_counter() - t0 >= budget:
            results[case.name] = {"status": "skipped"}
            continue
        results[case.name] = run_one(plugin, case)
    return results


def _worker(plugin_cls, cases: list[ProbeCase], conn) -> None:
    import os
    import warnings

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    warnings.simplefilter("ignore")
    # the systems under test log every failed case to stdout/stderr: the probe records them instead
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    plugin = plugin_cls()
    for case in cases:
        conn.send(("start", case.name))
        try:
            result = run_one(plugin, case)
        except BaseException as e:  # a failure of the probe itself: keep going
            result = {"status": "error", "error": _first_line(e)}
        conn.send(("done", case.name, result))
    conn.send(("end",))


def run_isolated(plugin, cases: list[ProbeCase], budget: float, case_timeout: float = 10.0) -> dict[str, dict]:
    """The cases run in spawned worker processes; a crash or hang costs its case and a restart."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    t0 = time.perf_counter()
    results: dict[str, dict] = {}
    pending = list(cases)
    while pending and time.perf_counter() - t0 < budget:
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_worker, args=(type(plugin), pending, send), daemon=True)
        proc.start()
        send.close()  # the worker holds the only write end: its death reads as EOF
        before = len(results)
        try:
            _collect(proc, recv, results, t0, budget, case_timeout)
        finally:
            if proc.is_alive():
                proc.kill()
            proc.join(5)
            recv.close()
        pending = [c for c in pending if c.name not in results]
        if len(results) == before and pending and time.perf_counter() - t0 < budget:
            for c in pending:  # the worker died before its first case: restarting would not help
                results[c.name] = {"status": "error", "error": f"probe worker failed to start (exit code {proc.exitcode})"}
            pending = []
    for c in pending:
        results[c.name] = {"status": "skipped"}
    return results


def _collect(proc, recv, results: dict, t0: float, budget: float, case_timeout: float) -> None:
    """Results from one worker until it ends, dies, hangs in a case, or the budget runs out."""
    current, started = None, 0.0
    while True:
        now = time.perf_counter()
        wait = budget - (now - t0)
        if wait <= 0:
            return  # the case in flight is left pending, and so skipped
        if current is not None:
            wait = min(wait, case_timeout - (now - started))
            if wait <= 0:
                results[current] = {"status": "hang", "error": f"no result within {case_timeout:g} s"}
                return
        if not recv.poll(wait):
            continue
        try:
            msg = recv.recv()
        except EOFError:
            proc.join(2)
            if current is not None:
                results[current] = {"status": "crash", "error": f"worker died (exit code {proc.exitcode})"}
            return
        if msg[0] == "start":
            current, started = msg[1], time.perf_counter()
        elif msg[0] == "done":
            results[msg[1]] = msg[2]
            current = None
        else:
            return
