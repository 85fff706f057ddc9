"""Coverage overhead: what recording rule hits (fuzzer.coverage) costs a campaign, on vs off side by side.

    python benchmarks/coverage_overhead.py [--cases 20] [--rounds 3] [--converters torchscript,onnx-direct]
    python benchmarks/coverage_overhead.py --campaign 60 [--workers 1]

Default: the same fixed-seed cases run in this one process, alternately with
ONNXFUZZ_COVERAGE on and off, round after round (so a load change on a shared
machine hits both sides alike); prints seconds per case for each and the
overhead. The first round of each side is a warm-up (imports, inventories,
first captures) and is left out.

--campaign SECONDS: two short campaigns instead, one with the bookkeeping off
then one with it on, and their cases/s (noisier: each side sees other load).
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def _specs(args):
    from fuzzer.case import CaseSpec
    from fuzzer.generate import GenConfig
    from fuzzer.store import case_seed

    config = GenConfig(max_nodes=args.max_nodes)
    return [CaseSpec(case_id=i, seed=case_seed(args.seed, i), config=config, exporters=[e],
                     runtimes=args.runtimes.split(","), transformers=args.transformers.split(","))
            for i in range(args.cases) for e in [args.converters.split(",")[i % len(args.converters.split(","))]]]


def in_process(args) -> None:
    from fuzzer.case import run_case

    specs = _specs(args)
    seconds = {"off": [], "on": []}
    for rnd in range(args.rounds + 1):
        for side in ("off", "on") if rnd % 2 == 0 else ("on", "off"):
            os.environ["ONNXFUZZ_COVERAGE"] = "1" if side == "on" else "0"
            t0 = time.perf_counter()
            for spec in specs:
                run_case(spec)
            if rnd > 0:
                seconds[side].append((time.perf_counter() - t0) / len(specs))
    on, off = statistics.median(seconds["on"]), statistics.median(seconds["off"])
    print(f"{len(specs)} cases x {args.rounds} rounds per side (after a warm-up round); converters {args.converters}, "
          f"transformers {args.transformers}, runtimes {args.runtimes}")
    print(f"coverage off: {off * 1000:7.1f} ms/case (rounds: {', '.join(f'{s * 1000:.0f}' for s in seconds['off'])})")
    print(f"coverage on:  {on * 1000:7.1f} ms/case (rounds: {', '.join(f'{s * 1000:.0f}' for s in seconds['on'])})")
    print(f"overhead: {100 * (on - off) / off:+.1f}% of case time")


def campaigns(args) -> None:
    from fuzzer.campaign.campaign import CampaignOptions, run_campaign

    rates = {}
    for side in ("off", "on"):
        os.environ["ONNXFUZZ_COVERAGE"] = "1" if side == "on" else "0"
        with tempfile.TemporaryDirectory() as tmp:
            stats = run_campaign(CampaignOptions(
                workdir=Path(tmp), minutes=args.campaign / 60, seed=args.seed, workers=args.workers,
                exporters=args.converters.split(","), transformers=args.transformers.split(","),
                runtimes=args.runtimes.split(","), quiet=True))
        rates[side] = stats["session"]["cases"] / stats["session"]["seconds"]
        print(f"coverage {side}: {stats['session']['cases']} cases in {stats['session']['seconds']:.0f} s -> {rates[side]:.2f} cases/s")
    print(f"throughput with coverage on: {100 * rates['on'] / rates['off']:.1f}% of off")


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
    args = ap.parse_args()
    if args.campaign:
        campaigns(args)
    else:
        in_process(args)


if __name__ == "__main__":
    main()
