"""Reduce a failing case while its failure still holds.

What must hold is a Target: the failure's symptom, stage, converter path,
runtime and normalized error, but not the ops at fault (they are what
shrinks). Every candidate is a graph the generator could have built: each op's
preconditions hold and, where the original had one, its direct ONNX model is
valid (fuzzer.minimize.validity); otherwise the failure it shows would be
another one under the same words. The reducer tries the passes in order, takes the first candidate
that still fails, and starts over, until no pass yields a failing candidate:
the result is 1-minimal with respect to the passes. Counters per pass say
where the reduction came from, as Hypothesis's shrinker does.

A failure found with dynamic dims (the case exported some input dims
symbolically and ran the model at other sizes) may show only at another size,
or only in a model exported dynamic. Every candidate is therefore re-run with
the case's dynamic plan: case.py replays it where it still fits the smaller
graph, and `fit_plan` first moves a dim's base size along when a pass shrank
that dim, so that shapes can shrink while the dim stays dynamic. Once the graph
is minimal, the reducer tries the same graph static: a failure that holds
there too is reported static, which makes the simplest repro.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from fuzzer.case import CaseResult, CaseSpec, run_case
from fuzzer.generate import GenConfig
from fuzzer.ir import Graph
from fuzzer.minimize.passes import PASSES, body_steps, tidy
from fuzzer.minimize.validity import Validity
from oracles import Kind, Stage, Verdict, normalize_error
from oracles.verdict import path_family


@dataclass(frozen=True)
class Target:
    """The identity of one failure, as the reducer must preserve it."""

    kind: Kind
    stage: Stage
    path: str  # with opset and transformers: "torchscript@17>onnxsim"
    runtime: str
    error: str  # normalized
    #: the dynamic-shape plan the failing case ran with (DynamicPlan.to_json), or None when static;
    #: not part of the failure's identity (the size a failure shows at is not either)
    dynamic: dict | None = field(default=None, compare=False, hash=False)

    @classmethod
    def of(cls, v: Verdict, dynamic: dict | None = None) -> "Target":
        return cls(v.kind, v.stage, v.path, v.runtime, normalize_error(v.kind, v.error), dynamic)

    def with_plan(self, dynamic: dict | None) -> "Target":
        """The same failure with another dynamic plan (a reduced one, or None for static)."""
        return replace(self, dynamic=dynamic)

    def matches(self, v: Verdict) -> bool:
        return (
            v.kind is self.kind
            and v.stage is self.stage
            and path_family(v.path) == path_family(self.path)
            and v.runtime == self.runtime
            and normalize_error(v.kind, v.error) == self.error
        )

    def spec(self, graph: Graph, seed: int, inputs_npz: bytes | None) -> CaseSpec:
        """A case that runs graph along exactly this target's path, with this target's
        dynamic plan fitted to graph (case.py judges a dynamic model at every size of it)."""
        steps = self.path.split(">")
        exporter, _, opset = steps[0].partition("@")
        runtimes = [self.runtime] if self.runtime else []
        if len(steps) > 1 and not self.runtime:
            # a transformer only runs on a model that passes somewhere: give it runtimes to pass on
            runtimes = ["onnxruntime-noopt", "onnx-reference"]
        return CaseSpec(
            case_id=0,
            seed=seed,
            config=GenConfig(),
            exporters=[exporter],
            transformers=steps[1:],
            runtimes=runtimes,
            opset=int(opset),
            graph_json=graph.dumps(),
            inputs_npz=inputs_npz,
            dynamic=fit_plan(graph, self.dynamic),
        )


def fit_plan(graph: Graph, plan: dict | None) -> dict | None:
    """plan with each symbol's base size moved to graph's, where a pass shrank every dim of it
    alike (4 -> 2: the dim keeps varying, now from 2), or None when no input dim is left.

    What is left is for case.py to replay (fuzzer.generate.dynamic.replay): it drops the dims
    whose input is gone or whose size no longer matches the base, and the sizes at which the
    graph no longer re-types. A dim that shrank to 1 is left at its old base, so it is dropped:
    a size-1 dim is never dynamic. Sizes equal to the new base are dropped too.

    Raises:
        ValueError: plan is not a stored plan.
    """
    from fuzzer.generate.dynamic import DynamicPlan

    if plan is None:
        return None
    p = DynamicPlan.from_json(plan)
    shapes = {v.name: v.type.shape for v in graph.inputs}
    base = dict(p.base)
    for sym, old in p.base.items():
        now = {shapes[n][ax] for n, axes in p.dims.items() if n in shapes
               for ax, s in axes.items() if s == sym and ax < len(shapes[n])}
        if len(now) == 1 and (new := now.pop()) >= 2:
            base[sym] = new
    sizes = [s for s in p.sizes if any(s.get(sym, b) != b for sym, b in base.items())]
    if not sizes or not any(n in shapes for n in p.dims):
        return None
    return DynamicPlan(p.dims, base, sizes).to_json()


Evaluator = Callable[[CaseSpec], CaseResult | None]


def in_process(spec: CaseSpec) -> CaseResult | None:
    """Run a candidate here; a candidate torch itself rejects is simply not failing."""
    try:
        return run_case(spec)
    except Exception:
        return None


@dataclass
class Reduction:
    graph: Graph
    verdict: Verdict
    result: CaseResult
    candidates: int = 0
    accepted: int = 0
    seconds: float = 0.0
    per_pass: dict[str, list[int]] = field(default_factory=dict)  # pass -> [tried, accepted]
    original_ops: int = 0
    #: the dynamic plan the minimal graph fails with (what result ran with), None when static
    dynamic: dict | None = None
    #: the failure was found dynamic, and reproduces on the minimal graph exported static too
    static_too: bool = False
    #: candidates refused without a run for breaking the generator's validity rules
    refused: int = 0


def reduce(
    graph: Graph,
    target: Target,
    seed: int,
    inputs: dict[str, np.ndarray] | None = None,
    evaluate: Evaluator = in_process,
    max_seconds: float = 300.0,
) -> Reduction:
    """The smallest graph the passes reach on which target still fails.

    Raises:
        ValueError: the failure does not reproduce on the graph as given.
    """
    t0 = time.perf_counter()
    npz = _npz(inputs)

    def check(g: Graph, plan: dict | None) -> tuple[Verdict, CaseResult] | None:
        result = evaluate(target.with_plan(plan).spec(g, seed, npz))
        if result is None:
            return None
        for v in result.verdicts:
            if target.matches(v):
                return v, result
        return None

    found = check(graph, target.dynamic)
    if found is None:
        raise ValueError(f"the failure does not reproduce: {target}")
    best = Reduction(graph, found[0], found[1], original_ops=len(graph), dynamic=found[1].dynamic)
    validity = Validity(graph)
    progress = True
    while progress and time.perf_counter() - t0 < max_seconds:
        progress = False
        for name, make in PASSES:
            tried = best.per_pass.setdefault(name, [0, 0])
            for candidate in make(best.graph):
                if time.perf_counter() - t0 >= max_seconds:
                    break
                # what a pass left unread (a weight whose attribute went) goes with it
                candidate = tidy(candidate)
                if _size(candidate) >= _size(best.graph):
                    continue
                if validity.why_not(candidate) is not None:
                    continue  # not a graph the generator could have built: its failure would be another
                tried[0] += 1
                best.candidates += 1
                hit = check(candidate, best.dynamic)
                if hit is not None:
                    tried[1] += 1
                    best.accepted += 1
                    best.graph, (best.verdict, best.result) = candidate, hit
                    best.dynamic = hit[1].dynamic  # the plan as it fits the smaller graph
                    progress = True
                    break
            if progress:
                break  # restart from the coarsest pass on the smaller graph
    if best.dynamic is not None:
        # a static export is the simpler report: take it when the failure holds there too
        tried = best.per_pass.setdefault("drop_dynamic", [0, 0])
        tried[0] += 1
        best.candidates += 1
        hit = check(best.graph, None)
        if hit is not None and hit[1].dynamic is None:
            tried[1] += 1
            best.accepted += 1
            best.verdict, best.result = hit
            best.dynamic = None
    # found dynamic, minimal static: by the pass above, or by a candidate the plan no longer fit
    best.static_too = found[1].dynamic is not None and best.dynamic is None
    best.refused = validity.refused
    best.seconds = time.perf_counter() - t0
    return best


def _size(g: Graph) -> tuple[int, int, int, int, int, int, int]:
    """What "smaller" means, in order: fewer ops, fewer operands (a Mean of two inputs, not
    four), fewer elements, lower ranks, narrower dtypes, fewer attributes, less value entropy.
    A step of a control-flow op's body counts as an op."""
    ops = len(g) + body_steps(g)
    operands = sum(len(n.inputs) for n in g.op_nodes)
    elements = sum(v.type.numel for v in g.values())
    ranks = sum(v.type.rank for v in g.values())
    width = sum(v.type.dtype.numpy.itemsize for v in g.values())
    attrs = sum(len(n.attrs) for n in g.op_nodes)
    entropy = sum(len(np.unique(n.value)) for n in g.consts)
    return ops, operands, elements, ranks, width, attrs, entropy


def _npz(inputs) -> bytes | None:
    if not inputs:
        return None
    buf = io.BytesIO()
    np.savez(buf, **inputs)
    return buf.getvalue()
