"""List every plugin, its version and whether it can run here."""
from __future__ import annotations

from fuzzer.cli.base import Command, emit_json


class Doctor(Command):
    """Every converter and runtime plugin: kind, installed versions, available or why not."""

    name = "doctor"

    def add_arguments(self, p):
        p.add_argument("--json", action="store_true", help="machine-readable output")

    def run(self, args) -> int:
        from fuzzer.errors import PluginUnavailable
        from fuzzer.plugin import load_plugin, plugin_names

        rows = []
        for role in ("converter", "runtime"):
            for name in plugin_names(role):
                try:
                    p = load_plugin(role, name)
                except PluginUnavailable as e:
                    rows.append({"name": name, "role": role, "kind": "?", "versions": {}, "available": False, "why": str(e)})
                    continue
                why = p.unavailable()
                rows.append({"name": name, "role": role, "kind": p.kind, "versions": p.versions(), "available": why is None, "why": why})
        rows.append({
            "name": "torch-eager", "role": "reference", "kind": "runtime",
            "versions": {"torch": _version("torch")}, "available": _version("torch") != "missing",
            "why": None, "note": "float64 ground truth and float32 stability check for every case",
        })
        if args.json:
            emit_json(rows)
            return 0
        from rich.console import Console
        from rich.table import Table

        t = Table(title="onnxfuzz plugins")
        for col in ("name", "role", "kind", "versions", "status"):
            t.add_column(col)
        for r in rows:
            status = "[green]available" if r["available"] else f"[red]unavailable: {r['why']}"
            t.add_row(r["name"], r["role"], r["kind"], ", ".join(f"{k} {v}" for k, v in r["versions"].items()), status)
        Console().print(t)
        return 0


def _version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "missing"
