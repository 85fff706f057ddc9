"""Coverage overhead: what recording rule hits (fuzzer.coverage) costs a campaign, on vs off side by side.

    python benchmarks/coverage_overhead.py [--cases 20] [--rounds 3] [--converters torchscript,onnx-direct]
    python benchmarks/coverage_overhead.py --campaign 60 [--workers 1]

Default: fixed-seed cases run in one child process, each case twice back to
back, with ONNXFUZZ_COVERAGE on and off in alternating order (so a load change
on a shared machine falls on both sides of a pair alike); prints CPU and wall
milliseconds per case for each and the overhead. CPU time (the child's) is
the figure to trust on a busy machine: two campaigns side by side on a loaded
2-core machine get unequal shares of it (one measured run slowed even the
generator, which records nothing, by 38%). Every case is new to the samplers,
as in a campaign; a few warm-up cases first pay the once-per-process costs
(imports, inventories), which a campaign pays once per worker. A case whose
system under test kills the process (an abort in a runtime) is dropped with
both its runs, and a new child goes on after it.

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


def _pairs(args, first: int, queue) -> None:
    """In a child process: each case from index `first` on, run with the bookkeeping off and on
    back to back (alternating which goes first, so a load change falls on both sides alike);
    puts (index, side, cpu seconds, wall seconds) per run and ("done",) at the end."""
    from fuzzer.case import run_case

    warm = _specs(args, -1)[:10]
    for side in ("off", "on"):  # imports, inventories: once per process, as a campaign worker pays them
        os.environ["ONNXFUZZ_COVERAGE"] = "1" if side == "on" else "0"
        for spec in warm:
            run_case(spec)
    specs = [spec for rnd in range(args.rounds) for spec in _specs(args, rnd)]
    for k in range(first, len(specs)):
        queue.put((k, "start", 0.0, 0.0))
        for side in ("off", "on") if k % 2 == 0 else ("on", "off"):
            os.environ["ONNXFUZZ_COVERAGE"] = "1" if side == "on" else "0"
            t0, c0 = time.perf_counter(), time.process_time()
            run_case(specs[k])
            queue.put((k, side, time.process_time() - c0, time.perf_counter() - t0))
    queue.put(("done",))


def in_process(args) -> None:
    """Pairs of runs in a child process; a case that kills it (a runtime's abort) is dropped, with
    both its runs, and the child is started again after it."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    runs: dict[int, dict[str, tuple[float, float]]] = {}
    dropped, first = [], 0
    while True:
        queue = ctx.Queue()
        child = ctx.Process(target=_pairs, args=(args, first, queue))
        child.start()
        current, finished = None, False
        while True:
            try:
                msg = queue.get(timeout=5)
            except Exception:
                if not child.is_alive():
                    break
                continue
            if msg[0] == "done":
                finished = True
                break
            k, side, cpu, wall = msg
            if side == "start":
                current = k
            else:
                runs.setdefault(k, {})[side] = (cpu, wall)
        child.join()
        if finished:
            break
        if current is None:
            raise SystemExit("the benchmark's child process died before its first case")
        dropped.append(current)
        runs.pop(current, None)
        first = current + 1
    pairs = [r for _, r in sorted(runs.items()) if len(r) == 2]
    n = len(pairs)
    print(f"{n} cases, each run with coverage on and off back to back; converters {args.converters}, "
          f"transformers {args.transformers}, runtimes {args.runtimes}; "
          f"{len(dropped)} dropped (a system under test killed the process: cases {dropped})")
    for name, at in (("CPU", 0), ("wall", 1)):
        on, off = sum(p["on"][at] for p in pairs), sum(p["off"][at] for p in pairs)
        diffs = sorted(p["on"][at] - p["off"][at] for p in pairs)
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
