"""What a worker restart costs, per start method: spawned afresh or forked from the preloaded forkserver.

    python benchmarks/worker_restart.py [--restarts 5] [--methods spawn,forkserver] [--exporter dynamo]

For each start method (ONNXFUZZ_WORKER_START), in a process of its own (the
forkserver is one per process), a Supervisor with one worker runs the same
case again and again: one exporter, every available runtime (a campaign's
default). Between cases the benchmark kills the worker (SIGKILL, as a
segfaulting runtime would), --restarts times, with a warm case in between.
Prints per method:
- first start: from starting the supervisor to its first case's result
  (the forkserver's own start and preload included);
- ready: from a replacement worker's start to its "ready" message;
- restart: from the kill to the next case's result, minus a warm case's time:
  what each death costs the campaign beyond the case itself (the supervisor
  notices a death within its 0.2 s poll, included);
- warm case: the same case in a worker that has run it before.
Medians over the restarts. Compare the methods as a ratio within one run.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import signal
import statistics
import tempfile
import time
from pathlib import Path


def measure(method: str, exporter: str, restarts: int, queue) -> None:
    os.environ["ONNXFUZZ_WORKER_START"] = method
    from fuzzer.campaign.supervisor import Supervisor
    from fuzzer.case import CaseSpec
    from fuzzer.choices import NumpyChoices
    from fuzzer.generate import GenConfig, generate
    from fuzzer.plugin import select

    ready_times = []

    class Timed(Supervisor):
        def _drain(self, w):
            was = w.ready
            yield from super()._drain(w)
            if w.ready and not was:
                ready_times.append(time.monotonic() - w.spawned)

    config = GenConfig(min_nodes=3, max_nodes=5, ops=("add", "mul", "relu", "tanh", "matmul"), dtypes=frozenset({"float32"}))
    graph = generate(NumpyChoices(5), config).dumps()
    runtimes = [p.name for p in select("runtime", None)]
    ids = iter(range(1, 10**6))

    def next_spec():
        case_id = next(ids)
        return CaseSpec(case_id=case_id, seed=5, config=config, exporters=[exporter], runtimes=runtimes, opset=18, graph_json=graph)

    # case 1 cold, 2-3 warm; then per restart: kill, one case (restart), one warm case
    kill_after = {3 + 2 * k for k in range(restarts)}
    total = 3 + 2 * restarts
    with tempfile.TemporaryDirectory() as tmp:
        sup = Timed(1, Path(tmp), stage_timeout=300)
        t0 = time.monotonic()
        sup.start()
        last, durations, results, killed_at = t0, {}, 0, None
        try:
            for result in sup.run(next_spec, deadline=time.monotonic() + 3600):
                now = time.monotonic()
                results += 1
                durations[results] = (now - last, killed_at is not None, result.status)
                last, killed_at = now, None
                if results in kill_after:
                    w = sup.workers[0]
                    os.kill(w.process.pid, signal.SIGKILL)
                    w.process.join()  # dead before the supervisor looks again
                    killed_at = last = time.monotonic()
                if results >= total:
                    break
        finally:
            sup.stop()
    warm = [d for i, (d, after_kill, _) in durations.items() if i > 1 and not after_kill]
    after = [d for i, (d, after_kill, _) in durations.items() if after_kill]
    warm_case = statistics.median(warm)
    queue.put((method, {
        "first_start": durations[1][0],
        "ready": statistics.median(ready_times[1:]) if len(ready_times) > 1 else float("nan"),
        "restart": statistics.median(after) - warm_case,
        "warm_case": warm_case,
        "statuses": sorted({s for _, _, s in durations.values()}),
        "restarts": sup.restarts,
    }))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--restarts", type=int, default=5)
    ap.add_argument("--methods", default="spawn,forkserver")
    ap.add_argument("--exporter", default="dynamo")
    args = ap.parse_args()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    rows = {}
    for method in args.methods.split(","):  # one after another: each is timed alone
        p = ctx.Process(target=measure, args=(method, args.exporter, args.restarts, queue))
        p.start()
        rows.update([queue.get()])
        p.join()
    print(f"exporter {args.exporter}, {args.restarts} restarts per method (medians)")
    print(f"{'method':10s} {'first start s':>13s} {'ready s':>8s} {'restart s':>9s} {'warm case s':>11s} {'restarts':>8s}  statuses")
    for method, r in rows.items():
        print(f"{method:10s} {r['first_start']:13.2f} {r['ready']:8.2f} {r['restart']:9.2f} {r['warm_case']:11.2f} "
              f"{r['restarts']:8d}  {','.join(r['statuses'])}")
    if {"spawn", "forkserver"} <= rows.keys():
        print(f"restart cost spawn/forkserver: x{rows['spawn']['restart'] / max(rows['forkserver']['restart'], 1e-9):.1f}")


if __name__ == "__main__":
    main()
