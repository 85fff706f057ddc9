"""Campaign throughput on a Dask LocalCluster of 1, 2 and 4 workers, and the client's own ceiling.

    python benchmarks/dask_scaling.py [--seconds 90] [--workers 1,2,4] [--converters a,b] [--runtimes a,b]
                                      [--synthetic 2000] [--shape-from WORKDIR [--skip-campaigns]]

Part 1 runs the same fixed-seed campaign (`run --scheduler local:N`) for each N,
plus a local campaign (`--workers 2`, no Dask) as the baseline, and prints
cases/s: over the whole session, and in steady state (cases finished in the
second half of the time budget, after every case process has imported its
frameworks). One exporter by default, so that cases/s compares like with like.

Part 2 measures how many results per second the client side can absorb, so
one can say at how many machines it saturates:
  - SQLite alone: Store.record of made-up results shaped like part 1's (same
    verdicts per case, same share of failing cases, same artifact bytes), or
    like the campaign in --shape-from (e.g. a default all-plugin campaign,
    whose cases carry about 30 verdicts each);
  - the whole client path: run_campaign over a LocalCluster whose tasks make
    those results up instead of running cases (Dask transfer, the client's
    loop, fair sharing, the store), in chunks of 1 and of 32 results. The
    client's CPU time per result at both sizes gives its cost per result and
    per chunk (the LocalCluster's scheduler runs in the client process too,
    so this is pessimistic for a cluster whose scheduler runs elsewhere), and
    from those, how many case processes one client core keeps up with.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from fuzzer.campaign.campaign import CampaignOptions, run_campaign
from fuzzer.generate import GenConfig
from fuzzer.run.plugins.onnxruntime import OrtUnoptimized


class SleepyRuntime(OrtUnoptimized):
    """ONNX Runtime that also waits ONNXFUZZ_BENCH_SLEEP seconds per run: a case that costs time
    but no CPU, standing in for case processes on cores of their own (--sleep)."""

    name = "sleepy"

    def run(self, session, feeds):
        time.sleep(float(os.environ.get("ONNXFUZZ_BENCH_SLEEP", "1")))
        return super().run(session, feeds)


def campaign(workdir: Path, seconds: float, seed: int, converters, runtimes, workers: int | None = None,
             scheduler: str | None = None) -> dict:
    opts = CampaignOptions(workdir=workdir, minutes=seconds / 60, seed=seed, exporters=converters, runtimes=runtimes,
                           quiet=True, workers=workers or 2, scheduler=scheduler)
    stats = run_campaign(opts)
    conn = sqlite3.connect(workdir / "onnxfuzz.sqlite")
    started = conn.execute("SELECT started FROM sessions").fetchone()[0]
    window = (started + seconds / 2, started + seconds)
    steady = conn.execute("SELECT COUNT(*) FROM cases WHERE finished BETWEEN ? AND ?", window).fetchone()[0] / (window[1] - window[0])
    conn.close()
    return {"cases": stats["session"]["cases"], "seconds": stats["session"]["seconds"],
            "rate": stats["session"]["cases"] / stats["session"]["seconds"], "steady": steady, "shape": result_shape(workdir)}


def result_shape(workdir: Path) -> dict:
    """What the client receives per case in this workdir's campaign: verdicts, failing share, artifact bytes."""
    conn = sqlite3.connect(workdir / "onnxfuzz.sqlite")
    cases = max(conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0], 1)
    shape = {
        "verdicts_per_case": conn.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0] / cases,
        "failing_share": conn.execute("SELECT COUNT(DISTINCT case_id) FROM verdicts WHERE signature IS NOT NULL").fetchone()[0] / cases,
        "case_seconds": conn.execute("SELECT AVG(total_seconds) FROM cases").fetchone()[0] or 0.5,
    }
    conn.close()
    arts = [sum(f.stat().st_size for f in d.iterdir()) for d in (workdir / "artifacts").glob("case-*")]
    shape["artifact_bytes"] = statistics.mean(arts) if arts else 0
    return shape


# -- made-up results, shaped like a real campaign's ---------------------------------------


