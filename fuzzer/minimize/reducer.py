"""Reduce a failing case while its failure still holds.

What must hold is a Target: the failure's symptom, stage, converter path,
runtime and normalized error, but not the ops at fault (they are what
shrinks). The reducer tries the passes in order, takes the first candidate
that still fails, and starts over, until no pass yields a failing candidate:
the result is 1-minimal with respect to the passes. Counters per pass say
where the reduction came from, as Hypothesis's shrinker does.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from fuzzer.case import CaseResult, CaseSpec, run_case
from fuzzer.generate import GenConfig
from fuzzer.ir import Graph
from fuzzer.minimize.passes import PASSES
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

    @classmethod
    def of(cls, v: Verdict) -> "Target":
        return cls(v.kind, v.stage, v.path, v.runtime, normalize_error(v.kind, v.error))

    def matches(self, v: Verdict) -> bool:
        return (
            v.kind is self.kind
            and v.stage is self.stage
            and path_family(v.path) == path_family(self.path)
            and v.runtime == self.runtime
            and normalize_error(v.kind, v.error) == self.error
        )

    def spec(self, graph: Graph, seed: int, inputs_npz: bytes | None) -> CaseSpec:
        """A case that runs graph along exactly this target's path."""
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
        )


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

    def check(g: Graph) -> tuple[Verdict, CaseResult] | None:
        result = evaluate(target.spec(g, seed, npz))
        if result is None:
            return None
        for v in result.verdicts:
            if target.matches(v):
                return v, result
        return None

    found = check(graph)
    if found is None:
        raise ValueError(f"the failure does not reproduce: {target}")
    best = Reduction(graph, found[0], found[1], original_ops=len(graph))
    progress = True
    while progress and time.perf_counter() - t0 < max_seconds:
        progress = False
        for name, make in PASSES:
            tried = best.per_pass.setdefault(name, [0, 0])
            for candidate in make(best.graph):
                if time.perf_counter() - t0 >= max_seconds:
                    break
                if _size(candidate) >= _size(best.graph):
                    continue
                tried[0] += 1
                best.candidates += 1
                hit = check(candidate)
                if hit is not None:
                    tried[1] += 1
                    best.accepted += 1
                    best.graph, (best.verdict, best.result) = candidate, hit
                    progress = True
                    break
            if progress:
                break  # restart from the coarsest pass on the smaller graph
    best.seconds = time.perf_counter() - t0
    return best


def _size(g: Graph) -> tuple[int, int, int, int, int, int]:
    """What "smaller" means, in order: fewer ops, fewer elements, lower ranks, narrower dtypes,
    fewer attributes, less value entropy."""
    ops = len(g)
    elements = sum(v.type.numel for v in g.values())
    ranks = sum(v.type.rank for v in g.values())
    width = sum(v.type.dtype.numpy.itemsize for v in g.values())
    attrs = sum(len(n.attrs) for n in g.op_nodes)
    entropy = sum(len(np.unique(n.value)) for n in g.consts)
    return ops, elements, ranks, width, attrs, entropy


def _npz(inputs) -> bytes | None:
    if not inputs:
        return None
    buf = io.BytesIO()
    np.savez(buf, **inputs)
    return buf.getvalue()
