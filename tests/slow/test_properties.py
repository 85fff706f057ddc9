"""Hypothesis properties of the generator, drawn through the same Choices interface.

Hypothesis shrinks a failing example by shrinking the choice sequence, so a
failure here is reported as the smallest graph that still breaks the property.
"""
import io

import pytest
from hypothesis import HealthCheck, assume, given, note, settings, strategies as st

from fuzzer.choices import HypothesisChoices
from fuzzer.generate import GenConfig, draw_inputs, generate
from fuzzer.materialize import build_module, torch_inputs
from fuzzer.plugin import load_plugin

pytestmark = pytest.mark.slow

# Derandomized: the export property meets real exporter bugs, so a random seed could fail
# CI on a change that has nothing to do with them. Finding new ones is the campaigns' job.
SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@SETTINGS
@given(st.data())
def test_every_graph_runs_in_torch_eager_with_the_inferred_types(data):
    import torch

    choices = HypothesisChoices(data)
    g = generate(choices, GenConfig(max_nodes=8))
    note(g.summary())
    inputs = draw_inputs(g, choices)
    for truth in (False, True):
        with torch.no_grad():
            outs = build_module(g, truth=truth)(*torch_inputs(g, inputs, truth=truth))
        for v, t in zip(g.outputs, outs):
            want = "float64" if truth and v.type.dtype.is_float else v.type.dtype.value
            assert (str(t.dtype).removeprefix("torch."), tuple(t.shape)) == (want, v.type.shape), v.producer()


@SETTINGS
@given(st.data())
def test_every_graph_exports_with_torchscript_to_a_checker_valid_model(data):
    """The TorchScript exporter either exports a model the checker accepts
    (full check, strict shape inference) or declares the graph unsupported.

    A checker failure here is a finding about the exporter, not about the
    generator. Node forms with a known exporter bug of that kind are kept out of
    this property (KNOWN_INVALID_EXPORTS) and are fuzzed by campaigns instead.
    """
    import onnx
    import torch

    from fuzzer.case import _TYPE_GAP

    choices = HypothesisChoices(data)
    g = generate(choices, GenConfig(max_nodes=8))
    note(g.summary())
    assume(known_invalid_export(g) is None)
    inputs = draw_inputs(g, choices)
    module = build_module(g)
    exporter = load_plugin("converter", "torchscript")
    buf = io.BytesIO()
    try:
        torch.onnx.export(module, torch_inputs(g, inputs), buf, dynamo=False, opset_version=17)
    except Exception as e:
        assert exporter.is_unsupported(e), f"export failed: {type(e).__name__}: {e}"
        return
    try:
        onnx.checker.check_model(onnx.load_model_from_string(buf.getvalue()), full_check=True)
    except Exception as e:
        assert _TYPE_GAP.search(str(e)), f"invalid model: {e}"


def _rank0_with_dim(node) -> bool:
    return bool(node.inputs) and node.inputs[0].type.rank == 0 and node.attrs.get("dim") not in (None, [], ())


def _unbatched_pool(node) -> bool:
    spatial = 2 if node.op_type.endswith("2d") else 1
    return "pool" in node.op_type and node.inputs[0].type.rank == spatial + 1


def _dim_empty_list(node) -> bool:
    return node.attrs.get("dim") in ([], ())


def _negative_perm(node) -> bool:
    return any(d < 0 for d in node.attrs.get("dims", []))


#: (which node forms, the TorchScript exporter bug of torch 2.13 that makes them export as an
#: invalid model or crash). Found by onnxfuzz; campaigns keep fuzzing them, this property skips them.
KNOWN_INVALID_EXPORTS = [
    (_rank0_with_dim, "a reduction/softmax/cumsum on a rank-0 input with an explicit dim exports an invalid axis or crashes"),
    (_unbatched_pool, "pooling an unbatched (no batch dim) input exports wrong attribute sizes or rank"),
    (_dim_empty_list, "sum/mean with dim=[] export a wrong shape or type, or raise SymbolicValueError with dtype="),
    (lambda n: n.op_type == "permute" and _negative_perm(n), "a negative permute dim exports an invalid Transpose perm"),
    (lambda n: n.op_type == "all" and n.inputs[0].type.dtype.value != "bool", "all() on a non-bool input exports Not on float/int"),
    (lambda n: n.op_type in ("all", "any") and "dim" in n.attrs and n.attrs["dim"] is None, "all/any with an explicit dim=None raise AttributeError"),
    (lambda n: n.op_type == "squeeze" and isinstance(n.attrs.get("dim"), (list, tuple)), "squeeze with a tuple of dims including non-1 dims raises ValueError"),
    (lambda n: "dim" in n.attrs and n.attrs["dim"] is None and n.attrs.get("keepdim"),
     "a reduction with dim=None, keepdim=True exports the wrong rank (bugs/torchscript-shape-mismatch-dbba37, -2029c4), "
     "and the ops after it then fail to export"),
    (lambda n: n.op_type == "scatter_reduce" and n.attrs.get("include_self") is False,
     "TorchScript refuses include_self=False with a bare OnnxExporterError, which the torchscript "
     "plugin's is_unsupported does not recognise yet (a documented refusal, not an invalid model)"),
    (lambda n: n.op_type == "one_hot" and n.inputs[0].type.rank == 0,
     "one_hot of a rank-0 index exports OneHot with rank-0 indices, which ONNX rejects (found by this property)"),
    (lambda n: n.op_type == "pad" and n.attrs.get("mode") == "circular",
     "circular pad (seen with pad=[0, 0] on a rank-2 input) exports a Concat with an out-of-range axis "
     "(found by this property)"),
]


def known_invalid_export(g) -> str | None:
    for node in g.op_nodes:
        for matches, why in KNOWN_INVALID_EXPORTS:
            if matches(node):
                return f"{node.op_type}: {why}"
    return None


def test_hypothesis_shrinks_an_injected_bug_to_a_small_graph(monkeypatch):
    """The whole chain of the public API: graphs() draws, check_graph() judges a toy optimizer
    whose one bug is an Add fed by a Relu reading the Relu's input, Hypothesis finds a failing
    graph among random ones and shrinks it to at most 3 op nodes that still hold the pattern."""
    from fuzzer.plugin import ENV_VAR
    from fuzzer.strategies import graphs
    from fuzzer.testing import check_graph
    from tests.unit.test_strategies import PLUGIN

    monkeypatch.setenv(ENV_VAR, PLUGIN)
    failing = []

    @settings(max_examples=200, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(graphs(ops=["tanh", "mul", "sub", "neg", "relu", "add"], dtypes=["float32"], min_nodes=1, max_nodes=8))
    def converter_keeps_values(graph):
        try:
            check_graph(graph, converter="relufold", runtime="onnxruntime")
        except AssertionError:
            failing.append(graph)  # Hypothesis replays the shrunk example last
            raise

    with pytest.raises(AssertionError, match="value_mismatch"):
        converter_keeps_values()
    smallest = failing[-1]
    print(f"first failing graph: {len(failing[0])} ops; shrunk: {len(smallest)} ops\n{smallest.summary()}")
    assert len(smallest) <= 3, smallest.summary()
    relu_into_add = [n for n in smallest.op_nodes if n.op_type == "add"
                     and any(v.producer().op_type == "relu" for v in n.inputs)]
    assert relu_into_add, smallest.summary()
    # it did shrink: the first failing example Hypothesis met was not already that small
    assert len(failing) > 1
