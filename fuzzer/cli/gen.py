"""Generate graphs and print them, or check them and print validity figures."""
from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections import Counter

from fuzzer.cli.base import Command, add_generator_options, emit_json, generator_config, name_list, positive_int

#: how many examples of each kind of failure the report shows
EXAMPLES = 10


class Gen(Command):
    """Generate graphs from a seed; with --check, verify each one and print validity and coverage.

    Graph i of `--seed S` is generated from seed S + i, for frontend number
    (S + i) mod len(--frontends). Graphs drawn for the "torch" frontend hold
    only ops the torch exporters can see; those for "onnx" hold only ops with a
    direct ONNX lowering (onnxfuzz's own model builder, the onnx-direct exporter).

    Diversity: a path tracker shared across the run favours ops that make op
    pairs and triples no earlier graph made. It is on by default with --check
    (coverage figures) and off otherwise, so that each printed graph depends on
    its seed alone and `--count 1 --seed S+i` regenerates graph i; with
    --diversity, graph i is replayed by the same --seed and a --count above i.

    --check judges every graph, and counts it:
      valid       torch eager runs it; and, when every op has an ONNX lowering,
                  the direct model passes onnx.checker (full_check: strict
                  shape inference), and ONNX Runtime loads it with its graph
                  optimizations OFF, a load that measures kernels. A load ORT
                  refuses for a missing kernel, in its own words (the
                  onnxruntime-noopt plugin's is_unsupported, as campaigns
                  judge it), is valid: "kernel_gaps" counts those graphs and
                  "kernel_gaps_by_kernel" the missing kernels (op, schema
                  version, type binding);
      invalid     any of those failed: a generator or op-spec bug;
      crashed     the checking process died in the graph's own checks (a crash
                  in torch eager, onnx or ORT's plain load): neither valid nor
                  invalid. When it dies in a step that only looks for
                  findings (the TorchScript export, ORT's optimized load), the
                  graph is checked again without that step and judged by the
                  rest, and the crash is a "crash_findings" entry;
      discarded   no input draw gives a finite float64 truth (still checked,
                  and included in valid or invalid; campaigns skip such cases).
    A graph of the torch frontend is also exported with TorchScript (opset
    drawn from 13-20) and the exported model checked: an export crash or an
    invalid exported model is an EXPORTER finding ("exporter_findings"), a
    bug in the system under test, and does not make the graph invalid; it is
    judged as campaigns judge it (a type gap the checker names, or an export
    error the exporter calls a gap, counts as "unsupported").
    Likewise a direct model that ORT loads with optimizations off is loaded
    again with every optimization on: an error only then (an optimizer that
    throws on a valid model) is a RUNTIME finding ("runtime_findings").
    "onnx_op_types" is the union of op types over the exported and the direct
    models. Exit code 1 when some graph is invalid.
    """

    name = "gen"

    def add_arguments(self, p):
        p.add_argument("--count", type=positive_int, default=1, help="number of graphs (default 1)")
        p.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
        p.add_argument("--check", action="store_true",
                       help="check each graph (see above) and print validity and coverage figures")
        p.add_argument("--frontends", type=name_list, default=None,
                       help="comma-separated frontends to draw graphs for, in turn by seed "
                            "(default: torch,onnx with --check, torch otherwise)")
        p.add_argument("--diversity", action=argparse.BooleanOptionalAction, default=None,
                       help="favour op paths not produced yet (default: on with --check, off otherwise)")
        p.add_argument("--workers", type=positive_int, default=2, help="processes checking graphs (default 2)")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        add_generator_options(p)

    def run(self, args) -> int:
        from fuzzer.choices import NumpyChoices
        from fuzzer.generate import PathTracker, generate, paths

        base = generator_config(args)
        frontends = args.frontends or (["torch", "onnx"] if args.check else ["torch"])
        configs = {fe: dataclasses.replace(base, frontend=fe) for fe in frontends}
        for config in configs.values():
            config.specs()  # an unknown frontend or one with no usable op is a usage error, before any work
        diversity = args.check if args.diversity is None else args.diversity
        tracker = PathTracker() if diversity else None

        graphs = []
        ops, dtypes, pairs, triples = Counter(), Counter(), set(), set()
        mixed = 0
        t0 = time.perf_counter()
        for i in range(args.count):
            seed = args.seed + i
            fe = frontends[seed % len(frontends)]
            g = generate(NumpyChoices(seed), configs[fe], tracker)
            graphs.append((seed, fe, g))
            ops.update(g.op_types())
            kinds = {v.type.dtype.value for v in g.values()}
            dtypes.update(kinds)
            mixed += len(kinds) > 1
            pairs |= paths(g, 2)
            triples |= paths(g, 3)
        gen_seconds = time.perf_counter() - t0
        report = {
            "total": len(graphs),
            "frontends": dict(Counter(fe for _, fe, _ in graphs)),
            "diversity": diversity,
            "max_nodes": base.max_nodes,
            "ir_op_types": len(ops),
            "ir_ops": dict(sorted(ops.items())),
            "dtypes": sorted(dtypes),
            "mixed_dtype_graphs": mixed,
            "paths_2op": len(pairs),
            "paths_3op": len(triples),
            "graphs_per_second": round(len(graphs) / gen_seconds, 1) if gen_seconds else None,
        }
        if not args.check:
            if args.json:
                report["graphs"] = [{"seed": s, "frontend": fe, "graph": g.to_json()} for s, fe, g in graphs]
                emit_json(report)
            else:
                for seed, fe, g in graphs:
                    print(f"# seed {seed} ({fe})\n{g.summary()}\n")
            return 0

        t1 = time.perf_counter()
        checks = _check_all(graphs, args.workers)
        report.update(_summarize(checks))
        report["check_seconds"] = round(time.perf_counter() - t1, 1)
        if args.json:
            emit_json(report)
        else:
            _print(report)
        return 1 if report["invalid"] else 0


