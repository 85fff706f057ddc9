"""Swarm configurations on vs off: distinct op paths and distinct failures per hour, side by side.

    python benchmarks/swarm.py [--minutes 3] [--rounds 1] [--workers 2] [--seed 0]
                               [--converters all] [--runtimes all] [--graphs 1000]

Two parts, both printed with swarm on and off next to each other:

1. Generation alone (no system under test): --graphs graphs per frontend from seeds
   0..N-1, with a path tracker kept across them as each campaign worker keeps one
   (and without one, for comparison). Prints distinct 2-op and 3-op paths, and
   how many pairs and triples were drawn in at least 5 graphs: swarm testing
   trades some breadth for patterns that recur with varied attributes.
2. Campaigns, alternated: each round runs one campaign with --swarm and one with
   --no-swarm (the order swaps every round, so a load change on the shared
   machine hits both alike), each --minutes long on a fresh workdir, with the
   plugins `onnxfuzz run` would use (default: every available one). Prints per
   campaign and per arm: cases, distinct 2-op and 3-op paths of the judged
   graphs (the workers' PathTrackers), and distinct failure signatures, each
   per hour of wall time, and the ratios on/off; and verdicts per case (the
   (path, runtime) pairs each case ran: a swarm's plugin subsets make a case
   cheaper, which is part of what it changes). Distinct counts grow slower
   than linearly, so compare arms of equal length, not hours of different runs.
"""
from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections import Counter
from pathlib import Path


def generation(graphs: int) -> None:
    from fuzzer.choices import NumpyChoices
    from fuzzer.generate import GenConfig, PathTracker, generate, paths
    from fuzzer.generate.swarm import for_seed

    print(f"== generation only: {graphs} graphs per frontend (seeds 0..{graphs - 1})")
    print(f"{'frontend':8s} {'tracker':7s} {'swarm':5s} {'2-op':>6s} {'3-op':>6s} {'2-op>=5':>8s} {'3-op>=5':>8s} {'graphs/s':>9s}")
    for frontend in ("torch", "onnx"):
        base = GenConfig(frontend=frontend)
        for tracked in (True, False):
            row = {}
            for swarm in (True, False):
                tracker = PathTracker() if tracked else None
                pairs, triples = Counter(), Counter()
                t0 = time.perf_counter()
                for seed in range(graphs):
                    config = for_seed(seed, base).config(base) if swarm else base
                    g = generate(NumpyChoices(seed), config, tracker)
                    pairs.update(paths(g, 2))
                    triples.update(paths(g, 3))
                rate = graphs / (time.perf_counter() - t0)
                row[swarm] = (len(pairs), len(triples), sum(n >= 5 for n in pairs.values()),
                              sum(n >= 5 for n in triples.values()))
                print(f"{frontend:8s} {'on' if tracked else 'off':7s} {'on' if swarm else 'off':5s} "
                      + " ".join(f"{x:>{w}d}" for x, w in zip(row[swarm], (6, 6, 8, 8))) + f" {rate:9.0f}")
            on, off = row[True], row[False]
            print(f"{'':8s} {'':7s} {'ratio':5s} " + " ".join(f"{a / b if b else float('nan'):>{w}.2f}"
                                                            for a, b, w in zip(on, off, (6, 6, 8, 8))))


def campaign(swarm: bool, seed: int, args, plugins) -> dict:
    from fuzzer.campaign.campaign import CampaignOptions, run_campaign

    exporters, transformers, runtimes = plugins
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        stats = run_campaign(CampaignOptions(
            workdir=workdir, minutes=args.minutes, seed=seed, workers=args.workers, exporters=exporters,
            transformers=transformers, runtimes=runtimes, quiet=True, swarm=swarm))
        conn = sqlite3.connect(workdir / "onnxfuzz.sqlite")
        sigs = {row[0] for row in conn.execute("SELECT signature FROM signatures")}
        verdicts = conn.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]
        conn.close()
    s = stats["session"]
    return {"swarm": swarm, "seed": seed, "seconds": s["seconds"], "cases": s["cases"], "paths_2op": s["paths_2op"],
            "paths_3op": s["paths_3op"], "signatures": sigs, "verdicts": verdicts, "swarms_drawn": s.get("swarms_drawn", 0)}


