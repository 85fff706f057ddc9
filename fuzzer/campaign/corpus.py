"""The regression corpus: a few cases that together hit the rules campaigns reached.

A guided campaign keeps every case that first hit some rule (its workdir corpus,
fuzzer.campaign.guidance). `export_corpus` picks a small set of those, greedily the
case that adds the most rules not yet covered, and writes each as a JSON file (its
graph, seed, converters, the runtimes its rules need, and the rules it first hit).
The repository's corpus/ holds such a set; `replay` runs one entry again, with rule
coverage forced on for every session and pass, and says which of its rules it no
longer hits: the regression test replays them all.
"""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

#: the runtimes a rule's system needs to be hit again (the rest of a case's runtimes add nothing)
_RUNTIME_OF = {"onnxruntime:transformers@basic": "onnxruntime-basic",
               "onnxruntime:transformers@extended": "onnxruntime-extended",
               "onnxruntime:transformers@all": "onnxruntime"}
#: every replay runs at least these two: a case needs a differential to be judged
_BASE_RUNTIMES = ("onnxruntime-noopt", "onnx-reference")


@contextlib.contextmanager
def forced_coverage():
    """Coverage on, and every sampled recording (ORT's session logs, onnxoptimizer's and onnxsim's
    passes run alone) taken, whatever share of the time it costs, for the block."""
    from fuzzer.coverage import onnxoptimizer, onnxruntime, onnxsim

    saved_env = os.environ.get("ONNXFUZZ_COVERAGE")
    os.environ["ONNXFUZZ_COVERAGE"] = "1"
    saved = [(m, m._SAMPLER.every, m._BUDGET.share) for m in (onnxruntime, onnxoptimizer, onnxsim)]
    for m, _, _ in saved:
        m._SAMPLER.every, m._BUDGET.share = 1, 1e9
    try:
        yield
    finally:
        for m, every, share in saved:
            m._SAMPLER.every, m._BUDGET.share = every, share
        if saved_env is None:
            os.environ.pop("ONNXFUZZ_COVERAGE", None)
        else:
            os.environ["ONNXFUZZ_COVERAGE"] = saved_env


def _runtimes_for(rules: list[list[str]]) -> list[str]:
    from fuzzer.plugin import select

    available = {p.name for p in select("runtime", None)}
    wanted = list(_BASE_RUNTIMES)
    for system, _ in rules:
        name = _RUNTIME_OF.get(system) or (system[:-len(":ops")] if system.endswith(":ops") else None)
        if name and name in available and name not in wanted:
            wanted.append(name)
    return [r for r in wanted if r in available]


def _split(plugins: list[str]) -> tuple[list[str], list[str]]:
    """(exporters, transformers) among a case's path plugins."""
    from fuzzer.convert.base import Transformer
    from fuzzer.plugin import load_plugin

    exporters, transformers = [], []
    for name in plugins:
        try:
            plugin = load_plugin("converter", name)
        except Exception:
            continue
        (transformers if isinstance(plugin, Transformer) else exporters).append(name)
    return exporters, transformers


def _batchable(plugins: list[str]) -> bool:
    """Did a case go through an exporter campaigns batch? A workdir of an onnxfuzz that still
    kept batched cases has their batch's rules on the first case (see Store._record_rules)."""
    from fuzzer.plugin import load_plugin

    for name in plugins:
        try:
            if getattr(load_plugin("converter", name), "batchable", False):
                return True
        except Exception:
            continue
    return False


def export_corpus(store, out: Path, limit: int = 40) -> list[Path]:
    """Write up to `limit` corpus entries of store's workdir to out/, greedily covering the most
    rules; returns the files written."""
    # the rules of converters, optimizers and runtime transformers: a runtime's (op, dtype, opset)
    # triples are thousands, and nearly any case reaches new ones
    entries = [{**e, "rules": [r for r in e["rules"] if not r[0].endswith(":ops")]} for e in store.corpus()]
    entries = [e for e in entries if e["rules"] and not _batchable(e["exporters"])]
    seeds = dict(store.conn.execute("SELECT id, seed FROM cases").fetchall())
    covered: set[tuple[str, str]] = set()
    chosen = []
    while entries and len(chosen) < limit:
        best = max(entries, key=lambda e: len({tuple(r) for r in e["rules"]} - covered))
        gain = {tuple(r) for r in best["rules"]} - covered
        if not gain:
            break
        entries.remove(best)
        covered |= gain
        chosen.append(best)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for e in chosen:
        exporters, transformers = _split(e["exporters"])
        if not exporters:
            continue
        entry = {"case_id": e["case_id"], "seed": seeds.get(e["case_id"], e["case_id"]), "exporters": exporters,
                 "transformers": transformers, "runtimes": _runtimes_for(e["rules"]), "rules": e["rules"],
                 "graph": json.loads(e["graph"])}
        path = out / f"case-{e['case_id']}.json"
        path.write_text(json.dumps(entry, indent=1))
        written.append(path)
    return written


def replay(path: Path):
    """Run a corpus entry again: (its CaseResult, the [system, rule] pairs it no longer hits)."""
    from fuzzer.case import CaseSpec, run_case
    from fuzzer.generate import GenConfig
    from fuzzer.ir import Graph

    from fuzzer.plugin import select

    entry = json.loads(Path(path).read_text())
    graph = Graph.from_json(entry["graph"])
    # a runtime this machine lacks (an optional extra) is left out, with the rules only it hits
    available = {p.name for p in select("runtime", None)}
    runtimes = [r for r in entry["runtimes"] if r in available]
    absent = {f"{r}:ops" for r in entry["runtimes"] if r not in available}
    spec = CaseSpec(case_id=entry["case_id"], seed=entry["seed"], config=GenConfig(), exporters=entry["exporters"],
                    runtimes=runtimes, transformers=entry["transformers"], graph_json=graph.dumps())
    with forced_coverage():
        result = run_case(spec)
    hit = {(s, r) for s, rules in result.rule_hits.items() for r in rules}
    return result, [[s, r] for s, r in entry["rules"] if (s, r) not in hit and s not in absent]
