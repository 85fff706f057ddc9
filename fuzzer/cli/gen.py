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
                  the direct model passes onnx.checker (full_check) and strict
                  shape inference, and ONNX Runtime loads it (a missing kernel
                  counts as valid only when ORT's cached capability probe
                  records that op and dtype as unsupported);
      invalid     any of those failed: a generator or op-spec bug;
      kernel_gaps_unprobed
                  ORT refused a kernel its probe knows nothing about (run
                  `onnxfuzz doctor` to probe); neither valid nor invalid;
      crashed     the checking process died on it (a crash in torch, onnx
                  or ORT): a finding, neither valid nor invalid;
      discarded   no input draw gives a finite float64 truth (still checked,
                  and included in valid or invalid; campaigns skip such cases).
    A graph of the torch frontend is also exported with TorchScript (opset
    drawn from 13-20) and the exported model checked: an export crash or an
    invalid exported model is an EXPORTER finding ("exporter_findings"), a
    bug in the system under test, and does not make the graph invalid.
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
        p.add_argument("--probe", action="store_true",
                       help="with --check: probe ONNX Runtime's kernels first when no probe result is cached "
                            "(up to a minute), so that its known gaps are told apart from unprobed ones")
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
        from fuzzer.generate.validity import ort_probe_pairs

        pairs = ort_probe_pairs(compute=args.probe)
        report["ort_probe_cached"] = pairs is not None
        checks = _check_all(graphs, args.workers, pairs)
        report.update(_summarize(checks))
        report["check_seconds"] = round(time.perf_counter() - t1, 1)
        if args.json:
            emit_json(report)
        else:
            _print(report)
        return 1 if report["invalid"] else 0


def _check_all(graphs, workers: int, probe_pairs: dict | None) -> list[dict]:
    """Every graph's GraphCheck as a dict, in order; on spawned worker processes when workers > 1.

    A system under test can kill a worker (a segfault while ORT loads a model). The graph
    that did it is found by running the graphs that were in flight alone, one at a time;
    it is recorded as "crashed", and the rest go on in a fresh pool."""
    from fuzzer.generate.validity import check_graph, use_probe_pairs

    jobs = [(g.dumps(), seed, fe) for seed, fe, g in graphs]
    if workers == 1 or len(jobs) < 8:
        use_probe_pairs(probe_pairs)
        return [check_graph(*job).to_dict() for job in jobs]
    results: list = [None] * len(jobs)
    todo = list(range(len(jobs)))
    while todo:
        broken = _run_pool(jobs, todo, results, workers, probe_pairs)
        if not broken:
            break
        suspect = broken[0]  # the oldest unfinished job was in flight when the worker died
        if _run_pool(jobs, [suspect], results, 1, probe_pairs):
            _, seed, fe = jobs[suspect]
            results[suspect] = {"seed": seed, "frontend": fe, "status": "crashed", "onnx_ops": [],
                                "why": "the checking process died (a crash inside torch, onnx or ORT)",
                                "discarded": False, "judged_on": "", "probed_gap": None, "direct_opset": None,
                                "exporter_finding": None, "exporter_unsupported": False}
        todo = broken[1:]
    return results


def _run_pool(jobs, todo: list[int], results: list, workers: int, probe_pairs) -> list[int]:
    """Check jobs[i] for i in todo on a fresh pool into results; the indices left undone if a worker died."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # spawn, never fork: a child forked after torch has computed hangs in OpenMP
    ctx = multiprocessing.get_context("spawn")
    broken = []
    with ProcessPoolExecutor(min(workers, os.cpu_count() or 1), mp_context=ctx,
                             initializer=_worker_init, initargs=(probe_pairs,)) as pool:
        futures = [(i, pool.submit(_check_dict, *jobs[i])) for i in todo]
        for i, future in futures:
            try:
                results[i] = future.result()
            except BrokenProcessPool:
                broken.append(i)
    return broken


def _worker_init(probe_pairs: dict | None) -> None:
    import warnings

    from fuzzer.generate.validity import use_probe_pairs

    use_probe_pairs(probe_pairs)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import onnxruntime
    import torch

    torch.set_num_threads(1)
    # exporter warnings and ORT's constant-folding notes would bury the report on stderr
    warnings.filterwarnings("ignore")
    onnxruntime.set_default_logger_severity(3)


def _check_dict(graph_json: str, seed: int, frontend: str) -> dict:
    from fuzzer.generate.validity import check_graph

    return check_graph(graph_json, seed, frontend).to_dict()


def _summarize(checks: list[dict]) -> dict:
    by = Counter(c["status"] for c in checks)
    onnx_ops = sorted({op for c in checks for op in c["onnx_ops"]})
    findings = [c for c in checks if c["exporter_finding"]]

    def examples(rows, key):
        return [{"seed": c["seed"], "frontend": c["frontend"], "why": c[key]} for c in rows[:EXAMPLES]]

    invalid = [c for c in checks if c["status"] == "invalid"]
    unprobed = [c for c in checks if c["status"] == "gap_unprobed"]
    return {
        "valid": by["valid"],
        "invalid": by["invalid"],
        "invalid_examples": examples(invalid, "why"),
        "kernel_gaps_unprobed": by["gap_unprobed"],
        "kernel_gaps_unprobed_examples": examples(unprobed, "why"),
        "kernel_gaps_probed": sum(1 for c in checks if c["probed_gap"]),
        "crashed": by["crashed"],
        "crashed_examples": examples([c for c in checks if c["status"] == "crashed"], "why"),
        "discarded": sum(1 for c in checks if c["discarded"]),
        "judged_on_direct_model": sum(1 for c in checks if c["judged_on"] == "direct"),
        "exporter_findings": {
            "count": len(findings),
            "unsupported": sum(1 for c in findings if c["exporter_unsupported"]),
            "examples": examples([c for c in findings if not c["exporter_unsupported"]], "exporter_finding"),
        },
        "onnx_op_types": len(onnx_ops),
        "onnx_ops": onnx_ops,
    }


def _print(r: dict) -> None:
    print(f"{r['valid']}/{r['total']} valid, {r['invalid']} invalid, {r['kernel_gaps_unprobed']} unprobed kernel gaps, "
          f"{r['crashed']} crashed a checking process, {r['discarded']} discarded (no finite truth)")
    print(f"{r['ir_op_types']} IR op types, {r['onnx_op_types']} ONNX op types; dtypes {', '.join(r['dtypes'])}")
    print(f"{r['paths_2op']} 2-op and {r['paths_3op']} 3-op paths; {r['graphs_per_second']} graphs/s generated "
          f"(max {r['max_nodes']} nodes); checked in {r['check_seconds']} s")
    f = r["exporter_findings"]
    print(f"exporter findings (TorchScript; not counted as invalid graphs): {f['count']}, {f['unsupported']} declared unsupported")
    for kind in ("invalid_examples", "kernel_gaps_unprobed_examples", "crashed_examples"):
        for bad in r[kind]:
            print(f"  {kind.split('_examples')[0]}: seed {bad['seed']} ({bad['frontend']}): {bad['why']}")
    for bad in f["examples"]:
        print(f"  exporter finding: seed {bad['seed']}: {bad['why']}")
