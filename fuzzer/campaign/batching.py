"""Which cases a campaign exports together, and how many at a time.

The campaign draws cases one by one (FairShare picks their exporters). A
Batcher sits between that stream and the workers: consecutive cases whose
exporters are all `batchable` (fuzzer.convert.base.Exporter) go out as one
BatchSpec (fuzzer.batch), pinned to one opset those exporters share, so that
their graphs are exported together; any other case goes out as it is. A case
picked for both kinds of exporter (TorchScript and dynamo) keeps one kind,
the batchable kind for one job and the other for the next, so both kinds keep
getting cases while FairShare balances their time.

A BatchSizer per set of exporters sizes batches from the export seconds and
failures the batches report (CaseResult.notes["batch"]): large enough that the
exporter's fixed cost is spread thin, small enough that the re-exports a
failing graph causes stay cheap.
"""
from __future__ import annotations

import dataclasses
import math
from collections import deque
from typing import Callable

import numpy as np

from fuzzer.batch import as_job, pin_opset
from fuzzer.case import CaseResult, CaseSpec

#: bounds on a batch's size
MIN_SIZE, MAX_SIZE = 2, 32
#: a packed export should take at most about this long (seconds): a death or hang in it costs
#: its graphs' rework, and a batch's results arrive no sooner than its export ends
MAX_EXPORT_SECONDS = 20.0
#: before measurements: a dynamo export's fixed cost is about 4 graphs' worth (0.55 s against
#: 0.1-0.15 s per graph of up to 10 ops), and about one graph in ten fails to export
PRIOR_FIXED_PER_GRAPH = 4.0
PRIOR_GRAPHS, PRIOR_FAILURES = 20, 2
#: how many recent successful packed exports the fit of fixed and per-graph seconds uses
WINDOW = 60


class BatchSizer:
    """The size of the next batch for one set of exporters.

    A packed export of n graphs costs about F + c*n seconds (F: the fixed cost, c: each
    graph's), fitted by least squares on recent exports. Each graph whose export fails
    costs the batch one more export of the rest (the suspect goes alone, or a bisection
    step): with a fraction p of graphs failing, a graph costs about (F/n + c)(1 + p*n),
    least at n = sqrt(F / (c*p)). That depends on F/c, not on seconds, so the size holds
    when the machine is loaded and every export slows alike (a seconds-per-export target
    would shrink batches exactly then). The size is capped so that an export stays under
    MAX_EXPORT_SECONDS.
    """

    def __init__(self, warmup: int = 0) -> None:
        self.exports: deque = deque(maxlen=WINDOW)  # (graphs, seconds) of successful packed exports
        self.graphs, self.failures = PRIOR_GRAPHS, PRIOR_FAILURES
        #: the first batches include each worker's imports (TensorFlow: ~30 s): not measured
        self.warmup = warmup

    def fit(self) -> tuple[float, float] | None:
        """(fixed seconds, seconds per graph), or None until exports of different sizes are known."""
        if len(self.exports) < 3:
            return None
        n = np.array([e[0] for e in self.exports], dtype=float)
        t = np.array([e[1] for e in self.exports], dtype=float)
        if n.std() < 0.5:
            return None
        per_graph, fixed = np.polyfit(n, t, 1)
        if per_graph <= 0 or fixed <= 0:
            return None
        return float(fixed), float(per_graph)

    @property
    def failure_rate(self) -> float:
        return self.failures / self.graphs

    def size(self) -> int:
        fit = self.fit()
        ratio = fit[0] / fit[1] if fit else PRIOR_FIXED_PER_GRAPH
        size = math.sqrt(ratio / max(self.failure_rate, 1e-3))
        if fit:
            size = min(size, math.floor((MAX_EXPORT_SECONDS - fit[0]) / fit[1]))
        return int(min(MAX_SIZE, max(MIN_SIZE, round(size))))

    def learn(self, exports: list[dict]) -> None:
        """One batch's packed exports of one exporter, in order (CaseResult.notes["batch"])."""
        if not exports:
            return
        if self.warmup > 0:
            self.warmup -= 1
            return
        self.graphs += exports[0]["size"]
        self.failures += sum(1 for e in exports if not e["ok"])
        self.exports.extend((e["size"], e["seconds"]) for e in exports if e["ok"] and e["seconds"] > 0)


