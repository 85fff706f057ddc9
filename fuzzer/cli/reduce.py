"""Minimize a failing case, or an external ONNX model."""
from __future__ import annotations

import json
from pathlib import Path

from fuzzer.cli.base import Command, emit_json, name_list, positive_int
from fuzzer.errors import UsageError
from fuzzer.version import check_replayable


class Reduce(Command):
    """Minimize a failing case (a campaign's artifacts/case-<id> folder) while its failure still holds.

    With --file DIR, the minimized case is blamed on the system at fault and
    filed as DIR/<id>/ if its standalone repro reproduces. A path ending in
    .onnx is reduced as an external model instead: nodes are removed from
    anywhere in the graph, and input dims halved, while the failure holds. By
    default the failure is the first one `onnxfuzz check` finds on the model
    (the campaign's oracle, several input draws, --runtimes and --converters as
    there); with --check CMD, the candidate's path appended, while CMD exits 1.
    The reduced model is written next to the input (MODEL.reduced.onnx) unless
    --output says otherwise.
    Exit code 0 when reduced, 1 when the failure did not reproduce, 2 on bad input.
    """

    name = "reduce"

    def add_arguments(self, p):
        p.add_argument("target", type=Path, help="artifacts/case-<id> folder, or a .onnx model")
        p.add_argument("--verdict", type=int, default=0, help="which failing verdict of the case (default 0)")
        p.add_argument("--file", type=Path, default=None, metavar="DIR", help="file the minimized bug under DIR")
        p.add_argument("--converters", type=name_list, default=None,
                       help="witness exporters for blame (default torchscript,dynamo); for .onnx models, the transformers "
                            "to check through (default: every available one)")
        p.add_argument("--runtimes", type=name_list, default=None,
                       help="witness runtimes for blame (default onnxruntime,onnxruntime-noopt,onnx-reference); for .onnx "
                            "models, the runtimes to check on (default: every available one)")
        p.add_argument("--inputs", type=Path, default=None, metavar="FILE.npz", help="for .onnx models: input values")
        p.add_argument("--draws", type=positive_int, default=3, help="for .onnx models: input draws (default 3)")
        p.add_argument("--at-fault", default=None, metavar="PLUGIN",
                       help="with --file: the system at fault as a reviewer found it, where blame was ambiguous or wrong")
        p.add_argument("--check", default=None, metavar="CMD", help="for .onnx models: a command that exits 1 while the failure holds")
        p.add_argument("--output", type=Path, default=None, help="where to write the reduced model (.onnx input)")
        p.add_argument("--max-seconds", type=float, default=300.0, help="time budget (default 300)")
        p.add_argument("--json", action="store_true", help="machine-readable output")

    def run(self, args) -> int:
        if args.target.suffix == ".onnx":
            return _reduce_model(args)
        from fuzzer.minimize import Target
        from fuzzer.report.triage import CaseArtifacts, evaluator_for

        if not (args.target / "graph.json").exists():
            raise UsageError(f"{args.target} is neither a .onnx model nor a case folder with graph.json")
        check_case_version(args.target)
        try:
            case = CaseArtifacts.load(args.target)
        except (ValueError, KeyError, json.JSONDecodeError) as e:
            raise UsageError(f"{args.target}: unreadable case: {e}") from None
        failing = [v for v in case.verdicts if v.kind.is_failure]
        if not 0 <= args.verdict < len(failing):
            raise UsageError(f"{args.target} has {len(failing)} failing verdicts; --verdict must be below that")
        target = Target.of(failing[args.verdict], case.dynamic)
        with evaluator_for(failing[args.verdict]) as evaluate:
            return self._reduce(args, case, target, evaluate)

    def _reduce(self, args, case, target, evaluate) -> int:
        args.converters = args.converters or ["torchscript", "dynamo"]
        args.runtimes = args.runtimes or ["onnxruntime", "onnxruntime-noopt", "onnx-reference"]
        from fuzzer.minimize import reduce
        from fuzzer.report.blame import blame, runtime_family
        from fuzzer.report.regenerate import reduce_filed_model
        from fuzzer.report.writer import file_bug

        try:
            red = reduce(case.graph, target, case.seed, case.inputs, evaluate=evaluate, max_seconds=args.max_seconds)
        except ValueError as e:
            print(f"not reproduced: {e}")
            return 1
        report = {
            "target": {"kind": target.kind.value, "stage": target.stage.value, "path": target.path, "runtime": target.runtime},
            "original_ops": red.original_ops, "ops": len(red.graph), "candidates": red.candidates,
            "seconds": round(red.seconds, 2), "per_pass": red.per_pass, "graph": red.graph.summary(),
            "dynamic": red.dynamic, "static_too": red.static_too,
        }
        if args.file is not None:
            who = blame(red.graph, target.with_plan(red.dynamic), case.seed, red.result.inputs_npz, args.converters, args.runtimes, evaluate=evaluate)
            if args.at_fault:
                role = "runtime" if args.at_fault in (target.runtime, runtime_family(target.runtime)) else (
                    "transformer" if args.at_fault in target.path.split(">")[1:] else "exporter")
                who.system, who.role = args.at_fault, role
                who.reason = f"named by the reviewer (automatic blame said: {who.reason})"
            report["blame"] = {"system": who.system, "role": who.role, "reason": who.reason}
            if who.system:
                # one case filed on purpose is written even when it looks like a known bug's repeat
                filed = file_bug(args.file, red, target, who, {"case_id": case.case_id, "seed": case.seed, "workdir": str(args.target)},
                                 hold=False)
                if filed.new:
                    reduce_filed_model(filed.path)
                report["filed"] = {"id": filed.bug_id, "new": filed.new, "note": filed.reason}
        if args.json:
            emit_json(report)
        else:
            print(f"{red.original_ops} -> {len(red.graph)} ops, {red.candidates} candidates, {red.seconds:.1f} s")
            print(red.graph.summary())
            if red.dynamic:
                print(f"fails only with dynamic dims: {_dims_in_words(red.dynamic)}")
            elif red.static_too:
                print("found with dynamic dims, but fails exported static too: reduced static")
            if "blame" in report:
                print(f"at fault: {report['blame']['system'] or 'ambiguous'} ({report['blame']['reason']})")
            if "filed" in report:
                print(f"bug {report['filed']['id']}: {report['filed']['note'] or ('filed' if report['filed']['new'] else 'updated')}")
        return 0


