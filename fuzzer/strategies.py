"""Hypothesis strategies for onnxfuzz graphs: the public property-testing API.

    from hypothesis import given
    from fuzzer.strategies import graphs
    from fuzzer.testing import check_graph

    @given(graphs(ops=["relu", "add", "matmul"], max_nodes=6))
    def test_onnxsim_keeps_values(graph):
        check_graph(graph, converter="onnxsim", runtime="onnxruntime")

`graphs()` runs the same generator campaigns run, with every decision drawn
from Hypothesis (fuzzer.choices.HypothesisChoices) instead of a seeded numpy
Generator. Hypothesis therefore shrinks a failing graph by shrinking that
choice sequence, and every shrunk sequence still builds a valid graph: the
generator clamps choices into range and never filters. Smaller node counts,
earlier ops in the op list, smaller ranks and dims are what it shrinks towards.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Iterable

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

__all__ = ["graphs"]


def graphs(
    *,
    ops: Iterable[str] | None = None,
    dtypes: Iterable[str] | None = None,
    min_nodes: int = 1,
    max_nodes: int = 8,
    max_rank: int = 4,
    max_dim: int = 6,
    dynamic: bool = False,
    frontend: str = "torch",
    control_flow: bool = False,
    swarm: bool = False,
) -> st.SearchStrategy:
    """A strategy for valid onnxfuzz IR graphs (fuzzer.ir.Graph).

    Args:
        ops: op spec names to draw from (`fuzzer.ops.op_names()`); default all that
            the frontend serves.
        dtypes: dtype names ("float32", "int64", ...); default the generator's nine.
        min_nodes, max_nodes: op nodes per graph (domain guards count too).
        max_rank, max_dim: the largest rank and dimension of drawn inputs.
        dynamic: export some input dims as dynamic (judged at more than one size).
        frontend: "torch" (graphs the torch exporters take), "onnx" (graphs built
            directly as ONNX) or "tf".
        control_flow: also draw If/Loop/Scan/torch.cond ops.
        swarm: draw each graph within a small random configuration first (a few of
            the ops, their dtypes, smaller sizes; fuzzer.generate.swarm), so that
            patterns among those few ops are common.

    Raises:
        InvalidArgument: an unknown op, dtype or frontend, bad sizes, or no op
            of the frontend that takes any of the dtypes.
    """
    config = _config(ops, dtypes, min_nodes, max_nodes, max_rank, max_dim, dynamic, frontend, control_flow)

    @st.composite
    def _graphs(draw):
        from fuzzer.choices import HypothesisChoices
        from fuzzer.generate import generate

        # HypothesisChoices wants an object with .draw, which `draw` itself is the method of
        choices = HypothesisChoices(SimpleNamespace(draw=draw))
        if swarm:
            from fuzzer.generate.swarm import draw_swarm

            return generate(choices, draw_swarm(choices, config).config(config))
        return generate(choices, config)

    return _graphs()


def _config(ops, dtypes, min_nodes, max_nodes, max_rank, max_dim, dynamic, frontend, control_flow):
    from fuzzer.errors import UsageError
    from fuzzer.generate import DEFAULT_DTYPES, GenConfig
    from fuzzer.ir import DType

    for name, value, lo in (("min_nodes", min_nodes, 1), ("max_nodes", max_nodes, 1), ("max_rank", max_rank, 0),
                            ("max_dim", max_dim, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < lo:
            raise InvalidArgument(f"{name}={value!r} must be an int >= {lo}")
    if isinstance(ops, str) or isinstance(dtypes, str):
        raise InvalidArgument("ops and dtypes take a list of names, not one string")
    try:
        types = DEFAULT_DTYPES if dtypes is None else frozenset(DType(d) for d in dtypes)
    except ValueError as e:
        raise InvalidArgument(f"{e}; known dtypes: {', '.join(d.value for d in DType)}") from None
    if not types:
        raise InvalidArgument("dtypes is empty")
    try:
        config = GenConfig(
            min_nodes=min_nodes, max_nodes=max_nodes, max_rank=max_rank, max_dim=max_dim, dtypes=types,
            ops=None if ops is None else tuple(ops), frontend=frontend, control_flow=control_flow, dynamic=dynamic,
            stepwise=True,
        )
        config.specs()  # an empty op set is an error now, not on the first draw
    except UsageError as e:
        raise InvalidArgument(str(e)) from None
    return config
