"""Check a user's own ONNX model."""
from __future__ import annotations

from pathlib import Path

from fuzzer.cli.base import Command, emit_json, name_list, positive_float, positive_int


class Check(Command):
    """Check your own ONNX model through every transformer and on every runtime, judged by the campaign's oracle.

    The model runs on every runtime at several draws of inputs (inside each op's
    domain) or at --inputs; each transformer's output (optimizers, version
    converter, float16, quantization) runs on the runtimes where the model itself
    passed. Outputs are judged against the ONNX reference evaluator on a float64
    copy of the model, once another runtime agrees with it (else the agreement
    of two runtimes), with the campaign's tolerances, stability checks and
    kernel-gap handling. One row per (transformer path, runtime), with mismatch
    statistics. Each distinct failure is blamed, reduced (written under --out)
    and, with --file-bugs DIR, filed with a standalone repro.
    Exit code 0 when nothing fails, 1 when something does, 2 on bad input.
    """

    name = "check"

    def add_arguments(self, p):
        p.add_argument("model", type=Path, help="the .onnx model")
        p.add_argument("--inputs", type=Path, default=None, metavar="FILE.npz", help="input values, one array per graph input")
        p.add_argument("--converters", type=name_list, default=None,
                       help="transformers to apply (default: every available one; none: the model alone)")
        p.add_argument("--runtimes", type=name_list, default=None, help="runtimes (default: every available one)")
        p.add_argument("--draws", type=positive_int, default=3, help="input draws (default 3; --inputs counts as the first)")
        p.add_argument("--seed", type=int, default=0, help="seed of the input draws (default 0)")
        p.add_argument("--workers", type=positive_int, default=1, help="worker processes (default 1)")
        p.add_argument("--no-reduce", action="store_true", help="report failures without reducing them")
        p.add_argument("--reduce-seconds", type=positive_float, default=120.0, help="time budget per failure (default 120)")
        p.add_argument("--out", type=Path, default=None, metavar="DIR",
                       help="where reduced models go (default: MODEL.check/ next to the model)")
        p.add_argument("--file-bugs", type=Path, default=None, metavar="DIR", help="file each blamed failure as DIR/<id>/")
        p.add_argument("--stage-timeout", type=positive_float, default=60.0, help="seconds one step may take before it is a hang")
        p.add_argument("--json", action="store_true", help="machine-readable output")

    def run(self, args) -> int:
        from fuzzer.check import Checker, load_inputs, load_model
        from fuzzer.errors import UsageError
        from fuzzer.plugin import select

        model = load_model(args.model)
        inputs = load_inputs(args.inputs, model)
        runtimes = [p.name for p in select("runtime", args.runtimes)]
        transformers = transformer_names(args.converters)
        if not runtimes:
            raise UsageError("no runtime is available")
        with Checker(runtimes, transformers, args.draws, args.seed, args.workers, args.stage_timeout) as checker:
            report = checker.check(model, str(args.model), inputs)
            if not args.no_reduce:
                out = args.out or args.model.with_name(args.model.stem + ".check")
                _reduce_and_file(checker, report, model, out, args)
        if args.json:
            emit_json(report.to_json())
        else:
            _print(report)
        return 1 if report.failures else 0


def transformer_names(names: list[str] | None) -> list[str]:
    """The transformers --converters names (every available one for None, no one for ["none"]).

    Raises:
        UsageError: a name is unknown or unavailable, or names an exporter.
    """
    from fuzzer.errors import UsageError
    from fuzzer.plugin import select

    if names == ["none"]:
        return []
    converters = select("converter", names)
    exporters = [p.name for p in converters if p.kind != "transformer"]
    if names and exporters:
        raise UsageError(f"{', '.join(exporters)}: not an ONNX-to-ONNX transformer; a model that is already ONNX "
                         "goes through transformers only")
    return [p.name for p in converters if p.kind == "transformer"]


