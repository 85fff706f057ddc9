"""Rules of onnxslim ("onnxslim:rules"): the fusion and elimination patterns it applied, and
its whole-graph passes that changed the graph.

onnxslim keeps its patterns in one registry (DEFAULT_FUSION_PATTERNS: name -> matchers),
and calls a matcher's rewrite() only for a match it applies; wrapping each registered
matcher's rewrite once per process records the pattern by its registry name. Its passes
are module-level functions its optimizer looks up on every call (dead-node elimination,
common-subexpression elimination, weight tying) and graphsurgeon's fold_constants; each
is wrapped to compare the graph before and after it:
- a pass that changed which nodes the graph holds, or their types, or (weight tying)
  which constants the nodes read, is hit;
- constant folding is hit when it turned tensors into constants.
The inventory is the registry's pattern names of the installed onnxslim and the four passes.
"""
from __future__ import annotations

import functools

from fuzzer import coverage

SYSTEM = "onnxslim:rules"
PASSES = ("constant_folding", "dead_node_elimination", "subexpression_elimination", "weight_tying")


def inventory() -> dict:
    from importlib.metadata import version

    from onnxslim.core.pattern.registry import DEFAULT_FUSION_PATTERNS

    return {"version": version("onnxslim"), "rules": sorted([*DEFAULT_FUSION_PATTERNS, *PASSES])}


@coverage.quietly
def _record(rule: str) -> None:
    coverage.hit(SYSTEM, (rule,), inventory)


def _nodes(graph) -> set:
    return {(id(n), n.op) for n in graph.nodes}


def _reads(graph) -> set:
    return {(id(n), k, id(t)) for n in graph.nodes for k, t in enumerate(n.inputs)}


def _constants(graph) -> int:
    from onnxslim.third_party.onnx_graphsurgeon import Constant

    return sum(isinstance(t, Constant) for t in graph.tensors().values())


def _watching(rule: str, before_of, function):
    @functools.wraps(function)
    def run(graph, *args, **kwargs):
        before = before_of(graph)
        out = function(graph, *args, **kwargs)
        if before_of(graph) != before:
            _record(rule)
        return out

    run.__onnxfuzz_coverage__ = True
    return run


def _rewriting(name: str, rewrite):
    @functools.wraps(rewrite)
    def run(*args, **kwargs):
        _record(name)
        return rewrite(*args, **kwargs)

    return run


def instrument() -> None:
    """Wrap onnxslim's pattern rewrites and passes once per process."""
    from onnxslim.core import optimization
    from onnxslim.core.pattern.registry import DEFAULT_FUSION_PATTERNS
    from onnxslim.third_party.onnx_graphsurgeon import Graph

    if getattr(optimization.dead_node_elimination, "__onnxfuzz_coverage__", False) or not coverage.enabled():
        return
    for name, matchers in DEFAULT_FUSION_PATTERNS.items():
        for matcher in matchers:
            matcher.rewrite = _rewriting(name, matcher.rewrite)
    optimization.dead_node_elimination = _watching("dead_node_elimination", _nodes, optimization.dead_node_elimination)
    optimization.subexpression_elimination = _watching("subexpression_elimination", _nodes,
                                                       optimization.subexpression_elimination)
    optimization.tie_weights = _watching("weight_tying", _reads, optimization.tie_weights)
    Graph.fold_constants = _watching("constant_folding", _constants, Graph.fold_constants)
