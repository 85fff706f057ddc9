"""Print a campaign's totals."""
from __future__ import annotations

from pathlib import Path

from fuzzer.cli.base import Command, emit_json


class Stats(Command):
    """Counts for a campaign workdir: tests, tests/s, verdicts by kind, distinct signatures, op coverage, bugs filed
    (with the time from a failure's first hit to its folder, filing throughput, and how many failures were held as
    likely repeats of a filed bug), how many judged cases had
    dynamic dims or control-flow ops, and the defects of onnxfuzz itself (its direct ONNX builder, a lowering,
    the ground truth) that bug filing met and did not file."""

    name = "stats"

    def add_arguments(self, p):
        p.add_argument("--workdir", type=Path, default=Path("onnxfuzz-work"), help="campaign directory (default ./onnxfuzz-work)")
        p.add_argument("--json", action="store_true", help="machine-readable output")

    def run(self, args) -> int:
        from fuzzer.store import Store

        store = Store.open(args.workdir, create=False)
        try:
            stats = store.stats()
            stats["verdicts_with"] = verdicts_with(store)
            # onnxfuzz's own defects triage met: never filed as bugs of a system under test
            stats["own_defects"] = [d | {"error": d["error"][:300]} for d in store.own_defects()]
            stats["rule_coverage"] = store.coverage_totals()  # details: onnxfuzz coverage
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


def verdicts_with(store) -> dict:
    """What the judged cases with dynamic dims, with control-flow ops, and with both got: their
    verdicts by kind, and how many of those cases had a model judged at more than one size.
    cases_with counts cases; this shows they were judged, not only generated."""
    import json

    from fuzzer.ops import get_spec

    def control_flow(op: str) -> bool:
        try:
            return bool(get_spec(op).control_flow)
        except KeyError:  # an op of an older onnxfuzz
            return False

    flow: dict[str, bool] = {}
    groups: dict[int, list[str]] = {}
    for case_id, ops, dynamic in store.conn.execute(
            "SELECT id, ops, dynamic FROM cases WHERE status IN ('judged', 'unstable')"):
        cf = any(flow.setdefault(op, control_flow(op)) for op in json.loads(ops))
        names = (["dynamic"] if dynamic is not None else []) + (["control_flow"] if cf else [])
        if len(names) == 2:
            names.append("dynamic_and_control_flow")
        if names:
            groups[case_id] = names
    out = {g: {"cases": 0, "verdicts": {}, "cases_at_several_sizes": 0}
           for g in ("dynamic", "control_flow", "dynamic_and_control_flow")}
    several: set[int] = set()
    for case_id, kind, vstats in store.conn.execute("SELECT case_id, kind, stats FROM verdicts"):
        names = groups.get(case_id)
        if not names:
            continue
        if '"size' in vstats:
            st = json.loads(vstats)
            if st.get("sizes", 0) > 1 or "size" in st:
                several.add(case_id)
        for g in names:
            out[g]["verdicts"][kind] = out[g]["verdicts"].get(kind, 0) + 1
    for case_id, names in groups.items():
        for g in names:
            out[g]["cases"] += 1
            out[g]["cases_at_several_sizes"] += case_id in several
    return out


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
    for group, got in stats.get("verdicts_with", {}).items():
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(got["verdicts"].items(), key=lambda kv: -kv[1]))
        console.print(f"  {group.replace('_', ' ')}: {got['cases']} cases, {got['cases_at_several_sizes']} judged at "
                      f"several sizes; verdicts: {kinds or 'none'}")
    covered = stats.get("rule_coverage", {})
    if covered:
        console.print("rules covered: " + ", ".join(f"{s} {c['covered']}/{c['total']}" for s, c in covered.items()), markup=False,
                      soft_wrap=True)
    console.print(f"{stats['distinct_signatures']} distinct failure signatures; details: onnxfuzz stats --workdir {workdir} --json")
    filing = stats.get("filing") or {}
    if filing.get("folders") or filing.get("signatures_triaged"):
        console.print(filing_line(filing), markup=False)
    own = stats.get("own_defects", [])
    if own:
        console.print(f"{len(own)} defects of onnxfuzz itself met by triage (recorded, not filed as bugs):")
        for d in own:
            first = d["error"].strip().splitlines()[0][:120] if d["error"].strip() else ""
            console.print(f"  {d['kind']} at {d['stage']} on {d['path']}{' / ' + d['runtime'] if d['runtime'] else ''}, "
                          f"{d['hits']} hits, case {d['first_case']}: {d['what']}: {first}", markup=False)
    for f in stats.get("triage_failed", []):
        console.print(f"triage of {f['signature']} failed, skipped: {f['why']}", markup=False)


def filing_line(filing: dict) -> str:
    """One line on the bugs filed from the campaign (Store.filing_stats)."""
    text = (f"{filing['folders']} bug folders filed ({filing['new_folders']} new, {filing['folders_during_campaign']} "
            f"while the campaign ran) from {filing['signatures_triaged']} signatures triaged")
    if filing.get("held_as_likely_repeats"):
        text += f"; {filing['held_as_likely_repeats']} held as likely repeats of a filed bug (likely-repeats.json)"
    delay = filing.get("first_hit_to_filed_seconds")
    if delay:
        text += f"; first hit to filed folder: median {delay['median']:.0f} s (min {delay['min']:.0f}, max {delay['max']:.0f})"
    if "folders_per_minute" in filing:
        text += f"; {filing['folders_per_minute']:.2f} folders/min, {filing['signatures_per_minute']:.2f} signatures/min of filing"
    return text
