"""Print a campaign's totals."""
from __future__ import annotations

from pathlib import Path

from fuzzer.cli.base import Command, emit_json


class Stats(Command):
    """Counts for a campaign workdir: tests, tests/s, verdicts by kind, distinct signatures, op coverage,
    and how many judged cases had dynamic dims or control-flow ops."""

    name = "stats"

    def add_arguments(self, p):
        p.add_argument("--workdir", type=Path, default=Path("onnxfuzz-work"), help="campaign directory (default ./onnxfuzz-work)")
        p.add_argument("--json", action="store_true", help="machine-readable output")

    def run(self, args) -> int:
        from fuzzer.store import Store

        store = Store.open(args.workdir, create=False)
        try:
            stats = store.stats()
            stats["signatures"] = [
                {k: s[k] for k in ("signature", "kind", "stage", "path", "runtime", "hits", "first_case")} | {"error": s["error"][:200]}
                for s in store.signatures()
            ]
        finally:
            store.close()
        if args.json:
            emit_json(stats)
        else:
            print_summary(stats, args.workdir)
        return 0


def print_summary(stats: dict, workdir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]{stats['tests']}[/] tests ({stats['judged']} judged) in {stats['wall_seconds']:.0f} s: "
        f"[bold]{stats['tests_per_second']:.1f}[/] tests/s; {stats['op_types']} op types; "
        f"{stats['sut_share'] * 100:.0f}% of case time inside systems under test"
    )
    table = Table(title="verdicts")
    table.add_column("kind")
    table.add_column("count", justify="right")
    table.add_column("distinct signatures", justify="right")
    for kind, n in sorted(stats["verdicts"].items(), key=lambda kv: -kv[1]):
        table.add_row(kind, str(n), str(stats["signatures_by_kind"].get(kind, "")))
    console.print(table)
    plugins = Table(title="per plugin")
    plugins.add_column("plugin")
    plugins.add_column("verdicts", justify="right")
    plugins.add_column("pass", justify="right")
    plugins.add_column("failures", justify="right")
    plugins.add_column("unsupported", justify="right")
    for name, kinds in stats["per_plugin"].items():
        total = sum(kinds.values())
        fail = sum(n for k, n in kinds.items() if k not in ("pass", "unsupported", "unstable"))
        plugins.add_row(name, str(total), str(kinds.get("pass", 0)), str(fail), str(kinds.get("unsupported", 0)))
    console.print(plugins)
    with_ = stats.get("cases_with", {})
    console.print(
        f"judged cases with dynamic dims: {with_.get('dynamic', 0)}, with control-flow ops: {with_.get('control_flow', 0)}; "
        f"verdicts judged at more than one size: {stats.get('verdicts_at_several_sizes', 0)}"
    )
    console.print(f"{stats['distinct_signatures']} distinct failure signatures; details: onnxfuzz stats --workdir {workdir} --json")