def _reduce_and_file(checker, report, model, out: Path, args) -> None:
    """Reduce each distinct blamed failure once; its duplicates share the result."""
    import onnx

    from fuzzer.minimize.onnx_model import reduce_model

    done: dict = {}
    for row in report.failures:
        if row.blame is None or row.blame.system is None:
            continue
        key = row.key()
        if key in done:
            row.reduced, row.filed = done[key].reduced, done[key].filed
            continue
        done[key] = row
        draw = row.verdict.stats.get("draw", 0)
        feeds = checker.draws_used[draw][0] if draw < len(checker.draws_used) else None
        smallest, tried = reduce_model(model, lambda c: checker.holds(row, c, feeds), args.reduce_seconds)
        out.mkdir(parents=True, exist_ok=True)
        name = f"{len(done)}-{row.blame.system}-{row.verdict.kind.value}.onnx"
        onnx.save(smallest, str(out / name))
        row.reduced = {"nodes": len(smallest.graph.node), "from": len(model.graph.node), "candidates": tried,
                       "output": str(out / name)}
        if args.file_bugs is not None:
            row.filed = _file(checker, row, smallest, feeds, args)


def _file(checker, row, model, feeds, args) -> str:
    from dataclasses import replace

    import numpy as np

    from fuzzer.check import CRASHES, Row
    from fuzzer.check.filing import file_check_bug
    from fuzzer.minimize.onnx_model import reduce_model

    if row.transformer and row.blame.role == "runtime":
        # the runtime fails on the transformer's output: that model, reduced as the runtime's own
        # failure, is the runtime maintainer's repro
        model = checker.transformed(model, row.verdict.path)
        made_by = row.transformer
        blame = replace(row.blame, reason=f"{row.blame.witness} runs the same model correctly; the model is "
                                          f"{made_by}'s output for the checked model")
        row = Row(replace(row.verdict, path=row.verdict.path.split(">")[0]), blame)
        if model is None or not checker.holds(row, model, feeds):
            return "not filed: the runtime does not fail the same way on the transformer's output alone"
        model, _ = reduce_model(model, lambda c: checker.holds(row, c, feeds), args.reduce_seconds)
    result = checker.rerun(row, model, feeds)
    if checker.matching(row, result) is None:
        return "not filed: the reduced model no longer fails the same way"
    draws = result.notes.get("settled", ([],))[0]
    if not draws:
        return "not filed: no inputs to run it on"
    used, ref = draws[0]
    if ref is None and row.verdict.kind not in CRASHES:
        return "not filed: no reference to compare with"
    expected = [np.asarray(t).astype(d) if d != "unknown" else np.asarray(t)
                for t, d in zip(ref.truth, ref.dtypes)] if ref is not None else []
    bug_id, new, what = file_check_bug(args.file_bugs, row, model, used, expected, args.model.name)
    return f"{bug_id}: {what}"


def _fmt(x) -> str:
    return "" if x is None else f"{x:.3g}"


def _print(report) -> None:
    print(f"{report.model}: {report.nodes} nodes, opset {report.opset}; {report.draws} input draws; "
          f"reference: {report.reference}")
    head = ("path", "runtime", "verdict", "max abs", "max rel", "tol used")
    rows = []
    for r in report.rows:
        v = r.verdict
        s = v.stats
        rows.append((v.path, v.runtime or "-", v.kind.value, _fmt(s.get("max_abs")), _fmt(s.get("max_rel")),
                     _fmt(s.get("needed_scale"))))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    for line in [head, *rows]:
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip())
    for r in report.failures:
        v = r.verdict
        print(f"\n{v.kind.value} on {v.path} / {v.runtime or '-'}: {v.error.strip().splitlines()[0][:300]}")
        if r.blame is not None:
            print(f"  at fault: {r.blame.system or 'ambiguous'} ({r.blame.reason})")
        if r.reduced is not None:
            print(f"  reduced: {r.reduced['from']} -> {r.reduced['nodes']} nodes, {r.reduced['output']}")
        if r.filed is not None:
            print(f"  bug {r.filed}")
    n = len(report.failures)
    print(f"\n{len(report.rows)} rows, {n} failing, {report.seconds:.1f} s")
