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

Isolated probing runs each case as a job on the campaign's supervised workers
(fuzzer.campaign.jobs), so a segfault or a hang in the system under test costs
one case and a restart, not the probe.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from fuzzer.case import CaseResult, Job
from fuzzer.probe.cases import ProbeCase
from oracles import Kind, Stage

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


@dataclass(kw_only=True)
class ProbeJob(Job):
    """One probe case on the campaign's supervised workers."""

    plugin_cls: type
    case: ProbeCase

    def run(self, progress) -> CaseResult:
        if self.skip:  # it killed a worker: the supervisor's verdict is the outcome
            return CaseResult(self.case_id, 0, "judged")
        plugin = _instance(self.plugin_cls)  # made before the stage's clock starts
        if plugin.kind == "runtime":
            progress(Stage.RUN, "probe", plugin.name)
        else:
            progress(Stage.CONVERT, plugin.name, "")
        return CaseResult(self.case_id, 0, "judged", notes={"probe": run_one(plugin, self.case)})


_INSTANCES: dict[type, object] = {}


def _instance(cls):
    if cls not in _INSTANCES:
        _INSTANCES[cls] = cls()
    return _INSTANCES[cls]


def run_isolated(plugin, cases: list[ProbeCase], budget: float, case_timeout: float = 10.0) -> dict[str, dict]:
    """The cases run on the campaign's supervised workers (fuzzer.campaign.jobs): a crash or
    hang costs its case and a restart; cases the budget leaves unstarted are skipped."""
    # the supervisor lives in the campaign layer, above this one (a campaign's steering reads
    # what the probe learned)
    from fuzzer.campaign.jobs import run_jobs

    jobs = [ProbeJob(case_id=i, plugin_cls=type(plugin), case=c) for i, c in enumerate(cases)]
    results: dict[str, dict] = {}
    for i, result in run_jobs(jobs, stage_timeout=case_timeout, budget=budget).items():
        results[cases[i].name] = _outcome(result)
    return results


def _outcome(result) -> dict:
    """A probe record from what the supervisor returned for one case."""
    if result is None:
        return {"status": "skipped"}
    if result.status == "error":  # the worker died before the case reached the plugin
        return {"status": "error", "error": _first_line(result.error or "probe worker failed")}
    death = next(iter(result.verdicts), None)
    if death is not None:
        status = "hang" if death.kind is Kind.HANG else "crash"
        return {"status": status, "error": _first_line(death.error)}
    return result.notes["probe"]
