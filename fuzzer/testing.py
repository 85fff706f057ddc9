"""A pytest helper: judge one converter/runtime pair on one graph with onnxfuzz's oracles.

Meant for the body of a Hypothesis test over `fuzzer.strategies.graphs()`:

    @given(graphs(ops=["relu", "add"], max_nodes=5))
    def test_onnxsim(graph):
        check_graph(graph, converter="onnxsim", runtime="onnxruntime")

The graph goes through the same pipeline as a campaign case (fuzzer.case.run_case):
float64 torch truth, export, the optional ONNX-to-ONNX converter, the runtime,
and the oracles' verdicts with their dtype- and sensitivity-aware tolerances.
A failing verdict raises AssertionError carrying the oracle's statistics, so
Hypothesis shrinks towards the smallest graph with that failure. A case that
cannot be judged (a documented gap, a numerically unstable graph, no finite
truth) is rejected like `assume(False)` inside Hypothesis, skipped otherwise.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fuzzer.case import CaseResult
    from fuzzer.ir import Graph

__all__ = ["check_graph", "onnxfuzz_check"]


def check_graph(
    graph: "Graph",
    *,
    converter: str | None = None,
    runtime: str = "onnxruntime",
    exporter: str = "torchscript",
    opset: int | None = None,
    seed: int = 0,
) -> "CaseResult":
    """Judge exporter (then converter, if any) on runtime for graph.

    Args:
        graph: an IR graph, e.g. drawn from fuzzer.strategies.graphs().
        converter: an ONNX-to-ONNX converter plugin name ("onnxsim", "version-up", ...),
            or None to judge the exporter alone.
        runtime: the runtime plugin name that runs the model.
        exporter: the exporter plugin name; its frontend must match the graph's
            ("onnx-direct" for graphs drawn with frontend="onnx").
        opset: the opset to export at; None draws one from the exporter's range.
        seed: seeds the input values (and the opset draw).

    Returns:
        The CaseResult, when every verdict passed.

    Raises:
        AssertionError: a verdict failed; the message has the verdict, the
            converter path, the error or mismatch statistics, and the graph.
        UsageError: an unknown plugin name.
    """
    import dataclasses

    from fuzzer.case import CaseSpec, case_frontend, run_case
    from fuzzer.generate import GenConfig

    config = dataclasses.replace(GenConfig(), frontend=case_frontend([exporter]))
    spec = CaseSpec(
        case_id=0, seed=seed, config=config, exporters=[exporter], runtimes=[runtime],
        transformers=[converter] if converter else [], graph_json=graph.dumps(), opset=opset,
    )
    result = run_case(spec)
    failures = result.failures
    if failures:
        raise AssertionError(_describe(failures, graph))
    if result.status != "judged":
        _reject(f"case {result.status}: not judged")
    # the pair asked about is judged only on the model of the full path (exporter, then
    # converter); no pass there without a failure means a documented gap stopped it
    def on_path(v) -> bool:
        steps = [step.split("@")[0] for step in v.path.split(">")]
        return v.runtime == runtime and steps == [exporter] + ([converter] if converter else [])

    if not any(v.kind.value == "pass" and on_path(v) for v in result.verdicts):
        why = next((v.error for v in result.verdicts if v.kind.value == "unsupported"), "no verdict on that path")
        _reject(f"not judged: {why[:200]}")
    return result


def _describe(failures, graph) -> str:
    lines = []
    for v in failures:
        lines.append(f"{v.kind.value} at {v.stage.value} on {v.path} / {v.runtime or '-'} (ops {', '.join(v.ops)})")
        if v.stats:
            lines.append("  " + ", ".join(f"{k}={_fmt(val)}" for k, val in sorted(v.stats.items())))
        if v.error:
            lines.append("  " + v.error[:500])
    lines.append("graph:\n" + graph.summary())
    return "\n".join(lines)


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _reject(why: str) -> None:
    """Drop this example: assume(False) inside a Hypothesis test, pytest.skip outside one."""
    from hypothesis import reject
    from hypothesis.control import currently_in_test_context

    if currently_in_test_context():
        reject()
    import pytest

    pytest.skip(why)


try:  # the fixture is there for whoever has pytest; the helper itself needs only Hypothesis
    import pytest as _pytest

    @_pytest.fixture
    def onnxfuzz_check():
        """check_graph as a fixture: `def test_x(onnxfuzz_check): onnxfuzz_check(graph, converter=...)`.

        Import it into a conftest.py (`from fuzzer.testing import onnxfuzz_check`) to use it.
        """
        return check_graph
except ImportError:  # pragma: no cover
    pass