def check_case_version(case_dir: Path) -> None:
    """Refuse (UsageError) a case folder recorded by another generator version: its seed, which
    the minimizer draws from, would not mean the same draws here."""
    meta = case_dir / "case.json"
    try:
        recorded = json.loads(meta.read_text()).get("generator") if meta.exists() else None
    except json.JSONDecodeError as e:
        raise UsageError(f"{meta}: unreadable case: {e}") from None
    check_replayable(recorded, f"case {case_dir}")


def _dims_in_words(plan: dict) -> str:
    from fuzzer.generate.dynamic import DynamicPlan

    p = DynamicPlan.from_json(plan)
    return f"{p.describe(p.base)} at base, run also at " + "; ".join(p.describe(s) for s in p.sizes)


def _reduce_model(args) -> int:
    """reduce MODEL.onnx: while --check CMD exits 1, or while the first failure `check` finds holds."""
    import onnx

    from fuzzer.check import Checker, load_inputs, load_model
    from fuzzer.cli.check import transformer_names
    from fuzzer.minimize.onnx_model import reduce_model, reduce_onnx_file
    from fuzzer.plugin import select

    if args.check:
        out = reduce_onnx_file(args.target, args.output, args.check, args.max_seconds)
        if args.json:
            emit_json(out)
        elif out["reproduced"]:
            print(f"{out['original_nodes']} -> {out['nodes']} nodes in {out['seconds']:.1f} s "
                  f"({out['candidates']} candidates); written to {out['output']}")
        else:
            print(f"not reproduced: {args.check} did not exit 1 on the model as given; nothing to reduce")
        return 0 if out["reproduced"] else 1
    model = load_model(args.target)
    inputs = load_inputs(args.inputs, model)
    runtimes = [p.name for p in select("runtime", args.runtimes)]
    transformers = transformer_names(args.converters)
    with Checker(runtimes, transformers, args.draws) as checker:
        report = checker.check(model, str(args.target), inputs)
        tried = (f"{report.draws} input draws on {', '.join(runtimes)}, through "
                 f"{', '.join(transformers) or 'no transformer'} (reference: {report.reference})")
        row = next((r for r in report.failures if r.blame is not None and r.blame.system), None) or next(
            iter(report.failures), None)
        if row is None:
            out = {"reproduced": False, "tried": tried, "original_nodes": len(model.graph.node)}
            if args.json:
                emit_json(out)
            else:
                print(f"not reproduced: no failure in {tried}; nothing to reduce")
            return 1
        draw = row.verdict.stats.get("draw", 0)
        feeds = checker.draws_used[draw][0] if draw < len(checker.draws_used) else None
        smallest, candidates = reduce_model(model, lambda c: checker.holds(row, c, feeds), args.max_seconds)
    path = args.output or args.target.with_name(args.target.stem + ".reduced.onnx")
    onnx.save(smallest, str(path))
    v = row.verdict
    out = {"reproduced": True, "tried": tried, "failure": row.to_json(), "original_nodes": len(model.graph.node),
           "nodes": len(smallest.graph.node), "candidates": candidates, "output": str(path)}
    if args.json:
        emit_json(out)
    else:
        who = f"; at fault: {row.blame.system or 'ambiguous'} ({row.blame.reason})" if row.blame else ""
        print(f"{v.kind.value} on {v.path} / {v.runtime or '-'}: {v.error.strip().splitlines()[0][:200]}{who}")
        print(f"{out['original_nodes']} -> {out['nodes']} nodes ({candidates} candidates); written to {path}")
    return 0
