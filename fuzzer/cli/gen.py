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

    Swarm (on by default; --no-swarm draws every graph from all ops): graph i
    is drawn within a small configuration (4-12 ops, their dtypes, max rank,
    dim and inputs) that is itself drawn from seed S + i alone
    (fuzzer.generate.swarm), so that the pairs and triples of those few ops
    are common.

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
    "special_values": the share of input elements (each graph's first input
    draw) and of drawn constant elements that come from the special-value
    mixture (0, -0.0, +-1, domain bounds, dtype extremes and their neighbours,
    many-bit integers, repeated values); printed without --check too.
    A graph of the torch frontend is also exported with TorchScript (opset
    drawn from 7-20) and the exported model checked: an export crash or an
    invalid exported model is an EXPORTER finding ("exporter_findings"), a
    bug in the system under test, and does not make the graph invalid; it is
    judged as campaigns judge it (a type gap the checker names, or an export
    error the exporter calls a gap, counts as "unsupported").
    Likewise a direct model that ORT loads with optimizations off is loaded
    again with every optimization on: an error only then (an optimizer that
    throws on a valid model) is a RUNTIME finding ("runtime_findings").
    "lowest_opset" is the oldest opset any model was built or exported at;
    "direct_opsets" and "export_opsets" count graphs by the opset drawn (a
    direct model's is drawn from its ops' oldest common opset to the newest).
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
        p.add_argument("--swarm", action=argparse.BooleanOptionalAction, default=True,
                       help="draw each graph within a small random configuration of ops, dtypes and sizes, "
                            "a function of its seed (fuzzer.generate.swarm; default: on)")
        p.add_argument("--workers", type=positive_int, default=2, help="processes checking graphs (default 2)")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        add_generator_options(p)

    def run(self, args) -> int:
        from fuzzer.choices import NumpyChoices
        from fuzzer.generate import PathTracker, generate, paths
        from fuzzer.generate.swarm import for_seed
        from fuzzer.ops import all_specs
        from fuzzer.ops.motif import is_motif

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
            config = configs[fe]
            if args.swarm:
                config = for_seed(seed, config).config(config)
            g = generate(NumpyChoices(seed), config, tracker)
            graphs.append((seed, fe, g))
            ops.update(g.op_types())
            kinds = {v.type.dtype.value for v in g.values()}
            dtypes.update(kinds)
            mixed += len(kinds) > 1
            pairs |= paths(g, 2)
            triples |= paths(g, 3)
        gen_seconds = time.perf_counter() - t0
        motif_names = {s.name for s in all_specs() if is_motif(s)}
        report = {
            "total": len(graphs),
            "frontends": dict(Counter(fe for _, fe, _ in graphs)),
            "diversity": diversity,
            "swarm": args.swarm,
            "max_nodes": base.max_nodes,
            "ir_op_types": len(ops),
            "ir_ops": dict(sorted(ops.items())),
            "dtypes": sorted(dtypes),
            "mixed_dtype_graphs": mixed,
            # rewrite motifs (fuzzer.ops.motif): how many are registered, how many distinct ones were drawn
            "motifs": len(motif_names),
            "motifs_drawn": len(motif_names & set(ops)),
            "paths_2op": len(pairs),
            "paths_3op": len(triples),
            "torch_callables": len(torch_callables([g for _, fe, g in graphs if fe == "torch"])),
            "graphs_per_second": round(len(graphs) / gen_seconds, 1) if gen_seconds else None,
            "special_values": _special_values(graphs),
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


def _special_values(graphs) -> dict:
    """The share of drawn constant elements and of input elements that came from the special-value
    mixture (fuzzer.generate.values); the inputs are each graph's first draw, the one a campaign
    and --check judge first. Constants written by an op spec itself (shapes, axes, a guard's
    offset) are not drawn and not counted."""
    from fuzzer.choices import NumpyChoices
    from fuzzer.generate import draw_inputs
    from fuzzer.generate.builder import SPECIAL_COUNT

    inputs, consts, tensors = Counter(), Counter(), Counter()
    for seed, _, g in graphs:
        draw_inputs(g, NumpyChoices(seed), tally=inputs)
        for n in g.consts:
            special = g.nx.nodes[n.id].get(SPECIAL_COUNT)
            if special is not None:
                consts["elements"] += n.value.size
                consts["special"] += special
                tensors["drawn"] += 1
                tensors["special"] += special > 0

    def share(c: Counter, total: str) -> float | None:
        return round(c["special"] / c[total], 4) if c[total] else None

    return {"inputs": share(inputs, "elements"), "constants": share(consts, "elements"),
            "constant_tensors": share(tensors, "drawn"),
            "input_elements": inputs["elements"], "constant_elements": consts["elements"]}


def torch_callables(graphs) -> set[str]:
    """The torch callables the graphs' torch lowerings call, by spelling: "torch.add",
    "F.conv2d", "torch.special.erfcx", "Tensor.add_" for a method (on any receiver that is not
    a module), "Tensor.__add__" for a Python operator (reflected ones as "Tensor.__radd__")."""
    import ast

    from fuzzer.ops import get_spec
    from fuzzer.materialize.torch_source import TorchSourceContext

    ctx = TorchSourceContext()
    found: set[str] = set()
    for g in graphs:
        for node in g.op_nodes:
            args = [f"v{i}" for i in range(len(node.inputs))]
            found |= _callables(ast.parse(get_spec(node.op_type).torch(ctx, node.attrs, args), mode="eval"), args)
    return found


#: the dunder each Python operator dispatches to on a tensor operand
_DUNDERS = {"Add": "add", "Sub": "sub", "Mult": "mul", "Div": "truediv", "FloorDiv": "floordiv", "Mod": "mod",
            "Pow": "pow", "MatMult": "matmul", "BitAnd": "and", "BitOr": "or", "BitXor": "xor",
            "LShift": "lshift", "RShift": "rshift", "USub": "neg", "Invert": "invert", "UAdd": "pos",
            "Lt": "lt", "LtE": "le", "Gt": "gt", "GtE": "ge", "Eq": "eq", "NotEq": "ne"}


def _callables(tree, tensors: list[str]) -> set[str]:
    import ast

    def dotted(e):
        parts = []
        while isinstance(e, ast.Attribute):
            parts.append(e.attr)
            e = e.value
        return ".".join([e.id, *reversed(parts)]) if isinstance(e, ast.Name) else None

    def is_tensor(e):  # an operand, or a call/subscript/operation yielding one (not a literal)
        return not isinstance(e, ast.Constant)

    found = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
            name = dotted(n.func)
            if name and name.split(".")[0] in ("torch", "F"):
                found.add(name)
            elif name is None or name.split(".")[0] in tensors:
                if not (isinstance(n.func.value, ast.Call) and getattr(n.func.value.func, "id", "") == "__import__"):
                    found.add(f"Tensor.{n.func.attr}")
        elif isinstance(n, ast.BinOp):
            op = _DUNDERS.get(type(n.op).__name__)
            if op:
                found.add(f"Tensor.__{op}__" if is_tensor(n.left) else f"Tensor.__r{op}__")
        elif isinstance(n, ast.UnaryOp) and type(n.op).__name__ in ("USub", "Invert", "UAdd") and is_tensor(n.operand):
            found.add(f"Tensor.__{_DUNDERS[type(n.op).__name__]}__")
        elif isinstance(n, ast.Compare) and len(n.ops) == 1:
            found.add(f"Tensor.__{_DUNDERS[type(n.ops[0]).__name__]}__")
    return found


def _check_all(graphs, workers: int) -> list[dict]:
    """Every graph's GraphCheck as a dict, in order; on the campaign's supervised workers
    (fuzzer.campaign.jobs) when workers > 1.

    A system under test can kill or hang a worker (a segfault while ORT loads a model). The
    supervisor sees which step it was in: a finding step (the TorchScript export, ORT's
    optimized load) is skipped on the retry and reported as a finding, and the graph is judged
    by the rest; a death in the graph's own checks (torch eager, onnx, ORT without
    optimizations) makes the graph "crashed"."""
    from fuzzer.generate.validity import GraphCheckJob, check_graph

    if workers == 1 or len(graphs) < 8:
        return [check_graph(g.dumps(), seed, fe).to_dict() for seed, fe, g in graphs]
    from fuzzer.campaign.jobs import run_jobs

    jobs = [GraphCheckJob(case_id=i, seed=seed, graph_json=g.dumps(), frontend=fe) for i, (seed, fe, g) in enumerate(graphs)]
    results = run_jobs(jobs, workers=min(workers, os.cpu_count() or 1))
    return [_check_of(jobs[i], results[i]) for i in range(len(jobs))]


#: who a finding step's death is charged to, by the path it announced
CULPRITS = {"torchscript": "the TorchScript exporter", "onnx-direct": "ONNX Runtime loading with optimizations on"}


#: how the supervisor's own errors begin: the worker died, stalled or grew too big
DEATHS = ("worker died", "no progress for", "resident memory")


def _check_of(job, result) -> dict:
    from fuzzer.generate.validity import GraphCheck

    if result is None or result.status == "error":
        died = result is None or result.error.startswith(DEATHS)
        why = ("the checking process died in the graph's own checks (torch eager, onnx or ORT)" if died
               else f"onnxfuzz failed checking the graph: {result.error.strip().splitlines()[-1]}")
        return GraphCheck(job.seed, job.frontend, status="crashed", judged_on="", why=why).to_dict()
    found = result.notes["check"]
    deaths = [f"{CULPRITS.get(v.path, v.path)} {'hung' if v.kind.value == 'hang' else 'killed'} the checking process"
              for v in result.verdicts]
    if deaths:
        found["crash_finding"] = "; ".join(deaths)
    return found


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
        **_opsets_drawn(checks),
        "onnx_op_types": len(onnx_ops),
        "onnx_ops": onnx_ops,
    }


def _opsets_drawn(checks: list[dict]) -> dict:
    """The opsets the direct models were built at and the TorchScript exports drawn at (how
    many graphs at each), and the lowest of them all."""
    direct = Counter(c["direct_opset"] for c in checks if c.get("direct_opset") is not None)
    export = Counter(c["export_opset"] for c in checks if c.get("export_opset") is not None)
    return {"lowest_opset": min([*direct, *export], default=None),
            "direct_opsets": dict(sorted(direct.items())), "export_opsets": dict(sorted(export.items()))}


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
    print(f"lowest opset drawn {r['lowest_opset']}; direct models by opset {r['direct_opsets']}; "
          f"TorchScript exports by opset {r['export_opsets']}")
    print(f"{r['paths_2op']} 2-op and {r['paths_3op']} 3-op paths; {r['graphs_per_second']} graphs/s generated "
          f"(max {r['max_nodes']} nodes); checked in {r['check_seconds']} s")
    sv = r["special_values"]
    print(f"special values: {sv['inputs']} of input elements, {sv['constants']} of drawn constant elements")
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