def plugins(args):
    from fuzzer.plugin import select

    chosen = select("converter", None if args.converters == "all" else args.converters.split(","))
    runtimes = [p.name for p in select("runtime", None if args.runtimes == "all" else args.runtimes.split(","))]
    return ([p.name for p in chosen if p.kind == "exporter"], [p.name for p in chosen if p.kind == "transformer"], runtimes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=3.0, help="length of each campaign (default 3)")
    ap.add_argument("--rounds", type=int, default=1, help="pairs of campaigns, on and off (default 1)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0, help="round r's campaigns are both seeded seed + r")
    ap.add_argument("--converters", default="all", help="comma-separated, or all available (default)")
    ap.add_argument("--runtimes", default="all", help="comma-separated, or all available (default)")
    ap.add_argument("--graphs", type=int, default=1000, help="graphs per frontend in part 1; 0 skips it")
    args = ap.parse_args()

    if args.graphs:
        generation(args.graphs)
    if args.rounds < 1:
        return
    chosen = plugins(args)
    print(f"\n== campaigns: {args.rounds} x (on, off), {args.minutes} min each, {args.workers} workers")
    print(f"exporters {','.join(chosen[0])}; transformers {','.join(chosen[1]) or '-'}; runtimes {','.join(chosen[2])}")
    print(f"{'swarm':5s} {'seed':>4s} {'seconds':>7s} {'cases':>6s} {'2-op/h':>8s} {'3-op/h':>8s} {'fail/h':>7s}"
          f" {'2-op':>6s} {'3-op':>6s} {'fails':>5s} {'verdicts/case':>13s}")
    runs = []
    for r in range(args.rounds):
        for swarm in ((True, False) if r % 2 == 0 else (False, True)):
            run = campaign(swarm, args.seed + r, args, chosen)
            runs.append(run)
            h = 3600 / run["seconds"]
            print(f"{'on' if swarm else 'off':5s} {run['seed']:4d} {run['seconds']:7.0f} {run['cases']:6d}"
                  f" {run['paths_2op'] * h:8.0f} {run['paths_3op'] * h:8.0f} {len(run['signatures']) * h:7.0f}"
                  f" {run['paths_2op']:6d} {run['paths_3op']:6d} {len(run['signatures']):5d}"
                  f" {run['verdicts'] / max(run['cases'], 1):13.1f}", flush=True)

    def per_hour(arm: list[dict], key) -> float:
        return sum(key(r) for r in arm) * 3600 / sum(r["seconds"] for r in arm)

    arms = {s: [r for r in runs if r["swarm"] is s] for s in (True, False)}
    keys = {"cases": lambda r: r["cases"], "2-op paths": lambda r: r["paths_2op"],
            "3-op paths": lambda r: r["paths_3op"], "failure signatures": lambda r: len(r["signatures"])}
    print("\nper hour (summed over the rounds; distinct counts are per campaign)")
    for name, key in keys.items():
        on, off = per_hour(arms[True], key), per_hour(arms[False], key)
        print(f"  {name:20s} on {on:9.0f}   off {off:9.0f}   on/off {on / off if off else float('nan'):.2f}")
    union = {s: set().union(*(r["signatures"] for r in arm)) for s, arm in arms.items()}
    print(f"distinct failure signatures over all rounds: on {len(union[True])}, off {len(union[False])}, "
          f"only on {len(union[True] - union[False])}, only off {len(union[False] - union[True])}, "
          f"both {len(union[True] & union[False])}")


if __name__ == "__main__":
    main()
