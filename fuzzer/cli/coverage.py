"""`onnxfuzz coverage`: which rules of each system under test a campaign hit (fuzzer.coverage)."""
from __future__ import annotations

from pathlib import Path

from fuzzer.cli.base import Command, emit_json


class Coverage(Command):
    """Per system under test: the rules a campaign covered out of its registry's total, the uncovered ones,
    and the first case that hit each rule.

    Systems are rule registries read from each tool at its installed version: the TorchScript
    exporter's symbolic functions, the dynamo exporter's aten overloads and torchlib functions,
    onnxscript's rewrite rules, ONNX Runtime's graph transformers at each optimization level,
    its dynamic quantizer's op quantizers, onnxoptimizer's passes, the version converter's
    adapters, and the (op, dtype, opset) triples each runtime ran.
    ONNXFUZZ_COVERAGE=0 turns the bookkeeping off for a campaign."""

    name = "coverage"

    def add_arguments(self, p):
        p.add_argument("--workdir", type=Path, default=Path("onnxfuzz-work"), help="campaign directory (default ./onnxfuzz-work)")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument("--system", default=None, help="show only the systems whose name contains this text")
        p.add_argument("--export-corpus", type=Path, default=None, metavar="DIR",
                       help="write the workdir's corpus cases that together cover the most rules to DIR "
                            "(one JSON file each: the regression set the repository's corpus/ holds)")
        p.add_argument("--limit", type=int, default=40, help="--export-corpus: at most this many cases (default 40)")

    def run(self, args) -> int:
        from fuzzer.errors import UsageError
        from fuzzer.store import Store

        store = Store.open_read_only(args.workdir)
        try:
            report = store.rule_coverage()
            if args.export_corpus is not None:
                from fuzzer.campaign.corpus import export_corpus

                if args.limit < 1:
                    raise UsageError(f"--limit must be at least 1, got {args.limit}")
                written = export_corpus(store, args.export_corpus, args.limit)
                print(f"{len(written)} corpus cases written to {args.export_corpus}")
                return 0
        finally:
            store.close()
        if args.system:
            report = {s: c for s, c in report.items() if args.system in s}
        if args.json:
            emit_json(report)
        else:
            print_coverage(report, args.workdir)
        return 0


def print_coverage(report: dict, workdir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not report:
        console.print(f"no rule coverage recorded in {workdir} (a campaign of an older onnxfuzz, or one run with ONNXFUZZ_COVERAGE=0)")
        return
    table = Table(title="rules covered per system under test")
    for col, justify in (("system", "left"), ("version", "left"), ("covered", "right"), ("total", "right"),
                         ("share", "right"), ("outside", "right")):
        table.add_column(col, justify=justify, no_wrap=col in ("system", "version"))  # what one greps for
    for system, c in report.items():
        share = f"{100 * c['covered'] / c['total']:.1f}%" if c["total"] else "-"
        table.add_row(system, c["version"] or "?", str(c["covered"]), str(c["total"]), share, str(len(c["outside_inventory"])))
    console.print(table)
    console.print("version: of the registry the total comes from; outside: rules hit that the registry does not list")
    for system, c in report.items():
        console.print(f"\n[bold]{system}[/]: {c['covered']} / {c['total']} covered")
        firsts = ", ".join(f"{rule} (case {h['first_case']})" for rule, h in c["hits"].items())
        console.print(f"  first case per rule: {firsts or 'none'}", markup=False, soft_wrap=True)
        console.print(f"  uncovered ({len(c['uncovered'])}): {', '.join(c['uncovered']) or 'none'}", markup=False, soft_wrap=True)
        if c["outside_inventory"]:
            console.print(f"  hit but not in the registry: {', '.join(c['outside_inventory'])}", markup=False, soft_wrap=True)