def _check_all(graphs, workers: int) -> list[dict]:
    """Every graph's GraphCheck as a dict, in order; on spawned worker processes when workers > 1.

    A system under test can kill a worker (a segfault while ORT loads a model). The graph
    that did it is found by running the graphs that were in flight alone, one at a time;
    it is checked once more to tell which step died (see _attribute_crash), and the rest go
    on in a fresh pool."""
    from fuzzer.generate.validity import check_graph

    jobs = [(g.dumps(), seed, fe) for seed, fe, g in graphs]
    if workers == 1 or len(jobs) < 8:
        return [check_graph(*job).to_dict() for job in jobs]
    results: list = [None] * len(jobs)
    todo = list(range(len(jobs)))
    while todo:
        broken = _run_pool(jobs, todo, results, workers)
        if not broken:
            break
        suspect = broken[0]  # the oldest unfinished job was in flight when the worker died
        if _run_pool(jobs, [suspect], results, 1):
            results[suspect] = _attribute_crash(jobs[suspect])
        todo = broken[1:]
    return results


def _attribute_crash(job: tuple) -> dict:
    """The check of a graph that kills its checking process, told apart by leaving out the steps
    that look for findings (validity.FINDING_STEPS): when the graph's own checks complete
    without the TorchScript export, or without ORT's optimized load, the crash is a finding in
    that system under test, and the graph is judged by the rest; else it is "crashed"."""
    from fuzzer.generate.validity import GraphCheck

    graph_json, seed, fe = job
    out: list = [None]
    for skip, culprit in ((("export",), "the TorchScript exporter"),
                          (("export", "ort-optimized"), "ONNX Runtime loading with optimizations on")):
        if not _run_pool([(graph_json, seed, fe, skip)], [0], out, 1):
            found = out[0]
            found["crash_finding"] = f"{culprit} killed the checking process"
            return found
    return GraphCheck(seed, fe, status="crashed", judged_on="",
                      why="the checking process died in the graph's own checks (torch eager, onnx or ORT)").to_dict()


