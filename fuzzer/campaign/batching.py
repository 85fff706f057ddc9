"""Which cases a campaign exports together, and how many at a time.

The campaign draws cases one by one (FairShare picks their exporters). A
Batcher sits between that stream and the workers: consecutive cases whose
exporters are all `batchable` (fuzzer.convert.base.Exporter) go out as one
BatchSpec (fuzzer.batch), pinned to one opset those exporters share, so that
their graphs are exported together; any other case goes out as it is. A case
picked for both kinds of exporter (TorchScript and dynamo) keeps one kind,
the batchable kind for one job and the other for the next, so both kinds keep
getting cases while FairShare balances their time.

A BatchSizer per set of exporters sizes batches from the export seconds the
batches report (CaseResult.notes["batch"]), failed and repeated exports
included: it climbs toward the size with the fewest export seconds per graph.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Callable

import numpy as np

from fuzzer.batch import as_job, failing_op, pin_opset
from fuzzer.case import CaseResult, CaseSpec

#: bounds on a batch's size (1: exported alone, as unbatched; for an exporter that batching does not pay for)
MIN_SIZE, MAX_SIZE = 1, 32
#: the size of a set of exporters' first batches
START_SIZE = 6
#: each batch asks for the current size times one of these, in turn
SPREAD = (0.75, 1.25)
#: how far one comparison moves the size
STEP = 1.2
#: a packed export should take at most about this long (seconds): a death or hang in it costs
#: its graphs' rework, and a batch's results arrive no sooner than its export ends
MAX_EXPORT_SECONDS = 20.0


class BatchSizer:
    """The size of the next batch for one set of exporters: a hill climb on export seconds per graph.

    Batches alternate between a quarter below and a quarter above the current size. Each
    batch's cost is every packed export it needed (the failed ones, and the re-exports a
    failing graph causes, included) over the graphs it started with. When the larger size
    came out cheaper per graph than the smaller one, the size grows by STEP, else it
    shrinks. A fixed cost per export makes larger batches cheaper per graph; failures (each
    costs a re-export of the rest) and an exporter whose work grows faster than its model
    (tf2onnx's rewrites) make them dearer, and the climb settles where the two balance.
    Comparing two sizes measured back to back, rather than seconds against a target, keeps
    it steady on a loaded machine, where every export slows alike.
    """

    def __init__(self, warmup: int = 0, start: float = START_SIZE) -> None:
        self.value = float(start)
        #: the per-graph cost last measured below and above the current size
        self.cost: dict[bool, float | None] = {False: None, True: None}
        #: the first batches include each worker's imports (TensorFlow: ~30 s): not measured
        self.warmup = warmup
        self._larger = False
        self.batches = 0
        self.failed = 0

    def _spread(self, larger: bool) -> int:
        size = round(self.value * SPREAD[larger])
        if larger:  # keep the two sizes apart however small the size
            size = max(size, round(self.value * SPREAD[False]) + 1)
        return int(min(MAX_SIZE, max(MIN_SIZE, size)))

    def size(self) -> int:
        return int(min(MAX_SIZE, max(MIN_SIZE, round(self.value))))

    def next_size(self) -> int:
        """The size the next batch asks for: below and above size() in turn."""
        self._larger = not self._larger
        return self._spread(self._larger)

    def learn(self, exports: list[dict]) -> None:
        """One batch's packed exports with one exporter, in order (CaseResult.notes["batch"])."""
        if not exports:
            return
        if any(e.get("cold") for e in exports):
            return  # a worker's first packed export (after a start or a restart) also paid its imports
        if self.warmup > 0:
            self.warmup -= 1
            return
        self.batches += 1
        self.failed += any(not e["ok"] for e in exports)
        graphs = exports[0]["size"]
        seconds = sum(e["seconds"] for e in exports)
        if max(e["seconds"] for e in exports) > MAX_EXPORT_SECONDS:
            self.value = max(MIN_SIZE, self.value / STEP)
            return
        larger = graphs > self.value
        self.cost[larger] = seconds / graphs
        if self.cost[False] is not None and self.cost[True] is not None:
            cheaper_larger = self.cost[True] < self.cost[False]
            self.value = min(MAX_SIZE, max(MIN_SIZE, self.value * STEP if cheaper_larger else self.value / STEP))
            self.cost = {False: None, True: None}


#: ONNXFUZZ_EXPORT_GAPS=0: start every campaign knowing no failing op (to measure a first campaign)
ENV_GAPS = "ONNXFUZZ_EXPORT_GAPS"


def gaps_path(plugin) -> Path:
    """Where the op families that failed this exporter's exports are remembered across campaigns:
    beside the probe cache (fuzzer.probe.cache_dir), one file per exporter and installed versions,
    since a translation gap is the exporter's and lasts as long as its version does."""
    from fuzzer.probe import cache_dir

    basis = {"plugin": plugin.name, "class": f"{type(plugin).__module__}.{type(plugin).__qualname__}",
             "versions": plugin.versions()}
    digest = hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir().parent / "export-gaps" / f"{plugin.name}-{digest}.json"


def _load_gaps(path: Path) -> set[str]:
    try:
        return set(json.loads(path.read_text())["keep_out"])
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def _save_gaps(path: Path, ops: set[str]) -> None:
    """Merged with what the file holds (another campaign may have added to it), written atomically."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"keep_out": sorted(ops | _load_gaps(path))}))
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache: the campaign still shares what it learns, for its own length


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
        #: cases the sizer asked to go alone, by case id: their own export is its measurement
        self._alone: dict[int, tuple] = {}
        #: batches issued and cases in them, per set of exporters
        self.issued: dict[tuple, list[int]] = {}
        #: per batchable exporter, the op families that failed its exports anywhere in the campaign
        #: (what the workers learnt, and the failed exports of cases run alone): every batch carries
        #: them (BatchSpec.keep_out), so a worker keeps such graphs out of its packs from its first
        #: batch, a restarted one too, instead of failing a packed export on each
        self.keep_out: dict[str, set[str]] = {}
        #: where each batchable exporter's failing families are remembered across campaigns (gaps_path):
        #: a campaign starts knowing what earlier ones learnt, instead of failing a pack on each again
        self._gaps: dict[str, Path] = {}
        if os.environ.get(ENV_GAPS, "1") != "0":
            self._gaps = {name: gaps_path(plugins[name]) for name in self.batchable}
            for name, path in self._gaps.items():
                if known := _load_gaps(path):
                    self.keep_out[name] = known

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
            members, size = [first], sizer.next_size()
            while len(members) < size:
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
            if len(members) == 1:
                self._alone[first.case_id] = key
            if first.opset is None:
                common = sorted(set.intersection(*(set(self.opsets[e]) for e in key)))
                members = pin_opset(members, int(np.random.default_rng(first.seed).choice(common)))
            return as_job(members, {e: frozenset(self.keep_out[e]) for e in key if self.keep_out.get(e)})

        return next_job

    def learn(self, result: CaseResult) -> None:
        """Take in the export seconds a batch reports (once per batch, off its first result), and
        the ops that failed a batchable exporter (off every result)."""
        self._learn_failing_ops(result)
        key = self._alone.pop(result.case_id, None)
        if key is not None:  # a batch of one: the case's own export
            for name in key:
                seconds = result.timings.get(f"export:{name}")
                if seconds:
                    self.sizers[key].learn([{"exporter": name, "size": 1, "seconds": seconds, "ok": True}])
            return
        info = result.notes.get("batch")
        if not info or info["id"] in self._learnt:
            return
        self._learnt.add(info["id"])
        sizer = self.sizers.get(tuple(info["exporters"]))
        if sizer is None:
            return
        for name in info["exporters"]:
            sizer.learn([e for e in info["exports"] if e["exporter"] == name])

    def _learn_failing_ops(self, result: CaseResult) -> None:
        info = result.notes.get("batch")
        found = [(name, op) for name, op in (info or {}).get("learned", [])]
        if not info:  # a case run alone (a batched case's own export failure is in what its worker learnt)
            for v in result.verdicts:  # its export failed, or showed a documented gap
                name = v.path.split("@", 1)[0]
                if v.stage.value == "export" and v.kind.value != "pass" and name in self.batchable and ">" not in v.path:
                    op = failing_op(v.error, result.ops)
                    if op is not None:
                        found.append((name, op))
        for name, op in found:
            known = self.keep_out.setdefault(name, set())
            if op not in known:
                known.add(op)
                if name in self._gaps:
                    _save_gaps(self._gaps[name], known)

    def summary(self) -> dict:
        out = {}
        for key, (batches, cases) in self.issued.items():
            sizer = self.sizers[key]
            out["+".join(key)] = {"batches": batches, "cases": cases, "size": sizer.size(),
                                  "batches_with_a_failed_export": sizer.failed, "measured_batches": sizer.batches,
                                  "kept_out": {e: len(self.keep_out.get(e, ())) for e in key}}
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