def fake_result(case_id: int, seed: int, shape: dict):
    from fuzzer.case import CaseResult
    from oracles import Kind, Stage, Verdict

    rng = random.Random(seed)
    n = max(1, round(shape["verdicts_per_case"]))
    runtimes = ["onnxruntime", "onnxruntime-noopt", "onnx-reference"]
    verdicts = [Verdict(Kind.PASS, Stage.JUDGE, f"torchscript@{17 + i % 3}", runtimes[i % 3], [], "", {}, 0.01)
                for i in range(n)]
    result = CaseResult(case_id, seed, "judged", ops=["add", "mul", "tanh", "matmul", "relu", "exp", "sigmoid", "neg"],
                        verdicts=verdicts, timings={f"run:{r}{i}": 0.01 for i in range(10) for r in runtimes},
                        sut_seconds=shape["case_seconds"] * 0.8, total_seconds=shape["case_seconds"],
                        path_seconds={"torchscript": shape["case_seconds"]})
    if rng.random() < shape["failing_share"]:
        bug = rng.randrange(50)  # most failures hit a signature seen before, as in a real campaign
        verdicts[0] = Verdict(Kind.VALUE_MISMATCH, Stage.JUDGE, "torchscript@17", "onnxruntime", ["tanh"],
                              f"max abs error {rng.random()} in bug {'xyz'[bug % 3] * (bug + 1)}", {"max_abs": 1.0}, 0.01)
        half = int(shape["artifact_bytes"] / 2)
        result.graph_json = json.dumps({"pad": "x" * half})
        result.models = {"torchscript@17": os.urandom(half)}
    return result


def fake_chunk(specs, isolation, wall_deadline, grace):
    """A Dask task with run_chunk's signature that makes its results up at once."""
    from distributed import get_worker

    from fuzzer.campaign.cluster import ChunkOutcome

    shape = json.loads(os.environ["ONNXFUZZ_BENCH_SHAPE"])
    return ChunkOutcome([fake_result(s.case_id, s.seed, shape) for s in specs], get_worker().address)


def sqlite_ceiling(shape: dict, count: int) -> float:
    from fuzzer.store import Store

    results = [fake_result(i + 1, i, shape) for i in range(count)]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(tmp)
        session = store.begin_session(0, 1, {})
        t0 = time.perf_counter()
        for r in results:
            store.record(r, session, ["torchscript"])
        seconds = time.perf_counter() - t0
        store.close()
    return count / seconds


