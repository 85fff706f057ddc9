"""List every plugin, its version, whether it can run here, and what its probe found."""
from __future__ import annotations

import sys

from fuzzer.cli.base import Command, emit_json


class Doctor(Command):
    """Every converter and runtime plugin: kind, installed versions, available or why not.

    For runtimes and transformers, also how many (ONNX op, dtype) pairs their
    capability probe found supported, when a probe result is cached for the
    installed versions. --probe runs the missing probes first (ONNX's node
    tests through each plugin, in worker processes; up to a minute each).
    """

    name = "doctor"

    def add_arguments(self, p):
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument("--probe", action="store_true", help="probe the capabilities of every available plugin not probed yet")

    def run(self, args) -> int:
        from fuzzer.errors import PluginUnavailable
        from fuzzer.plugin import load_plugin, plugin_names

        rows = []
        for role in ("converter", "runtime"):
            for name in plugin_names(role):
                try:
                    p = load_plugin(role, name)
                except PluginUnavailable as e:
                    rows.append({"name": name, "role": role, "kind": "?", "versions": {}, "available": False, "why": str(e), "probe": None})
                    continue
                why = p.unavailable()
                row = {"name": name, "role": role, "kind": p.kind, "versions": p.versions(), "available": why is None, "why": why}
                row["probe"] = _probe(p, compute=args.probe, verbose=not args.json) if why is None else None
                rows.append(row)
        rows.append({
            "name": "torch-eager", "role": "reference", "kind": "runtime",
            "versions": {"torch": _version("torch")}, "available": _version("torch") != "missing",
            "why": None, "probe": None, "note": "float64 ground truth and float32 stability check for every case",
        })
        if args.json:
            emit_json(rows)
            return 0
        from rich.console import Console
        from rich.table import Table

        t = Table(title="onnxfuzz plugins")
        for col in ("name", "role", "kind", "versions", "status", "probe ok/gap"):
            t.add_column(col)
        for r in rows:
            status = "[green]available" if r["available"] else f"[red]unavailable: {r['why']}"
            t.add_row(r["name"], r["role"], r["kind"], ", ".join(f"{k} {v}" for k, v in r["versions"].items()), status, _probe_cell(r))
        Console().print(t)
        if any(r["probe"] and not r["probe"]["cached"] and r["kind"] in ("runtime", "transformer") for r in rows):
            print("run `onnxfuzz doctor --probe` to probe the plugins not probed yet")
        print("probe ok/gap: (ONNX op, input dtype) pairs found supported / found unsupported (a documented gap)")
        return 0


def _probe(plugin, compute: bool, verbose: bool) -> dict:
    """The plugin's cached probe summary, probing first if asked. Without a probe for the
    installed versions and op specs: {"cached": False, "why": ...}, with the newest older probe's
    summary as "stale" when there is one; for a plugin the probe cannot run: why not."""
    from fuzzer.probe import cached, capabilities, probeable, stale

    if not probeable(plugin):
        return {"cached": False, "why": f"{plugin.kind}s take a framework model, not ONNX: "
                                         "the probe's ONNX cases cannot run through it"}
    caps = cached(plugin)
    if caps is None and compute:
        if verbose:
            print(f"probing {plugin.name} ...", file=sys.stderr, flush=True)
        caps = capabilities(plugin)
    if caps is not None:
        return {"cached": True, **caps.summary()}
    out = {"cached": False, "why": "no probe for these versions and op specs: run `onnxfuzz doctor --probe`"}
    old = stale(plugin)
    if old is not None:
        out["stale"] = old.summary()
    return out


def _probe_cell(row) -> str:
    probe = row.get("probe")
    if probe is None or not probe.get("cached") and row["kind"] not in ("runtime", "transformer"):
        return "-"
    if not probe.get("cached"):
        if "stale" in probe:
            return f"stale: {probe['stale']['supported_pairs']}/{probe['stale']['unsupported_pairs']}"
        return "not probed"
    text = f"{probe['supported_pairs']}/{probe['unsupported_pairs']}"
    return text + " (partial)" if probe.get("partial") else text


def _version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "missing"
