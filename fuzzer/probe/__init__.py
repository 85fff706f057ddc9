"""Capability probing: which (ONNX op, dtype, opset) combinations a plugin supports.

A runtime's capabilities are found by running ONNX's own node tests (one op
each, with known inputs and outputs; see `fuzzer.probe.cases`) through it,
and small models of onnxfuzz's own op specs at every dtype each accepts (see
`fuzzer.probe.spec_cases`: the node tests are nearly all float32); a
transformer's, by transforming each model and checking the result.
A case whose error the plugin's `is_unsupported` calls a documented gap marks
its combination unsupported; any other error is recorded as an error, which
counts as neither. When that gap is a missing kernel, the record also says
which one ("gap": ONNX op, schema version, type binding; fuzzer.probe.gaps),
whichever op of the case's model it was: a spec case reaches kernels of ops
inside its lowering, at dtypes the node tests never use. Such a learned gap
answers `refuses_kernel` exactly, and, when it binds one dtype, makes that
(ONNX op, dtype) unsupported unless some case of that pair ran.

Results are cached on disk once per plugin and installed versions, under
$ONNXFUZZ_CACHE or ~/.cache/onnxfuzz, in probe/<plugin>-<key>.json:

    from fuzzer.probe import capabilities
    caps = capabilities(load_plugin("runtime", "tract"))   # probes on first use, then cached
    caps.supports("Gelu", "float32", 20)                    # True, False, or None (unknown)
    caps.supports_spec("neg", "int8")                       # the same, for an op spec and dtype
    caps.counts()                                           # pairs supported / unsupported / error only
    caps.refuses_kernel({"op": "Relu", "domain": "", "since": 14, "types": {"T": "int64"}})

`cached(plugin)` returns the cached result without probing (None when there is none).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from fuzzer.probe.cases import ProbeCase, node_cases, retyped_cases, select, since_version, spread
from fuzzer.probe.execute import SUPPORTED, run_inprocess, run_isolated

#: bumped whenever the same plugin and versions would probe differently
#: (3: records carry the missing kernel a gap names; spec cases at every opset their kernels change;
#: 4: and at the opset of a function body ORT would inline;
#: 5: node tests retyped to every dtype their schema allows, judged on loading and running;
#: 6: context-dependent function bodies; 7: gaps of refused inlined bodies, on "error" records;
#: 8: types shape inference leaves out are propagated through type parameters)
PROBE_VERSION = 8
#: default time budget of one plugin's probe, in seconds (workers included)
BUDGET = 55.0
CASE_TIMEOUT = 10.0
ENV_CACHE = "ONNXFUZZ_CACHE"


@dataclass
class Capabilities:
    """What a probe found, one record per node test case."""

    plugin: str
    kind: str
    versions: dict[str, str]
    #: one dict per case: name, op, dtype, opset, since, status, and error when it failed
    records: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    created: float = 0.0

    def __post_init__(self) -> None:
        from fuzzer.probe import gaps

        self._index: dict[tuple[str, str, int], list[str]] = {}
        #: exact kernels found missing (fuzzer.probe.gaps.key), whichever case's model held them
        self._gaps: dict[tuple, dict] = {}
        for op, dtype, since, status in self._statuses():
            self._index.setdefault((op, dtype, since), []).append(status)
        for r in self.records:
            if r.get("gap"):
                self._gaps.setdefault(gaps.key(r["gap"]), r["gap"])

    def _statuses(self):
        """(op, dtype, since, status) of every case, then one "unsupported" per learned gap that
        binds a single dtype: a Relu(14) int16 kernel missing inside a spec case's model says
        as much about ONNX Relu on int16 as a Relu node test would. A gap mixing dtypes
        (Cast float16 -> int8) names no one (op, dtype) pair, so it adds nothing here. A learned
        gap never outweighs a case that ran: every query below lets one pass win."""
        from fuzzer.probe.cases import op_key
        from fuzzer.probe.gaps import single_dtype

        for r in self.records:
            yield r["op"], r["dtype"], r["since"], r["status"]
        for r in self.records:
            gap = r.get("gap")
            dtype = single_dtype(gap) if gap else None
            if dtype is not None:
                yield op_key(gap["op"], gap.get("domain", "")), dtype, int(gap["since"]), "unsupported"

    # -- queries ---------------------------------------------------------------

    def supports(self, op: str, dtype, opset: int, domain: str = "") -> bool | None:
        """Whether op (ONNX op type) on inputs of dtype works at opset.

        The opset is mapped to the op's schema version in force there, so a
        probe at the opset where the op last changed answers for every later
        opset. True when some case of that (op, dtype, version) ran; False
        when the plugin called every such case unsupported; None when the
        probe has no case for it, or only errors, crashes or skips.
        """
        dtype = getattr(dtype, "value", dtype)
        key_op = op if domain in ("", "ai.onnx") else f"{domain}.{op}"
        since = since_version(op, domain, opset)
        if since is None:
            return None
        statuses = self._index.get((key_op, dtype, since))
        if not statuses:
            return None
        if any(s in SUPPORTED for s in statuses):
            return True
        if all(s == "unsupported" for s in statuses):
            return False
        return None

    def refuses_kernel(self, gap: dict) -> bool:
        """True when the probe found exactly this kernel missing: same op, schema version and
        type binding (a dict as fuzzer.probe.gaps.missing_kernel returns)."""
        from fuzzer.probe.gaps import key

        return key(gap) in self._gaps

    def learned_gaps(self) -> list[dict]:
        """Every distinct missing kernel the probe's cases named."""
        return list(self._gaps.values())

    def supports_spec(self, name: str, dtype) -> bool | None:
        """Whether the op spec `name` lowered to ONNX works on dtype (its spec probe case):
        True when it ran, False when the plugin called it a gap, None when not probed."""
        from fuzzer.probe.spec_cases import PREFIX

        statuses = [r["status"] for r in self.records
                    if r["op"] == PREFIX + name and r["dtype"] == getattr(dtype, "value", dtype)]
        if any(s in SUPPORTED for s in statuses):
            return True
        if statuses and all(s == "unsupported" for s in statuses):
            return False
        return None

    def pairs(self) -> dict[tuple[str, str], str]:
        """Each (op, dtype) seen, as "supported" (some case ran), "unsupported" (every case was
        called a gap) or "error" (no case ran, and not every failure was a gap)."""
        seen: dict[tuple[str, str], list[str]] = {}
        for op, dtype, _, status in self._statuses():
            seen.setdefault((op, dtype), []).append(status)
        out = {}
        for key, statuses in seen.items():
            if any(s in SUPPORTED for s in statuses):
                out[key] = "supported"
            elif all(s == "unsupported" for s in statuses):
                out[key] = "unsupported"
            elif all(s == "skipped" for s in statuses):
                continue
            else:
                out[key] = "error"
        return out

    def counts(self) -> dict[str, int]:
        """(op, dtype) pairs by verdict, and cases by status."""
        pairs = self.pairs()
        out = {
            "supported_pairs": sum(v == "supported" for v in pairs.values()),
            "unsupported_pairs": sum(v == "unsupported" for v in pairs.values()),
            "error_pairs": sum(v == "error" for v in pairs.values()),
            "cases": len(self.records),
            "learned_gaps": len(self._gaps),
        }
        for r in self.records:
            out[r["status"]] = out.get(r["status"], 0) + 1
        return out

    @property
    def partial(self) -> bool:
        """True when the time budget ran out before every case ran."""
        return any(r["status"] == "skipped" for r in self.records)

    def summary(self) -> dict:
        return {**self.counts(), "partial": self.partial, "seconds": round(self.seconds, 1)}

    # -- persistence -----------------------------------------------------------

    def to_json(self) -> dict:
        return {
            "probe_version": PROBE_VERSION, "plugin": self.plugin, "kind": self.kind, "versions": self.versions,
            "seconds": self.seconds, "created": self.created, "records": self.records,
        }

    @classmethod
    def from_json(cls, data: dict) -> Capabilities:
        return cls(data["plugin"], data["kind"], data["versions"], data["records"], data.get("seconds", 0.0), data.get("created", 0.0))


