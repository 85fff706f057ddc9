"""Coverage overhead: what recording rule hits (fuzzer.coverage) costs a campaign, on vs off side by side.

    python benchmarks/coverage_overhead.py [--cases 20] [--rounds 3] [--converters torchscript,onnx-direct]
    python benchmarks/coverage_overhead.py --campaign 60 [--workers 1]

Default: fixed-seed cases run in this one process, each case twice back to
back, with ONNXFUZZ_COVERAGE on and off in alternating order (so a load change
on a shared machine falls on both sides of a pair alike); prints CPU and wall
milliseconds per case for each and the overhead. CPU time (this process's) is
the figure to trust on a busy machine. Every case is new to the samplers, as in
a campaign; a few warm-up cases first pay the once-per-process costs (imports,
inventories), which a campaign pays once per worker.

--campaign SECONDS: two short campaigns at the same time, one with the
bookkeeping off and one with it on (side by side, so both see the same load),
and their cases/s.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path


def _specs(args, rnd: int = 0):
    from fuzzer.case import CaseSpec
    from fuzzer.generate import GenConfig
    from fuzzer.store import case_seed

    config = GenConfig(max_nodes=args.max_nodes)
    # every round draws new cases, as a campaign does: the samplers keep meeting new models
    return [CaseSpec(case_id=i, seed=case_seed(args.seed + rnd, i), config=config, exporters=[e],
                     runtimes=args.runtimes.split(","), transformers=args.transformers.split(","))
            for i in range(args.cases) for e in [args.converters.split(",")[i % len(args.converters.split(","))]]]


def in_process(args) -> None:
    from fuzzer.case import run_case

    warm = _specs(args, -1)[:10]
    for side in ("off", "on"):  # imports, inventories: once per process, not per case
        os.environ["ONNXFUZZ_COVERAGE"] = "1" if side == "on" else "0"
        for spec in warm:
            run_case(spec)
    cpu = {"off": [], "on": []}
    wall = {"off": [], "on": []}
    for rnd in range(args.rounds):
        for k, spec in enumerate(_specs(args, rnd)):
            # each case back to back with the bookkeeping on and off, in alternating order, so
            # that a change of load on a shared machine falls on both sides of a pair alike
            for side in ("off", "on") if (rnd + k) % 2 == 0 else ("on", "off"):
                os.environ["ONNXFUZZ_COVERAGE"] = "1" if side == "on" else "0"
                t0, c0 = time.perf_counter(), time.process_time()
                run_case(spec)
                wall[side].append(time.perf_counter() - t0)
                cpu[side].append(time.process_time() - c0)
    n = len(cpu["on"])
    print(f"{n} cases, each run with coverage on and off back to back; converters {args.converters}, "
          f"transformers {args.transformers}, runtimes {args.runtimes}")
    for name, figures in (("CPU", cpu), ("wall", wall)):
        on, off = sum(figures["on"]), sum(figures["off"])
        diffs = sorted(a - b for a, b in zip(figures["on"], figures["off"]))
        print(f"{name:4s}: off {1000 * off / n:6.1f} ms/case, on {1000 * on / n:6.1f} ms/case -> overhead {100 * (on - off) / off:+.1f}%"
              f" (median difference per case {1000 * statistics.median(diffs):+.2f} ms = {100 * statistics.median(diffs) * n / off:+.1f}%;"
              f" extremes {', '.join(f'{1000 * d:+.0f}' for d in diffs[:3] + diffs[-3:])} ms)")


def one_campaign(args) -> None:
    """One campaign with the bookkeeping as the environment says; prints its cases and seconds."""
    from fuzzer.campaign.campaign import CampaignOptions, run_campaign

    with tempfile.TemporaryDirectory() as tmp:
        stats = run_campaign(CampaignOptions(
            workdir=Path(tmp), minutes=args.one_campaign / 60, seed=args.seed, workers=args.workers,
            exporters=args.converters.split(","), transformers=args.transformers.split(","),
            runtimes=args.runtimes.split(","), quiet=True))
        steps: dict[str, float] = {}
        conn = sqlite3.connect(Path(tmp) / "onnxfuzz.sqlite")
        for (timings,) in conn.execute("SELECT timings FROM cases"):
            for key, seconds in json.loads(timings).items():
                steps[key] = steps.get(key, 0.0) + seconds
        conn.close()
    print(json.dumps({k: round(v, 2) for k, v in sorted(steps.items(), key=lambda kv: -kv[1])}))
    print(stats["session"]["cases"], stats["session"]["seconds"], stats["case_seconds"])


def campaigns(args) -> None:
    import subprocess
    import sys

    procs = {}
    for side in ("off", "on"):
        env = {**os.environ, "ONNXFUZZ_COVERAGE": "1" if side == "on" else "0"}
        argv = [sys.executable, __file__, "--one-campaign", str(args.campaign), "--workers", str(args.workers),
                "--seed", str(args.seed), "--converters", args.converters, "--transformers", args.transformers,
                "--runtimes", args.runtimes]
        procs[side] = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    rates = {}
    for side, proc in procs.items():
        out = proc.communicate()[0].strip().splitlines()
        cases, seconds, case_seconds = out[-1].split()
        if args.steps:
            print(f"coverage {side}, seconds per step summed over cases: {out[-2]}")
        rates[side] = int(cases) / float(seconds)
        print(f"coverage {side}: {cases} cases in {float(seconds):.0f} s -> {rates[side]:.2f} cases/s "
              f"({1000 * float(case_seconds) / int(cases):.0f} ms of case time each)")
    print(f"throughput with coverage on: {100 * rates['on'] / rates['off']:.1f}% of off (both ran at the same time)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-nodes", type=int, default=10)
    ap.add_argument("--converters", default="torchscript,onnx-direct")
    ap.add_argument("--transformers", default="onnxoptimizer,version-up,ort-offline-extended")
    ap.add_argument("--runtimes", default="onnxruntime,onnxruntime-noopt,onnx-reference")
    ap.add_argument("--campaign", type=float, default=None, metavar="SECONDS")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--steps", action="store_true", help="with --campaign: print each side's seconds per step")
    ap.add_argument("--one-campaign", type=float, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one_campaign:
        one_campaign(args)
    elif args.campaign:
        campaigns(args)
    else:
        in_process(args)


if __name__ == "__main__":
    main()