def _run_pool(jobs, todo: list[int], results: list, workers: int) -> list[int]:
    """Check jobs[i] for i in todo on a fresh pool into results; the indices left undone if a worker died."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # spawn, never fork: a child forked after torch has computed hangs in OpenMP
    ctx = multiprocessing.get_context("spawn")
    broken = []
    with ProcessPoolExecutor(min(workers, os.cpu_count() or 1), mp_context=ctx,
                             initializer=_worker_init) as pool:
        futures = [(i, pool.submit(_check_dict, *jobs[i])) for i in todo]
        for i, future in futures:
            try:
                results[i] = future.result()
            except BrokenProcessPool:
                broken.append(i)
    return broken


def _worker_init() -> None:
    import warnings

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import onnxruntime
    import torch

    torch.set_num_threads(1)
    # exporter warnings and ORT's constant-folding notes would bury the report on stderr
    warnings.filterwarnings("ignore")
    onnxruntime.set_default_logger_severity(3)


def _check_dict(graph_json: str, seed: int, frontend: str, skip: tuple[str, ...] = ()) -> dict:
    from fuzzer.generate.validity import check_graph

    return check_graph(graph_json, seed, frontend, skip).to_dict()


def _summarize(checks: list[dict]) -> dict:
    by = Counter(c["status"] for c in checks)
    onnx_ops = sorted({op for c in checks for op in c["onnx_ops"]})
    findings = [c for c in checks if c["exporter_finding"]]

    def examples(rows, key):
        return [{"seed": c["seed"], "frontend": c["frontend"], "why": c[key]} for c in rows[:EXAMPLES]]

    invalid = [c for c in checks if c["status"] == "invalid"]
    gaps = [c for c in checks if c["kernel_gap"]]
    runtime = [c for c in checks if c["runtime_finding"]]
    crashes = [c for c in checks if c["crash_finding"]]
    return {
        "valid": by["valid"],
        "invalid": by["invalid"],
        "invalid_examples": examples(invalid, "why"),
        "kernel_gaps": len(gaps),
        "kernel_gaps_examples": examples(gaps, "kernel_gap"),
        "crashed": by["crashed"],
        "crashed_examples": examples([c for c in checks if c["status"] == "crashed"], "why"),
        "discarded": sum(1 for c in checks if c["discarded"]),
        "judged_on_direct_model": sum(1 for c in checks if c["judged_on"] == "direct"),
        "exporter_findings": {
            "count": len(findings),
            "unsupported": sum(1 for c in findings if c["exporter_unsupported"]),
            "examples": examples([c for c in findings if not c["exporter_unsupported"]], "exporter_finding"),
        },
        "crash_findings": {
            "count": len(crashes),
            "examples": examples(crashes, "crash_finding"),
        },
        "runtime_findings": {
            "count": len(runtime),
            "examples": examples(runtime, "runtime_finding"),
        },
        "kernel_gaps_by_kernel": _by_kernel(gaps),
        "onnx_op_types": len(onnx_ops),
        "onnx_ops": onnx_ops,
    }


def _by_kernel(gaps: list[dict]) -> dict[str, int]:
    """How many kernel gaps each missing kernel ("Relu(14) T=int16") accounts for, most first."""
    names = Counter()
    for c in gaps:
        gap = c.get("gap")
        if gap:
            binding = ",".join(f"{k}={v}" for k, v in sorted(gap["types"].items()))
            names[f"{gap['op']}({gap['since']}) {binding}"] += 1
        else:
            names["(kernel not identified)"] += 1
    return dict(names.most_common())


def _print(r: dict) -> None:
    print(f"{r['valid']}/{r['total']} valid ({r['kernel_gaps']} meet a kernel ORT says it lacks), {r['invalid']} invalid, "
          f"{r['crashed']} crashed a checking process, {r['discarded']} discarded (no finite truth)")
    print(f"{r['ir_op_types']} IR op types, {r['onnx_op_types']} ONNX op types; dtypes {', '.join(r['dtypes'])}")
    print(f"{r['paths_2op']} 2-op and {r['paths_3op']} 3-op paths; {r['graphs_per_second']} graphs/s generated "
          f"(max {r['max_nodes']} nodes); checked in {r['check_seconds']} s")
    f = r["exporter_findings"]
    print(f"exporter findings (TorchScript; not counted as invalid graphs): {f['count']}, {f['unsupported']} declared unsupported")
    print(f"runtime findings (ORT fails to load with optimizations on only; not counted as invalid graphs): "
          f"{r['runtime_findings']['count']}")
    for kind in ("invalid_examples", "crashed_examples"):
        for bad in r[kind]:
            print(f"  {kind.split('_examples')[0]}: seed {bad['seed']} ({bad['frontend']}): {bad['why']}")
    for bad in f["examples"]:
        print(f"  exporter finding: seed {bad['seed']}: {bad['why']}")
    print(f"crash findings (a system under test killed the checking process; the graph judged without that step): "
          f"{r['crash_findings']['count']}")
    for bad in r["crash_findings"]["examples"]:
        print(f"  crash finding: seed {bad['seed']}: {bad['why']}")
    for bad in r["runtime_findings"]["examples"]:
        print(f"  runtime finding: seed {bad['seed']}: {bad['why']}")
