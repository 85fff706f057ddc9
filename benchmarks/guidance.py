"""Coverage guidance, side by side: rules covered over time by a default campaign with guidance on and off.

    python benchmarks/guidance.py [--minutes 5] [--workers 1] [--seed 0] [--keep DIR]

Two default campaigns (every available plugin, swarms on) with the same seed run at
the same time, each in its own process with --workers worker processes: one guided
(fuzzer.campaign.guidance: corpus mutation, ops linked to uncovered rules favoured),
one not (ONNXFUZZ_GUIDED=0). Side by side, both see the same load. Prints, per
rule system, the rules covered out of its inventory at a quarter, half, three
quarters and the end of the run, guided and unguided, and the total over all
systems; then the corpus each kept and the cases each ran.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sqlite3
import tempfile
from pathlib import Path

MARKS = (0.25, 0.5, 0.75, 1.0)


def one_run(guided: bool, minutes: float, workers: int, seed: int, queue, keep: str | None = None) -> None:
    os.environ["ONNXFUZZ_GUIDED"] = "1" if guided else "0"  # read by CampaignOptions, inherited by workers
    from fuzzer.campaign.campaign import CampaignOptions, run_campaign
    from fuzzer.plugin import select
    from fuzzer.store import Store

    chosen = select("converter", None)
    exporters = [p.name for p in chosen if p.kind == "exporter"]
    transformers = [p.name for p in chosen if p.kind == "transformer"]
    runtimes = [p.name for p in select("runtime", None)]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(keep) / ("guided" if guided else "unguided") if keep else Path(tmp)
        stats = run_campaign(CampaignOptions(workdir=workdir, minutes=minutes, seed=seed, workers=workers,
                                             exporters=exporters, transformers=transformers, runtimes=runtimes,
                                             quiet=True))
        conn = sqlite3.connect(workdir / "onnxfuzz.sqlite")
        started = conn.execute("SELECT MIN(started) FROM sessions").fetchone()[0]
        store = Store.open_read_only(workdir)
        coverage = store.rule_coverage()
        firsts = {(s, r): t for s, r, t in conn.execute("SELECT system, rule, first_seen FROM rule_hits")}
        corpus = len(store.corpus())
        store.close()
        conn.close()
    span = minutes * 60
    over_time = {}
    for system, c in coverage.items():
        known = set(c["hits"])
        over_time[system] = {"total": c["total"], "covered": [
            sum(1 for r in known if firsts.get((system, r), 0) - started <= m * span) for m in MARKS]}
    queue.put((guided, {"coverage": over_time, "corpus": corpus, "cases": stats["session"]["cases"],
                        "guidance": stats["session"].get("guidance")}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", default=None, metavar="DIR",
                    help="keep the two workdirs as DIR/guided and DIR/unguided (to export a corpus from)")
    args = ap.parse_args()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    sides = [ctx.Process(target=one_run, args=(g, args.minutes, args.workers, args.seed, queue, args.keep)) for g in (True, False)]
    for p in sides:
        p.start()
    runs = dict(queue.get() for _ in sides)
    for p in sides:
        p.join()
    on, off = runs[True], runs[False]
    marks = "  ".join(f"{int(m * 100):>3d}%" for m in MARKS)
    print(f"{args.minutes:g} min per campaign, {args.workers} worker(s) each, seed {args.seed}, side by side")
    print(f"{'system':42s} {'total':>6s}  guided {marks}   unguided {marks}")
    totals = {True: [0] * len(MARKS), False: [0] * len(MARKS)}
    inventory = 0
    for system in sorted(set(on["coverage"]) | set(off["coverage"])):
        a = on["coverage"].get(system, {"total": 0, "covered": [0] * len(MARKS)})
        b = off["coverage"].get(system, {"total": 0, "covered": [0] * len(MARKS)})
        total = max(a["total"], b["total"])
        inventory += total
        for k in range(len(MARKS)):
            totals[True][k] += a["covered"][k]
            totals[False][k] += b["covered"][k]
        print(f"{system:42s} {total:6d}  {'':6s} " + "  ".join(f"{x:4d}" for x in a["covered"])
              + f"   {'':8s} " + "  ".join(f"{x:4d}" for x in b["covered"]))
    print(f"{'all systems':42s} {inventory:6d}  {'':6s} " + "  ".join(f"{x:4d}" for x in totals[True])
          + f"   {'':8s} " + "  ".join(f"{x:4d}" for x in totals[False]))
    end_on, end_off = totals[True][-1], totals[False][-1]
    print(f"rules covered at the end: guided {end_on}, unguided {end_off} (x{end_on / max(end_off, 1):.2f}); "
          f"cases guided {on['cases']}, unguided {off['cases']}; corpus guided {on['corpus']}, unguided {off['corpus']}")
    print(f"guidance: {on['guidance']}")


if __name__ == "__main__":
    main()