def cache_dir() -> Path:
    root = os.environ.get(ENV_CACHE)
    base = Path(root) if root else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "onnxfuzz"
    return base / "probe"


def cache_key(plugin, cases: tuple[ProbeCase, ...] | None = None) -> str:
    """What the result depends on: the plugin, its class, its packages' versions, onnx's (whose
    node tests are the probe), the probe's own version, and the case subset when there is one."""
    import onnx

    from fuzzer.probe.spec_cases import signature

    basis = {
        "plugin": plugin.name, "class": f"{type(plugin).__module__}.{type(plugin).__qualname__}",
        "versions": plugin.versions(), "onnx": onnx.__version__, "probe": PROBE_VERSION,
    }
    if cases is not None:
        basis["cases"] = sorted(c.name for c in cases)
    else:
        basis["specs"] = signature()
    digest = hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]
    return f"{plugin.name}-{digest}"


def cache_path(plugin, cases: tuple[ProbeCase, ...] | None = None) -> Path:
    return cache_dir() / f"{cache_key(plugin, cases)}.json"


_MEMORY: dict[str, Capabilities] = {}


def cached(plugin, cases: tuple[ProbeCase, ...] | None = None) -> Capabilities | None:
    """The stored probe result for this plugin and versions, without probing."""
    key = cache_key(plugin, cases)
    if key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir() / f"{key}.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if data.get("probe_version") != PROBE_VERSION:
        return None
    caps = Capabilities.from_json(data)
    _MEMORY[key] = caps
    return caps


