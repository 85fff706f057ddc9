"""The public Hypothesis API: fuzzer.strategies.graphs and fuzzer.testing.check_graph."""
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import InvalidArgument

from fuzzer.convert.base import Transformer
from fuzzer.ir import DType, Graph
from fuzzer.strategies import graphs
from fuzzer.testing import check_graph

DOCS = Path(__file__).resolve().parents[2] / "docs"
FAST = settings(max_examples=15, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def bypass_relu_before_add(serialized: bytes) -> bytes:
    """The injected bug: every Add fed by a Relu reads the Relu's input instead."""
    import onnx

    model = onnx.load_model_from_string(serialized)
    relu_input = {n.output[0]: n.input[0] for n in model.graph.node if n.op_type == "Relu"}
    for node in model.graph.node:
        if node.op_type == "Add":
            for i, name in enumerate(node.input):
                if name in relu_input:
                    node.input[i] = relu_input[name]
    return model.SerializeToString()


class ReluFold(Transformer):
    """Registered as converter "relufold" through ONNXFUZZ_PLUGINS by the tests that need it."""

    name = "relufold"
    opsets = tuple(range(13, 21))

    def transform(self, model, opset):
        return bypass_relu_before_add(model)

    def repro_source(self):
        import inspect

        return inspect.getsource(bypass_relu_before_add) + """
def transform_model(model_bytes, opset):
    return bypass_relu_before_add(model_bytes)
"""


PLUGIN = "converter:relufold=tests.unit.test_strategies:ReluFold"


@FAST
@given(graphs(ops=["relu", "add", "tanh"], dtypes=["float32", "int64"], max_nodes=5))
def test_drawn_graphs_are_valid_ir_within_the_asked_bounds(g):
    assert 1 <= len(g) <= 5
    # domain guards may add their own ops; these three need none
    assert set(g.op_types()) <= {"relu", "add", "tanh"}
    assert all(v.type.dtype in (DType.float32, DType.int64) for v in g.inputs)
    assert Graph.loads(g.dumps()).to_json() == g.to_json()
    assert g.outputs and all(not v.uses() for v in g.outputs)


@FAST
@given(graphs(frontend="onnx", max_nodes=4))
def test_onnx_frontend_graphs_hold_only_ops_with_a_direct_lowering(g):
    from fuzzer.ops import get_spec

    assert all(get_spec(op).has_onnx for op in g.op_types())


@pytest.mark.parametrize("kwargs, message", [
    ({"ops": ["no_such_op"]}, "unknown op"),
    ({"dtypes": ["float128"]}, "float128"),
    ({"max_nodes": 0}, "max_nodes"),
    ({"min_nodes": 5, "max_nodes": 2}, "min_nodes"),
    ({"frontend": "jax"}, "unknown frontend"),
    ({"ops": "relu"}, "not one string"),
    ({"ops": ["relu"], "dtypes": ["bool"]}, "no op"),
])
def test_bad_arguments_raise_invalid_argument_at_once(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        graphs(**kwargs)


def _relu_add_graph() -> Graph:
    """x -> relu -> add(., x): the pattern the toy optimizer breaks."""
    from fuzzer.ir import TensorType

    g = Graph()
    t = TensorType(DType.float32, (3, 4))
    x = g.add_input(t)
    r = g.add_node("relu", [x], {}, [t]).outputs[0]
    y = g.add_node("add", [r, x], {}, [t]).outputs[0]
    g.outputs = [y]
    return g


def test_check_graph_passes_a_healthy_pair_and_returns_its_result():
    result = check_graph(_relu_add_graph(), converter="onnxsim", runtime="onnxruntime")
    assert result.status == "judged"
    assert any(v.path.endswith(">onnxsim") and v.kind.value == "pass" for v in result.verdicts)


def test_check_graph_raises_with_the_oracle_statistics_on_a_buggy_converter(monkeypatch):
    from fuzzer.plugin import ENV_VAR

    monkeypatch.setenv(ENV_VAR, PLUGIN)
    with pytest.raises(AssertionError) as info:
        check_graph(_relu_add_graph(), converter="relufold", runtime="onnxruntime")
    text = str(info.value)
    assert "value_mismatch" in text and ">relufold" in text
    assert re.search(r"max_abs=\d", text) and "relu(" in text


def test_check_graph_skips_outside_hypothesis_when_the_case_cannot_be_judged():
    from fuzzer.ir import TensorType

    # log of a value the truth makes non-finite for every draw: x - x is 0, log(0) = -inf
    g = Graph()
    t = TensorType(DType.float32, (2,))
    x = g.add_input(t)
    z = g.add_node("sub", [x, x], {}, [t]).outputs[0]
    y = g.add_node("log", [z], {}, [t]).outputs[0]
    g.outputs = [y]
    with pytest.raises(pytest.skip.Exception, match="discarded"):
        check_graph(g)


def _doc_code(name: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(), re.S)
    assert blocks, f"no python block in {name}"
    return blocks[0]


def test_the_property_testing_guide_example_runs():
    from hypothesis import settings as hsettings

    # the example's own settings inherit from the active profile: keep it small and replayable here
    hsettings.register_profile("docs-example", max_examples=6, derandomize=True, database=None)
    previous = hsettings._current_profile
    hsettings.load_profile("docs-example")
    try:
        namespace: dict = {}
        exec(compile(_doc_code("property-testing.md"), "property-testing.md", "exec"), namespace)
        namespace["test_onnxsim_preserves_values"]()
    finally:
        hsettings.load_profile(previous or "default")


def test_the_adding_an_op_guide_example_is_a_correct_spec(monkeypatch):
    """The guide's rrelu, registered for this test: its graphs run in torch with the
    inferred types, and its direct ONNX models are checker-valid and agree with the truth."""
    import numpy as np
    import onnx
    from onnx.reference import ReferenceEvaluator

    from fuzzer.choices import NumpyChoices
    from fuzzer.generate import GenConfig, generate
    from fuzzer.materialize.onnx_model import model_proto
    from fuzzer.ops import _registry
    from fuzzer.run.eager import reference

    namespace: dict = {}
    exec(compile(_doc_code("adding-an-op.md"), "adding-an-op.md", "exec"), namespace)
    spec = namespace["Rrelu"]()
    assert spec.name not in _registry(), "the guide's example must be an op onnxfuzz does not have yet"
    monkeypatch.setitem(_registry(), spec.name, spec)
    bounds = set()
    for seed in range(8):
        g = generate(NumpyChoices(seed), GenConfig(ops=("rrelu",), frontend="onnx", max_nodes=3))
        assert set(g.op_types()) == {"rrelu"}
        bounds |= {(n.attrs["lower"], n.attrs["upper"]) for n in g.op_nodes}
        found = reference(g, NumpyChoices(seed))  # raises SpecBug on a type other than the inferred one
        assert found is not None
        ref, inputs = found
        for opset in (13, 18, onnx.defs.onnx_opset_version()):
            model = model_proto(g, opset)
            onnx.checker.check_model(model, full_check=True)
            onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
            outs = ReferenceEvaluator(model).run(None, {v.name: inputs[v.name] for v in g.inputs})
            for got, want in zip(outs, ref.truth):
                np.testing.assert_allclose(got.astype(np.float64), want, rtol=1e-5, atol=1e-6)
    assert bounds == {(0.125, 0.375), (0.0, 0.5), (0.25, 0.25)}
    assert spec.frontends() == {"torch", "onnx", "tf"}  # derived from the hooks the example defines
    pytest.importorskip("tensorflow")
    from fuzzer.materialize.tf_model import run_tf

    for seed in range(4):
        g = generate(NumpyChoices(seed), GenConfig(ops=("rrelu",), frontend="tf", max_nodes=3))
        ref, inputs = reference(g, NumpyChoices(seed))
        for got, want in zip(run_tf(g, inputs), ref.truth):
            np.testing.assert_allclose(got.astype(np.float64), want, rtol=1e-5, atol=1e-6)
