"""White-box coverage: which rules of each system under test a case exercised.

A *system* here is one rule registry of one tool ("torchscript:symbolic", the
TorchScript exporter's symbolic functions; "onnxruntime:transformers@all",
ONNX Runtime's graph transformers at its highest level; "onnxruntime:ops", the
(op, dtype, opset) triples ONNX Runtime ran), and a *rule* is one entry of it.
The per-tool modules of this package (torch_exporters, onnxscript_rewriter,
onnxruntime, ort_quantizer, onnxoptimizer, version_converter, tf2onnx, runtimes) know how to see which rules ran;
plugins call them from inside their own hooks, and each reports through the
process-wide recorder below:

- `hit(system, rules, inventory=provider)` records rules hit by the case in
  flight; the first time a system is hit in a process, `provider()` is asked for
  the system's whole inventory, read from the tool's own registry at its
  installed version (as {"version": ..., "rules": [...]}, or None when it cannot
  tell yet), and that inventory travels with the next finished case once;
- `fuzzer.case.run_case` calls `begin_case()` first and `take()` last, and the
  store keeps every rule with the first case that hit it (fuzzer.store).

Bookkeeping is on unless the environment says ONNXFUZZ_COVERAGE=0, which
benchmarks/coverage_overhead.py uses to measure its cost.
"""
from __future__ import annotations

import contextlib
import os
import time
from typing import Callable, Iterable

Inventory = dict  # {"version": str, "rules": [str, ...]}


def enabled() -> bool:
    """Whether coverage bookkeeping is on (ONNXFUZZ_COVERAGE, default on)."""
    return os.environ.get("ONNXFUZZ_COVERAGE", "1") != "0"


class Recorder:
    """The rules hit by the case in flight, and the inventories not yet handed on.

    One per process (`RECORDER`): a worker runs one case at a time.
    """

    def __init__(self) -> None:
        self.hits: dict[str, set[str]] = {}
        #: inventories this process found and has not yet handed on with a case
        self.pending: dict[str, Inventory] = {}
        #: systems whose inventory this process already found (or is finding)
        self.declared: set[str] = set()
        self._providers: dict[str, Callable[[], Inventory | None]] = {}

    def begin_case(self) -> None:
        self.hits = {}

    def hit(self, system: str, rules: Iterable[str], inventory: Callable[[], Inventory | None] | None = None) -> None:
        """Record rules of system as hit by the case in flight."""
        got = self.hits.setdefault(system, set())
        got.update(rules)
        if inventory is not None and system not in self.declared:
            self._providers[system] = inventory

    def take(self) -> tuple[dict[str, list[str]], dict[str, Inventory]]:
        """The case's hits ({system: sorted rules}) and any inventories found since the last take."""
        for system, provider in list(self._providers.items()):
            try:
                found = provider()
            except Exception as e:  # an inventory that cannot be read is reported, not fatal
                found = {"version": "unknown", "rules": [], "error": f"{type(e).__name__}: {e}"[:300]}
            if found is not None:
                self.pending[system] = found
                self.declared.add(system)
                del self._providers[system]
        hits = {s: sorted(r) for s, r in self.hits.items() if r}
        self.hits = {}
        pending, self.pending = self.pending, {}
        return hits, pending


RECORDER = Recorder()


def hit(system: str, rules: Iterable[str], inventory: Callable[[], Inventory | None] | None = None) -> None:
    """Record rules of `system` as hit by the case in flight (see Recorder.hit)."""
    if enabled():
        RECORDER.hit(system, rules, inventory)


class Budget:
    """Keeps a costly sampled measurement (onnxoptimizer's passes run singly) to a share of
    this process's time since its first use: a worker is busy with cases all the time, so
    that bounds the measurement's share of campaign throughput whatever the models."""

    def __init__(self, share: float, head_start: float = 0.05) -> None:
        self.share = share
        self.head_start = head_start
        self.spent = 0.0
        self.start: float | None = None

    def allows(self) -> bool:
        now = time.perf_counter()
        if self.start is None:
            self.start = now
        return self.spent <= self.share * (now - self.start) + self.head_start

    @contextlib.contextmanager
    def charge(self):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.spent += time.perf_counter() - t0


#: where bookkeeping that failed is recorded: never as a verdict against a system under test
ERRORS = "onnxfuzz:coverage-errors"


def quietly(record):
    """Decorate a recording function so that its failure never fails the case: a model the
    bookkeeping cannot read is the systems' business, judged elsewhere. Each failure is
    recorded as a hit of ERRORS ("<function>: <exception type>"), so it shows in the report."""
    import functools

    @functools.wraps(record)
    def guarded(*args, **kwargs):
        try:
            return record(*args, **kwargs)
        except Exception as e:
            hit(ERRORS, [f"{record.__module__}.{record.__name__}: {type(e).__name__}"])
            return None

    return guarded


#: the (system, rule) pairs this process has seen hit: a case hitting another one keeps its graph
#: for the campaign's corpus (fuzzer.campaign.guidance)
_SEEN: set[tuple[str, str]] = set()


def novel(hits: dict[str, list[str]]) -> bool:
    """Did a case's hits ({system: rules}, as take() returns them) include a rule this process
    had not seen hit before? Every call adds its hits to what has been seen."""
    pairs = {(s, r) for s, rules in hits.items() if s != ERRORS for r in rules}
    new = bool(pairs - _SEEN)
    _SEEN.update(pairs)
    return new


def begin_case() -> None:
    RECORDER.begin_case()


def take() -> tuple[dict[str, list[str]], dict[str, Inventory]]:
    return RECORDER.take()


def in_flight() -> dict[str, set[str]]:
    """The rules hit so far by the case in flight (a copy; take() still hands them on)."""
    return {s: set(r) for s, r in RECORDER.hits.items() if r}


__all__ = ["Budget", "ERRORS", "RECORDER", "Recorder", "begin_case", "enabled", "hit", "in_flight", "novel", "quietly", "take"]