def stale(plugin) -> Capabilities | None:
    """The newest cached probe of this plugin made for other versions, op specs, case subsets or
    an older probe (so not what `cached` answers), or None: what `doctor` shows while a probe
    is due."""
    files = [p for p in cache_dir().glob(f"{plugin.name}-*.json") if p.stem.rsplit("-", 1)[0] == plugin.name]
    for path in sorted(files, key=lambda p: p.stat().st_mtime, reverse=True):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if data.get("plugin") == plugin.name and isinstance(data.get("records"), list):
            try:
                return Capabilities.from_json(data)
            except (KeyError, TypeError):  # a record format this version cannot read
                continue
    return None


def probe(plugin, cases=None, *, budget: float = BUDGET, isolate: bool = True, case_timeout: float = CASE_TIMEOUT) -> Capabilities:
    """Run the probe now (nothing is cached). cases: default every node case.

    isolate: run the cases in spawned workers (a crash or hang costs one case);
    without it they run in this process, which is faster for a handful of cases.
    A daemonic process (a campaign worker) cannot start workers: there the
    cases run in-process. Better to probe before a campaign starts its workers.
    """
    import multiprocessing

    if isolate and multiprocessing.current_process().daemon:
        isolate = False
    t0 = time.perf_counter()
    if cases is None:
        from fuzzer.probe.spec_cases import at_first_opset, spec_cases

        first = at_first_opset(spec_cases())
        # the spec cases at further opsets and layouts, and the retyped node tests, are there for
        # kernels; a transformer has none. A runtime runs them after the one case per (spec, dtype)
        # and the node tests, so a slow runtime cut short by its budget still has those
        chosen = spread(first + node_cases())
        if plugin.kind == "runtime":
            names = {c.name for c in first}
            chosen += spread([c for c in spec_cases() if c.name not in names] + list(retyped_cases()))
    else:
        chosen = spread(cases)
    if isolate:
        results = run_isolated(plugin, chosen, budget, case_timeout)
    else:
        results = run_inprocess(plugin, chosen, budget)
    records = []
    for c in sorted(chosen, key=lambda c: c.name):
        r = results.get(c.name, {"status": "skipped"})
        rec = {"case": c.name, "op": c.op, "dtype": c.dtype, "opset": c.opset, "since": c.since, "status": r["status"]}
        if r.get("error"):
            rec["error"] = r["error"]
        if "seconds" in r:
            rec["seconds"] = r["seconds"]
        if r.get("gap"):
            rec["gap"] = r["gap"]
        records.append(rec)
    return Capabilities(plugin.name, plugin.kind, plugin.versions(), records, time.perf_counter() - t0, time.time())


def capabilities(plugin, *, compute: bool = True, cases=None, **probe_options) -> Capabilities | None:
    """The plugin's capabilities: from memory, else from the disk cache, else probed now
    (when compute is true) and cached. None when not cached and compute is false."""
    cases = tuple(cases) if cases is not None else None
    found = cached(plugin, cases)
    if found is not None or not compute:
        return found
    caps = probe(plugin, cases, **probe_options)
    save(caps, cache_path(plugin, cases))
    _MEMORY[cache_key(plugin, cases)] = caps
    return caps


def save(caps: Capabilities, path: Path) -> None:
    """Write atomically: concurrent probes of the same plugin leave one whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(caps.to_json(), indent=0, sort_keys=True))
    os.replace(tmp, path)


def probeable(plugin) -> bool:
    """Runtimes and transformers take ONNX models, so the node tests can probe them; exporters cannot."""
    return plugin.kind in ("runtime", "transformer")


__all__ = [
    "BUDGET", "Capabilities", "ProbeCase", "cache_dir", "cache_path", "cached", "capabilities",
    "node_cases", "probe", "probeable", "save", "select", "stale",
]
