"""Generate graphs and print them, or check them and print validity figures."""
from __future__ import annotations

import time
from collections import Counter

from fuzzer.cli.base import Command, add_generator_options, emit_json, generator_config, positive_int


class Gen(Command):
    """Generate graphs from a seed; with --check, verify each one and print validity and coverage.

    Graph i of `--seed S` is generated from seed S + i, so any graph can be
    regenerated alone with `--count 1 --seed S+i`.
    """

    name = "gen"

    def add_arguments(self, p):
        p.add_argument("--count", type=positive_int, default=1, help="number of graphs (default 1)")
        p.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
        p.add_argument("--check", action="store_true", help="run each graph in torch eager and export it with TorchScript")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        add_generator_options(p)

    def run(self, args) -> int:
        from fuzzer.choices import NumpyChoices
        from fuzzer.generate import generate

        config = generator_config(args)
        graphs, invalid = [], []
        ops, dtypes, pairs, triples = Counter(), Counter(), set(), set()
        t0 = time.perf_counter()
        for i in range(args.count):
            seed = args.seed + i
            g = generate(NumpyChoices(seed), config)
            graphs.append((seed, g))
            ops.update(g.op_types())
            dtypes.update(v.type.dtype.value for v in g.values())
            pairs.update(_paths(g, 2))
            triples.update(_paths(g, 3))
        gen_seconds = time.perf_counter() - t0
        if args.check:
            for seed, g in graphs:
                why = _validate(g, seed)
                if why:
                    invalid.append({"seed": seed, "why": why})
        report = {
            "total": len(graphs),
            "valid": len(graphs) - len(invalid) if args.check else None,
            "invalid": invalid[:20],
            "op_types": len(ops),
            "ops": dict(sorted(ops.items())),
            "dtypes": sorted(dtypes),
            "paths_2op": len(pairs),
            "paths_3op": len(triples),
            "graphs_per_second": round(len(graphs) / gen_seconds, 1) if gen_seconds else None,
        }
        if not args.check and not args.json:
            for seed, g in graphs:
                print(f"# seed {seed}\n{g.summary()}\n")
            return 0
        if args.json:
            if not args.check:
                report["graphs"] = [{"seed": s, "graph": g.to_json()} for s, g in graphs]
            emit_json(report)
        else:
            print(f"{report['valid']}/{report['total']} valid; {report['op_types']} op types; dtypes {', '.join(report['dtypes'])}; "
                  f"{report['paths_2op']} 2-op and {report['paths_3op']} 3-op paths; {report['graphs_per_second']} graphs/s")
            for bad in invalid[:20]:
                print(f"  seed {bad['seed']}: {bad['why']}")
        return 0 if not invalid else 1


def _paths(g, length: int) -> set[tuple[str, ...]]:
    """Distinct op-type sequences along edges, of the given length."""
    frontier = [[n] for n in g.op_nodes]
    for _ in range(length - 1):
        frontier = [p + [c] for p in frontier for v in p[-1].outputs for c, _ in v.uses()]
    return {tuple(n.op_type for n in p) for p in frontier}


def _validate(g, seed: int) -> str | None:
    import io

    import onnx
    import torch

    from fuzzer.choices import NumpyChoices
    from fuzzer.generate import draw_inputs
    from fuzzer.materialize import build_module, torch_inputs

    inputs = draw_inputs(g, NumpyChoices(seed))
    try:
        module = build_module(g)
        with torch.no_grad():
            module(*torch_inputs(g, inputs))
    except Exception as e:
        return f"torch eager: {type(e).__name__}: {e}"
    buf = io.BytesIO()
    try:
        torch.onnx.export(module, torch_inputs(g, inputs), buf, dynamo=False, opset_version=17)
        onnx.checker.check_model(onnx.load_model_from_string(buf.getvalue()), full_check=True)
    except Exception as e:
        return f"export/check: {type(e).__name__}: {str(e)[:200]}"
    return None
