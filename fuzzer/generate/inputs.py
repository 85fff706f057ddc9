"""Concrete input tensors for a graph, drawn inside each input's domain: ordinary values mixed
with special ones (fuzzer.generate.values)."""
from __future__ import annotations

from collections import Counter

import numpy as np

from fuzzer.choices import Choices, rng_for
from fuzzer.generate.values import draw_array
from fuzzer.ir import Graph


def draw_inputs(graph: Graph, choices: Choices, *, special: float = 1.0, tally: Counter | None = None) -> dict[str, np.ndarray]:
    """One array per graph input, keyed by the input's value name.

    special: scales the chance that an input mixes in special values (0: ordinary values only).
    tally: when given, counts "elements" drawn and "special" elements among them.
    """
    rng = rng_for(choices)
    out = {}
    for v in graph.inputs:
        out[v.name], n = draw_array(rng, v.type, graph.domain(v), special=special)
        if tally is not None:
            tally["elements"] += v.type.numel
            tally["special"] += n
    return out
