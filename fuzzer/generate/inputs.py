"""Concrete input tensors for a graph, drawn inside each input's domain."""
from __future__ import annotations

import numpy as np

from fuzzer.choices import Choices, rng_for
from fuzzer.generate.builder import sample_array
from fuzzer.ir import Graph


def draw_inputs(graph: Graph, choices: Choices) -> dict[str, np.ndarray]:
    """One array per graph input, keyed by the input's value name."""
    rng = rng_for(choices)
    return {v.name: sample_array(rng, v.type, graph.domain(v)) for v in graph.inputs}
