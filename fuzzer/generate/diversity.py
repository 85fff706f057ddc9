"""Diversity guidance: favour op paths the generator has not produced yet.

Converter bugs live in patterns of a few connected ops (an exporter fuses
Conv+Add, an optimizer folds Transpose into MatMul), so what a campaign should
cover is not single ops but short paths of them. A PathTracker remembers every
2-op and 3-op path (by op type, along data edges) in the graphs generated so
far. While a graph grows, the generator asks it which candidate ops would
extend the chain ending at a chosen operand into a path not seen yet, and
picks among those more often.

The tracker only narrows what the generator's own Choices pick from, so graphs
stay valid by construction and replayable from (tracker state, seed). It holds
state across graphs: keep one per worker process (or per `gen` run).
"""
from __future__ import annotations

from typing import Iterable

from fuzzer.ir import Graph, Value

Path = tuple[str, ...]


def paths(graph: Graph, length: int) -> set[Path]:
    """Distinct op-type sequences of `length` ops along data edges of graph."""
    if length < 1:
        raise ValueError(f"path length must be at least 1, got {length}")
    frontier = [[n] for n in graph.op_nodes]
    for _ in range(length - 1):
        frontier = [p + [c] for p in frontier for v in p[-1].outputs for c, _ in v.uses()]
    return {tuple(n.op_type for n in p) for p in frontier}


def paths_ending_at(x: Value) -> tuple[list[Path], list[Path]]:
    """The 1-op and 2-op op-type paths whose last op produced x (empty when x is an input or constant)."""
    node = x.producer()
    if not node.is_op:
        return [], []
    singles = [(node.op_type,)]
    doubles = sorted({(v.producer().op_type, node.op_type) for v in node.inputs if v.producer().is_op})
    return singles, doubles


class PathTracker:
    """The 2-op and 3-op paths produced so far, and which continuations would be new."""

    def __init__(self) -> None:
        self.pairs: set[Path] = set()
        self.triples: set[Path] = set()
        self.graphs = 0

    def update(self, graph: Graph) -> None:
        """Record every path of a finished graph."""
        self.pairs |= paths(graph, 2)
        self.triples |= paths(graph, 3)
        self.graphs += 1

    def is_new(self, x: Value, op: str) -> bool:
        """Would a node of `op` consuming x create a pair or triple not produced yet?"""
        return bool(self.novel(x, [op]))

    def novel(self, x: Value, names: Iterable[str]) -> list[str]:
        """Those of names whose node on x would make a new pair or triple, in the given order."""
        singles, doubles = paths_ending_at(x)  # walked once: the graph lookups are the cost
        return [
            n for n in names
            if any(p + (n,) not in self.pairs for p in singles) or any(p + (n,) not in self.triples for p in doubles)
        ]

    def summary(self) -> dict:
        return {"graphs": self.graphs, "paths_2op": len(self.pairs), "paths_3op": len(self.triples)}


__all__ = ["PathTracker", "paths", "paths_ending_at"]