class Batcher:
    """Wraps the campaign's next_spec into a source of jobs (CaseSpecs and BatchSpecs)."""

    def __init__(self, exporters: list[str], warmup: int = 0) -> None:
        from fuzzer.plugin import load_plugin

        plugins = {name: load_plugin("converter", name) for name in exporters}
        self.batchable = {name for name, p in plugins.items() if getattr(p, "batchable", False)}
        self.opsets = {name: tuple(p.opsets) for name, p in plugins.items()}
        self.warmup = warmup
        self.sizers: dict[tuple, BatchSizer] = {}
        self._held: CaseSpec | None = None
        self._turn = False
        self._learnt: set[int] = set()
        #: batches issued and cases in them, per set of exporters
        self.issued: dict[tuple, list[int]] = {}

    def wrap(self, next_spec: Callable[[], CaseSpec | None]) -> Callable[[], object]:
        def next_job():
            self._turn = not self._turn
            first = self._next(next_spec)
            if first is None:
                return None
            key = self._key(first)
            if key is None:
                return first
            sizer = self.sizers.setdefault(key, BatchSizer(warmup=self.warmup))
            members = [first]
            while len(members) < sizer.size():
                spec = self._next(next_spec)
                if spec is None:
                    break
                if self._key(spec) != key:
                    self._held = spec  # the next job starts with it
                    break
                members.append(spec)
            count = self.issued.setdefault(key, [0, 0])
            count[0] += 1
            count[1] += len(members)
            if first.opset is None:
                common = sorted(set.intersection(*(set(self.opsets[e]) for e in key)))
                members = pin_opset(members, int(np.random.default_rng(first.seed).choice(common)))
            return as_job(members)

        return next_job

    def learn(self, result: CaseResult) -> None:
        """Take in the export seconds a batch reports (once per batch, off its first result)."""
        info = result.notes.get("batch")
        if not info or info["id"] in self._learnt:
            return
        self._learnt.add(info["id"])
        sizer = self.sizers.get(tuple(info["exporters"]))
        if sizer is None:
            return
        for name in info["exporters"]:
            sizer.learn([e for e in info["exports"] if e["exporter"] == name])

    def summary(self) -> dict:
        out = {}
        for key, (batches, cases) in self.issued.items():
            sizer = self.sizers[key]
            fit = sizer.fit()
            out["+".join(key)] = {"batches": batches, "cases": cases, "next_size": sizer.size(),
                                  "failed_exports_per_graph": round(sizer.failure_rate, 3),
                                  "fixed_seconds": round(fit[0], 3) if fit else None,
                                  "seconds_per_graph": round(fit[1], 3) if fit else None}
        return out

    def _next(self, next_spec) -> CaseSpec | None:
        if self._held is not None:
            spec, self._held = self._held, None
            return spec
        spec = next_spec()
        if spec is None:
            return None
        batchable = [e for e in spec.exporters if e in self.batchable]
        if batchable and len(batchable) < len(spec.exporters):
            # both kinds picked: the cases of this job keep one kind, those of the next job the other
            keep = batchable if self._turn else [e for e in spec.exporters if e not in self.batchable]
            spec = dataclasses.replace(spec, exporters=keep)
        return spec

    def _key(self, spec: CaseSpec) -> tuple | None:
        """The exporters a batch of this case would share, or None when it is not batched."""
        if not spec.exporters or any(e not in self.batchable for e in spec.exporters):
            return None
        if spec.config.dynamic or spec.dynamic is not None or spec.skip:
            return None  # dynamic dims would need symbols kept apart across graphs: exported alone
        if spec.opset is None and not set.intersection(*(set(self.opsets[e]) for e in spec.exporters)):
            return None
        return tuple(spec.exporters)


__all__ = ["BatchSizer", "Batcher"]
