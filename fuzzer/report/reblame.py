"""Ask blame again about filed bugs, with today's rules: which folders would name another system.

    python -m fuzzer.report.reblame [--bugs-dir bugs] [--json] [ID ...]

Read-only: no folder is rewritten. For each live campaign folder (one that keeps its minimized
graph), the minimal case is run again along every exporter and on every runtime its witnesses
named, and fuzzer.report.blame decides anew; a crash that killed its process runs on a
supervised worker. A folder `onnxfuzz check` filed keeps no graph: only its model is asked
about (a checker failure inside an op's function body). Witnesses run on a supervised worker
(a runtime that aborts its process on one folder's graph does not end the others'). Each folder's recorded error is also
asked of the plugin that raised it: a deliberate refusal is `unsupported` now, not a bug.
Exit status 1 when any folder's blamed system changes.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def _raiser(meta: dict) -> tuple[str, str] | None:
    """(role, plugin name) of the system whose error the folder records, or None (the checker, a mismatch)."""
    stage, steps = meta.get("stage"), meta["path"].split(">")
    if stage == "export":
        return "converter", steps[0].split("@")[0]
    if stage == "convert":
        return "converter", steps[-1]
    if stage in ("load", "run") and meta.get("runtime"):
        return "runtime", meta["runtime"]
    return None


def now_unsupported(meta: dict) -> bool:
    from fuzzer.plugin import load_plugin

    who = _raiser(meta)
    error = meta.get("error") or ""
    if who is None or not error or error.startswith("worker died"):
        return False
    kind, _, message = error.partition(": ")
    try:
        plugin = load_plugin(*who)
    except Exception:
        return False
    # the plugin sees the exception, not its "Type: message" rendering: ask with both
    exc = type(kind, (Exception,), {})(message) if kind.isidentifier() else RuntimeError(error)
    return bool(plugin.is_unsupported(exc) or plugin.is_unsupported(RuntimeError(error)))


def reblame(d: Path) -> dict:
    """What blame says about folder d today, next to what it said when it was filed."""
    from fuzzer.ir import Graph
    from fuzzer.minimize.reducer import Target
    from fuzzer.report.blame import blame
    from oracles import Kind, Stage, normalize_error

    case = json.loads((d / "case.json").read_text())
    meta = case["bug"]
    out = {"id": d.name, "was": [meta["system"], meta["role"]], "now": None, "reason": "",
           "unsupported_now": now_unsupported(meta)}
    if meta.get("withdrawn"):
        out["reason"] = "withdrawn"
        return out
    if "graph" not in case:
        return {**out, **_reblame_check_folder(d, meta)}
    kind = Kind(meta["kind"])
    target = Target(kind, Stage(meta["stage"]), meta["path"], meta.get("runtime") or "",
                    normalize_error(kind, meta["error"]), _plan(meta.get("dynamic")))
    seed = int((meta.get("found") or {}).get("seed") or 0)
    witnesses = meta.get("witnesses") or []
    exporters = sorted({p.split("@")[0] for p, _, _ in witnesses if ">" not in p})
    runtimes = sorted({r for _, r, _ in witnesses if r})
    inputs = (d / "inputs.npz").read_bytes() if (d / "inputs.npz").exists() else None
    from fuzzer.minimize.isolated import IsolatedEvaluator

    # on a supervised worker, whatever the folder's failure: a witness (tract, say) may abort
    # its process on this graph though the filed failure did not, as triage's witnesses run
    with IsolatedEvaluator() as evaluate:
        who = blame(Graph.from_json(_today(case["graph"])), target, seed, inputs, exporters, runtimes, evaluate=evaluate)
    out.update(now=[who.system, who.role], reason=who.reason)
    return out


def _plan(described: dict | None) -> dict | None:
    """The dynamic plan (DynamicPlan.to_json) a folder describes: {dims, base: "x1[2]=5", sizes: ["x1[2]=3"]}."""
    if not described:
        return None
    if isinstance(described.get("base"), dict):
        return described
    symbol = {f"{n}[{ax}]": sym for n, axes in described["dims"].items() for ax, sym in axes.items()}

    def sizes(text: str) -> dict:
        out = {}
        for part in text.split(","):
            where, _, n = part.strip().partition("=")
            out[symbol[where]] = int(n)
        return out

    return {"dims": described["dims"], "base": sizes(described["base"]), "sizes": [sizes(t) for t in described["sizes"]]}


def _today(graph: dict) -> dict:
    """graph with op names a spec has since been renamed from ("Mean" -> "onnx.Mean": direct-only
    specs took the "onnx." prefix where a torch op of the same name exists)."""
    from fuzzer.ops import get_spec

    for node in graph["nodes"]:
        op = node["op"]
        if op in ("input", "const", "constant"):
            continue
        try:
            get_spec(op)
        except KeyError:
            try:
                get_spec(f"onnx.{op}")
                node["op"] = f"onnx.{op}"
            except KeyError:
                pass
    return graph


def _reblame_check_folder(d: Path, meta: dict) -> dict:
    import onnx

    from oracles.evidence import function_body_fault

    if meta["kind"] != "invalid_model" or not (d / "model.onnx").exists():
        return {"now": None, "reason": "filed by `onnxfuzz check`: its witnesses are not kept, not asked again"}
    model = onnx.load(str(d / "model.onnx"))
    fault = function_body_fault(model, meta.get("error") or "")
    if fault is None:
        return {"now": [meta["system"], meta["role"]], "reason": "no function body at fault: as filed"}
    return {"now": ["onnx", "spec"], "reason": f"onnx (function body of {fault[0]}) at {fault[1]}"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fuzzer.report.reblame", description=__doc__.split("\n\n")[0])
    p.add_argument("ids", nargs="*", help="folders to ask about (default: all)")
    p.add_argument("--bugs-dir", type=Path, default=Path("bugs"))
    p.add_argument("--json", action="store_true", help="one JSON object per folder")
    args = p.parse_args(argv)
    dirs = [args.bugs_dir / i for i in args.ids] or sorted(c.parent for c in args.bugs_dir.glob("*/case.json"))
    changed = 0
    for d in dirs:
        try:
            r = reblame(d)
        except Exception as e:  # one folder's trouble must not stop the others
            r = {"id": d.name, "now": None, "reason": f"blame raised {type(e).__name__}: {e}"}
        moved = r.get("now") is not None and r["now"][0] != r["was"][0]
        changed += moved
        if args.json:
            print(json.dumps({**r, "changed": moved}), flush=True)
        else:
            mark = "CHANGED" if moved else "same" if r.get("now") else "not asked"
            now = "/".join(r["now"]) if r.get("now") else "-"
            extra = "  [error now unsupported]" if r.get("unsupported_now") else ""
            print(f"{r['id']:45s} {mark:9s} {'/'.join(r.get('was') or []):28s} -> {now:28s}{extra}\n    {r['reason'][:300]}", flush=True)
    print(f"{changed} of {len(dirs)} folders would blame another system", flush=True)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