def client_cost(shape: dict, count: int, chunk: int, workers: int = 2) -> tuple[float, float]:
    """(results/s wall, client CPU ms per result) of run_campaign over tasks that make results up, in
    chunks of `chunk` (the size DaskPool picks for cases of CHUNK_SECONDS / chunk seconds each)."""
    from fuzzer.campaign import campaign as campaign_module
    from fuzzer.campaign.cluster import CHUNK_SECONDS, DaskPool, isolation_for

    shape = dict(shape, case_seconds=CHUNK_SECONDS / chunk)
    os.environ["ONNXFUZZ_BENCH_SHAPE"] = json.dumps(shape)  # the LocalCluster's spawned workers inherit it

    def runner(opts, note):
        return DaskPool(opts.scheduler, isolation_for(60, 4096, False, None), note, task=fake_chunk)

    def measure(cases: int) -> tuple[float, float, int]:
        with tempfile.TemporaryDirectory() as tmp:
            cpu0 = time.process_time()
            stats = run_campaign(CampaignOptions(workdir=Path(tmp), minutes=10, max_cases=cases, quiet=True, steer=False,
                                                 exporters=["torchscript"], runtimes=["onnxruntime", "onnx-reference"],
                                                 config=GenConfig(), scheduler=f"local:{workers}"))
            return time.process_time() - cpu0, stats["session"]["seconds"], stats["session"]["cases"]

    real_runner = campaign_module._runner
    campaign_module._runner = runner
    try:
        # the difference between a long and a short run leaves out the fixed costs (starting the
        # cluster, the final stats), which say nothing about results per second
        cpu_short, wall_short, n_short = measure(count // 10)
        cpu_long, wall_long, n_long = measure(count)
    finally:
        campaign_module._runner = real_runner
    n = n_long - n_short
    return n / (wall_long - wall_short), 1000 * (cpu_long - cpu_short) / n


def main() -> None:
    from fuzzer.campaign.cluster import CHUNK_SECONDS, MAX_CHUNKS_PER_SECOND

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=90)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--seed", type=int, default=0)
    # one exporter, so that cases/s compares like with like: with several, fair sharing gives each
    # the same time, and cases/s swings with how the first expensive exports (dynamo imports for
    # seconds) fall
    ap.add_argument("--converters", default="torchscript")
    ap.add_argument("--runtimes", default="onnxruntime,onnx-reference")
    ap.add_argument("--synthetic", type=int, default=2000, help="made-up results fed through the client")
    ap.add_argument("--shape-from", type=Path, default=None, metavar="WORKDIR",
                    help="shape the made-up results like this campaign's (e.g. a default all-plugin one) instead")
    ap.add_argument("--skip-campaigns", action="store_true", help="only part 2 (needs --shape-from)")
    ap.add_argument("--sleep", type=float, default=None, metavar="S",
                    help="part 1 runs one runtime, ORT waiting S s per run (no CPU): shows how the orchestration "
                         "scales when this machine's cores are not the limit")
    args = ap.parse_args()
    converters, runtimes = args.converters.split(","), args.runtimes.split(",")
    if args.sleep is not None:
        from fuzzer.plugin import ENV_VAR

        # the case processes import this file as a module (spawn puts its folder on their path)
        os.environ[ENV_VAR] = f"runtime:sleepy={Path(__file__).stem}:SleepyRuntime"
        os.environ["ONNXFUZZ_BENCH_SLEEP"] = str(args.sleep)
        runtimes = ["sleepy"]  # alone: fair sharing of runtime time would otherwise give it few cases

    print(f"machine: {os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f}")
    sleep = f" (ORT waiting {args.sleep} s per run)" if args.sleep is not None else ""
    print(f"campaign: seed {args.seed}, {args.seconds:.0f} s each, converters {args.converters}, "
          f"runtimes {','.join(runtimes)}{sleep}")
    runs = {}
    for label, kw in [] if args.skip_campaigns else [("local --workers 2", {"workers": 2})] + [
            (f"dask local:{n}", {"scheduler": f"local:{n}"}) for n in map(int, args.workers.split(","))]:
        with tempfile.TemporaryDirectory() as tmp:
            runs[label] = r = campaign(Path(tmp), args.seconds, args.seed, converters, runtimes, **kw)
        print(f"  {label:18s} {r['cases']:5d} cases in {r['seconds']:5.1f} s: {r['rate']:5.2f} cases/s overall, "
              f"{r['steady']:5.2f} cases/s steady (load average {os.getloadavg()[0]:.1f})", flush=True)

    if args.shape_from is not None:
        shape = result_shape(args.shape_from)
        print(f"made-up results shaped like {args.shape_from}")
    else:  # like the largest Dask run's
        shape = max((r for k, r in runs.items() if k.startswith("dask")), key=lambda r: r["cases"])["shape"]
    print(f"result shape: {shape['verdicts_per_case']:.1f} verdicts/case, {100 * shape['failing_share']:.0f}% of cases failing "
          f"with {shape['artifact_bytes'] / 1024:.1f} KiB of artifacts, {shape['case_seconds']:.2f} s per case in its process")
    sqlite_rate = sqlite_ceiling(shape, args.synthetic)
    print(f"client, SQLite and artifacts alone (Store.record): {sqlite_rate:6.0f} results/s")
    costs = {}
    for chunk in (1, 32):
        wall_rate, costs[chunk] = client_cost(shape, args.synthetic, chunk)
        print(f"client, whole path over local:2, chunks of {chunk:2d}: {wall_rate:6.0f} results/s wall, "
              f"{costs[chunk]:.2f} ms of client CPU per result", flush=True)
    # client CPU per result = per_result + per_chunk / chunk, solved from the two chunk sizes
    per_chunk = (costs[1] - costs[32]) / (1 - 1 / 32)
    per_result = costs[1] - per_chunk
    rates = [("one Dask worker's steady rate", runs["dask local:1"]["steady"])] if "dask local:1" in runs else []
    print(f"client CPU: {per_result:.2f} ms per result + {per_chunk:.2f} ms per chunk (chunks of at least "
          f"{CHUNK_SECONDS:.0f} s of work, at most {MAX_CHUNKS_PER_SECOND:.0f} chunks/s over the cluster)")
    for label, r in rates + [("a slower mix (model)", 1.0), ("a slow mix (model)", 0.25)]:
        n = saturation(r, per_result, per_chunk)
        print(f"-> at {r:5.2f} cases/s per case process ({label}): one client core saturates at about {n} case "
              f"processes ({n / 32:.1f} machines of 32 cores), {n * r:.0f} results/s")


def saturation(rate: float, per_result_ms: float, per_chunk_ms: float) -> int:
    """The most case processes, each finishing `rate` cases/s, whose results one client core absorbs."""
    from fuzzer.campaign.cluster import chunk_size

    n = 1
    while n < 10**6:
        chunk = chunk_size(1 / rate, n + 1)
        if (n + 1) * rate * (per_result_ms + per_chunk_ms / chunk) > 1000:
            return n
        n += 1
    return n


if __name__ == "__main__":
    main()
