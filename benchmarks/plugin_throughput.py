"""Per-plugin throughput of a finished campaign, read from its workdir.

    python benchmarks/plugin_throughput.py WORKDIR [--json]

For every plugin: how many cases went through it, the seconds spent inside it
(summed over workers, from each case's timings: export:<exporter>,
convert:<transformer>, load:/run:<runtime>), and so its throughput in cases
per second of its own time, plus its share of all time spent inside systems
under test. Verdict counts per plugin are in `onnxfuzz stats --json`.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
from collections import defaultdict
from pathlib import Path


def plugin_figures(workdir: Path) -> dict[str, dict]:
    conn = sqlite3.connect(f"file:{workdir / 'onnxfuzz.sqlite'}?mode=ro", uri=True)
    seconds: dict[str, float] = defaultdict(float)
    cases: dict[str, int] = defaultdict(int)
    for (timings,) in conn.execute("SELECT timings FROM cases"):
        seen = set()
        for key, dt in json.loads(timings).items():
            stage, _, name = key.partition(":")
            if not name or stage not in ("export", "convert", "load", "run"):
                continue
            seconds[name] += dt
            seen.add(name)
        for name in seen:
            cases[name] += 1
    total = sum(seconds.values()) or 1.0
    return {
        name: {
            "cases": cases[name],
            "seconds": round(seconds[name], 2),
            "cases_per_second": round(cases[name] / seconds[name], 1) if seconds[name] else None,
            "share": round(seconds[name] / total, 3),
        }
        for name in sorted(seconds)
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workdir", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    figures = plugin_figures(args.workdir)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{'plugin':24} {'cases':>7} {'seconds':>9} {'cases/s':>8} {'share':>6}")
    for name, f in figures.items():
        print(f"{name:24} {f['cases']:7d} {f['seconds']:9.1f} {f['cases_per_second'] or 0:8.1f} {f['share']:6.1%}")


if __name__ == "__main__":
    main()
