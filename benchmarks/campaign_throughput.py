"""Campaign throughput: a fixed-seed campaign for a fixed time, then the figures.

    python benchmarks/campaign_throughput.py [--seconds 60] [--workers 2] [--seed 0]

Prints test cases per second, and where the time went: inside the systems
under test (export, checker, session creation, runs), inside onnxfuzz's own
per-case work (generation, ground truth, judging), and outside any case
(worker start-up, scheduling, IPC, recording).
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path

from fuzzer.campaign.campaign import CampaignOptions, run_campaign


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--converters", default="torchscript,dynamo")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        stats = run_campaign(CampaignOptions(
            workdir=workdir, minutes=args.seconds / 60, seed=args.seed, workers=args.workers,
            exporters=args.converters.split(","), quiet=True,
        ))
        conn = sqlite3.connect(workdir / "onnxfuzz.sqlite")
        steps: Counter = Counter()
        for (timings,) in conn.execute("SELECT timings FROM cases"):
            steps.update(json.loads(timings))
        per_exporter = Counter()
        for (exporters,) in conn.execute("SELECT exporters FROM cases"):
            per_exporter.update(json.loads(exporters))

    wall = stats["session"]["seconds"]
    worker_seconds = wall * args.workers
    sut = stats["sut_seconds"]
    in_case = stats["case_seconds"]
    ours = in_case - sut
    outside = max(worker_seconds - in_case, 0.0)
    print(f"campaign: seed {args.seed}, {args.workers} workers, {wall:.1f} s wall, converters {args.converters}")
    print(f"test cases: {stats['tests']} ({stats['judged']} judged) -> {stats['tests'] / wall:.1f} cases/s")
    print(f"cases per exporter: {dict(per_exporter)}")
    print(f"worker time {worker_seconds:.1f} s:")
    print(f"  inside systems under test  {sut:7.1f} s  {100 * sut / worker_seconds:5.1f}%")
    print(f"  onnxfuzz per-case work     {ours:7.1f} s  {100 * ours / worker_seconds:5.1f}%")
    print(f"  outside cases (start-up, scheduling, IPC) {outside:7.1f} s  {100 * outside / worker_seconds:5.1f}%")
    print("per step (s, summed over cases):")
    for key, seconds in sorted(steps.items(), key=lambda kv: -kv[1]):
        print(f"  {key:28s} {seconds:8.2f}")
    print(f"verdicts: {stats['verdicts']}")
    print(f"distinct signatures: {stats['distinct_signatures']}; op types: {stats['op_types']}")


if __name__ == "__main__":
    main()
