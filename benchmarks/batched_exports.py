"""Batched exports, side by side: the same campaign with batching off and on, per exporter.

    python benchmarks/batched_exports.py [--seconds 150] [--exporters dynamo,tf2onnx] [--workers 1] [--seed 0]

For each exporter, campaigns with that exporter alone and every available
runtime (as a default campaign would give it), with the same seed, running at
the same time, each in its own process with --workers worker processes: one
exporting one graph per case (--no-batch), one batched. For the dynamo
exporters a third runs as the code did before issue 16: unbatched, with
torch.onnx.export rebuilding its torchlib registry and torch.export collecting
its CIA ops on every export (ONNXFUZZ_DYNAMO_REGISTRY_CACHE=0,
ONNXFUZZ_DYNAMO_CIA_CACHE=0; the plugin now does each once per process), and
each worker spawned afresh (ONNXFUZZ_WORKER_START=spawn; workers now fork from
a preloaded forkserver, which matters after each worker death). On a shared machine the
load swings by 2x within minutes; two campaigns side by side see the same load,
where two runs in a row do not. Prints for each campaign:
- cases/s over the whole run (worker start-up and the first imports included);
- steady cases/s, from the first recorded case to the last (start-up left out);
- failing verdicts and distinct failure signatures, and signatures per hour;
- seconds per case in its export (a batched case: its share of the packed export,
  failed attempts included) and in every other step (generation, truth, checker,
  runtimes): the other steps bound what batching exports can gain;
- for batched runs, what the batch sizer settled on.
Then the ratios, batched over unbatched.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sqlite3
import tempfile
from pathlib import Path

from fuzzer.campaign.campaign import CampaignOptions, run_campaign
from fuzzer.plugin import select


def one_run(exporter: str, batch: bool, seconds: float, workers: int, seed: int, runtimes: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        stats = run_campaign(CampaignOptions(workdir=workdir, minutes=seconds / 60, seed=seed, workers=workers,
                                             exporters=[exporter], runtimes=runtimes, quiet=True, batch=batch))
        conn = sqlite3.connect(workdir / "onnxfuzz.sqlite")
        finished = [t for (t,) in conn.execute("SELECT finished FROM cases ORDER BY finished")]
        failing = conn.execute("SELECT COUNT(*), COUNT(DISTINCT signature) FROM verdicts "
                               "WHERE kind NOT IN ('pass', 'unsupported', 'unstable')").fetchone()
        export = rest = 0.0
        for (timings,) in conn.execute("SELECT timings FROM cases"):
            for key, seconds in json.loads(timings).items():
                if key.startswith("export:"):
                    export += seconds
                else:
                    rest += seconds
        conn.close()
    wall = stats["session"]["seconds"]
    span = finished[-1] - finished[0] if len(finished) > 1 else 0.0
    return {
        "cases": len(finished),
        "wall": wall,
        "rate": len(finished) / wall,
        "steady": (len(finished) - 1) / span if span > 0 else 0.0,
        "failures": failing[0],
        "signatures": failing[1],
        "per_hour": failing[1] * 3600 / wall,
        "restarts": stats["session"]["worker_restarts"],
        # per recorded case: its export (its share of a batched one) and every other step
        "export_per_case": export / max(len(finished), 1),
        "rest_per_case": rest / max(len(finished), 1),
        "batches": stats["session"].get("batches"),
    }


#: label -> (batching, what the side's campaign and its workers run with): the sides of one
#: exporter's comparison; "before" is the code as it was before issue 16
SIDES = {
    "before": (False, {"ONNXFUZZ_DYNAMO_REGISTRY_CACHE": "0", "ONNXFUZZ_DYNAMO_CIA_CACHE": "0", "ONNXFUZZ_WORKER_START": "spawn"}),
    "off": (False, {}),
    "on": (True, {}),
}


def _side(queue, label, *args) -> None:
    import os

    batch, env = SIDES[label]
    os.environ.update(env)  # the campaign's workers get it too
    queue.put((label, one_run(args[0], batch, *args[1:])))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=150, help="seconds per run (default 150)")
    ap.add_argument("--exporters", default="dynamo,tf2onnx")
    ap.add_argument("--workers", type=int, default=1, help="worker processes per campaign (default 1: two campaigns run at once)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    runtimes = [p.name for p in select("runtime", None)]
    print(f"{args.seconds:g} s per run, {args.workers} workers, seed {args.seed}, runtimes {','.join(runtimes)}")
    print(f"{'exporter':10s} {'side':6s} {'cases':>6s} {'cases/s':>8s} {'steady/s':>9s} {'failing':>8s} "
          f"{'sigs':>5s} {'sigs/h':>7s} {'restarts':>8s} {'export s/case':>13s} {'other s/case':>12s}")
    for exporter in args.exporters.split(","):
        # each campaign in its own (non-daemonic: it starts workers) spawned process
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        labels = ["before", "off", "on"] if exporter.startswith("dynamo") else ["off", "on"]
        sides = [ctx.Process(target=_side, args=(queue, label, exporter, args.seconds, args.workers, args.seed, runtimes))
                 for label in labels]
        for p in sides:
            p.start()
        runs = dict(queue.get() for _ in sides)
        for p in sides:
            p.join()
        for label in labels:
            r = runs[label]
            print(f"{exporter:10s} {label:6s} {r['cases']:6d} {r['rate']:8.2f} {r['steady']:9.2f} "
                  f"{r['failures']:8d} {r['signatures']:5d} {r['per_hour']:7.0f} {r['restarts']:8d} "
                  f"{r['export_per_case']:13.3f} {r['rest_per_case']:12.3f}", flush=True)
        on = runs["on"]
        for base in labels[:-1]:
            ratio = lambda key: on[key] / runs[base][key] if runs[base][key] else float("inf")  # noqa: E731
            print(f"{exporter:10s} on/{base}: cases/s x{ratio('rate'):.1f}, steady cases/s x{ratio('steady'):.1f}, "
                  f"signatures/h x{ratio('per_hour'):.2f}")
        print(f"{exporter:10s} sizer: {on['batches']}", flush=True)


if __name__ == "__main__":
    main()
