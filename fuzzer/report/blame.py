"""Whose bug is it: the other converters and runtimes as witnesses.

The minimized case is run along every exporter path and on every runtime.
Then:
- a failure before any runtime (export, conversion, checker) is the converter's;
- a model that fails only after a transformer, where the model given to it
  passes, is the transformer's;
- a runtime that fails where the other runtimes pass on the same model is the runtime's;
- a model that every runtime gets wrong, where another exporter's model of the same
  graph passes, is the exporter's.
Anything else is ambiguous and is left for a human (and never filed automatically).

A target with a dynamic plan is witnessed with the same plan: every path
exports the same dims dynamic and runs at the same sizes, since a failure that
shows only at another size would look like a pass everywhere else.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from fuzzer.case import CaseSpec
from fuzzer.generate import GenConfig
from fuzzer.ir import Graph
from fuzzer.minimize.reducer import Evaluator, Target, fit_plan, in_process
from oracles import Kind, Stage
from oracles.verdict import path_family


def runtime_family(name: str) -> str:
    """Runtimes that share kernels: onnxruntime, onnxruntime-noopt and onnxruntime-mt are one family."""
    return name.split("-")[0] if name.startswith("onnxruntime") else name


@dataclass
class Blame:
    system: str  # the plugin at fault, or "" when ambiguous
    role: str  # exporter | transformer | runtime | ""
    reason: str
    witnesses: list[tuple[str, str, str]] = field(default_factory=list)  # (path, runtime, verdict kind)


def blame(graph: Graph, target: Target, seed: int, inputs_npz: bytes | None, exporters: list[str], runtimes: list[str],
          evaluate: Evaluator = in_process) -> Blame:
    from fuzzer.plugin import load_plugin

    exporters, runtimes = list(exporters or []), list(runtimes or [])  # None: no witnesses beyond the case's own
    steps = target.path.split(">")
    exporter, _, opset_text = steps[0].partition("@")
    opset = int(opset_text)
    all_runtimes = sorted(set(runtimes) | ({target.runtime} - {""}))
    witnesses: list[tuple[str, str, str]] = []
    for name in sorted(set(exporters) | {exporter}):
        opsets = load_plugin("converter", name).opsets
        spec = CaseSpec(
            case_id=0, seed=seed, config=GenConfig(), exporters=[name],
            transformers=steps[1:] if name == exporter else [], runtimes=all_runtimes,
            opset=opset if opset in opsets else min(opsets, key=lambda o: abs(o - opset)),
            graph_json=graph.dumps(), inputs_npz=inputs_npz, dynamic=fit_plan(graph, target.dynamic),
        )
        result = evaluate(spec)
        if result is not None:
            witnesses += [(v.path, v.runtime, v.kind.value) for v in result.verdicts]

    if target.stage is Stage.CHECK and len(steps) > 1:
        # a case only hands a transformer a model that passed the checker and ran correctly
        # on some runtime (fuzzer/case.py), so a model the checker rejects after it is its own
        return Blame(steps[-1], "transformer", f"{steps[-1]} turns a model that passes the checker and runs "
                     "correctly into one the checker rejects", witnesses)
    if target.stage in (Stage.EXPORT, Stage.CHECK):
        return Blame(exporter, "exporter", f"{exporter} fails before any runtime runs its model", witnesses)
    if target.stage is Stage.CONVERT:
        return Blame(steps[-1], "transformer", f"{steps[-1]} fails on a model it was given", witnesses)
    if len(steps) > 1:
        return Blame(steps[-1], "transformer", f"the model passes on {target.runtime} before {steps[-1]} and fails after it", witnesses)

    same = [(r, k) for p, r, k in witnesses if path_family(p) == exporter and r]
    mine = runtime_family(target.runtime)
    kin_pass = sorted(r for r, k in same if r != target.runtime and runtime_family(r) == mine and k == Kind.PASS.value)
    others_pass = sorted(r for r, k in same if runtime_family(r) != mine and k == Kind.PASS.value)
    others_fail = sorted(r for r, k in same if runtime_family(r) != mine and Kind(k).is_failure)
    if kin_pass:
        # e.g. ORT with graph optimizations fails where ORT without them passes
        return Blame(target.runtime, "runtime", f"{', '.join(kin_pass)} (same kernels, other settings) run the same model correctly", witnesses)
    if others_pass and not others_fail:
        return Blame(mine, "runtime", f"{', '.join(others_pass)} run the same model correctly", witnesses)
    if others_pass:
        return Blame("", "", f"on the same model {', '.join(others_pass)} pass but {', '.join(others_fail)} fail", witnesses)
    rivals = {path_family(p) for p, r, k in witnesses if path_family(p) != exporter and r == target.runtime}
    rivals_pass = sorted({path_family(p) for p, r, k in witnesses if path_family(p) in rivals and r == target.runtime and k == Kind.PASS.value})
    if rivals_pass:
        return Blame(exporter, "exporter", f"every runtime gets {exporter}'s model wrong; {', '.join(rivals_pass)}'s model of the same graph passes", witnesses)
    if rivals:
        return Blame("", "", "every exporter's model fails on every runtime: suspect the ground truth", witnesses)
    why = "no other exporter could export the graph" if set(exporters) - {exporter} else "no other exporter was a witness"
    return Blame(exporter, "exporter", f"every runtime gets {exporter}'s model wrong the same way ({why})", witnesses)
