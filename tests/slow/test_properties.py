"""Hypothesis properties of onnxfuzz's own promises, drawn through the same Choices interface:
validity (every graph runs in torch eager with its inferred types; every direct model passes
the ONNX checker), replay (a seed gives the same graph, inputs and mutation, whatever ran
before) and shrinking (the minimizer keeps the failure; Hypothesis shrinks through graphs()).

What systems under test do with valid graphs is the campaigns' question, not a property here.
Hypothesis shrinks a failing example by shrinking the choice sequence, so a
failure here is reported as the smallest graph that still breaks the property.
"""
import io

import numpy as np

import pytest
from hypothesis import HealthCheck, assume, given, note, settings, strategies as st

from fuzzer.choices import HypothesisChoices
from fuzzer.generate import GenConfig, draw_inputs, generate
from fuzzer.materialize import build_module, torch_inputs

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
def test_every_direct_graph_is_a_valid_onnx_model_at_any_opset_it_allows(data):
    """onnxfuzz's own ONNX builder keeps the promise the generator makes: the direct model of a
    graph drawn for the "onnx" frontend passes the full checker with strict shape inference,
    at any opset from the graph's floor to the newest (campaigns and gen --check draw any)."""
    import onnx

    from fuzzer.materialize.onnx_model import lowest_opset, model_proto

    choices = HypothesisChoices(data)
    g = generate(choices, GenConfig(max_nodes=6, frontend="onnx"))
    floor = lowest_opset(g)
    opset = data.draw(st.integers(floor, onnx.defs.onnx_opset_version()), label="opset")
    note(g.summary())
    model = model_proto(g, opset)
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(seed=st.integers(0, 2**31 - 1), other=st.integers(0, 2**31 - 1), frontend=st.sampled_from(["torch", "onnx"]))
def test_a_seed_replays_its_graph_inputs_and_mutation_whatever_ran_before(seed, other, frontend):
    """(config, seed) replays the case: the same graph, inputs and mutation, also after other
    graphs were generated and mutated in the same process (no draw state kept between calls),
    and through the graph's JSON (what campaigns store and the minimizer replays)."""
    import numpy as np

    from fuzzer.choices import NumpyChoices
    from fuzzer.generate.mutate import mutate
    from fuzzer.ir import Graph

    config = GenConfig(max_nodes=8, frontend=frontend)
    first = generate(NumpyChoices(seed), config)
    inputs = draw_inputs(first, NumpyChoices(seed))
    mutated = mutate(first, NumpyChoices(seed), config).dumps()
    mutate(generate(NumpyChoices(other), config), NumpyChoices(other), config)  # warm the process up
    again = generate(NumpyChoices(seed), config)
    assert again.dumps() == first.dumps()
    assert Graph.loads(first.dumps()).dumps() == first.dumps()
    again_inputs = draw_inputs(Graph.loads(first.dumps()), NumpyChoices(seed))
    assert again_inputs.keys() == inputs.keys()
    assert all(np.array_equal(inputs[k], again_inputs[k], equal_nan=True) and inputs[k].dtype == again_inputs[k].dtype
               for k in inputs)
    assert mutate(Graph.loads(first.dumps()), NumpyChoices(seed), config).dumps() == mutated


@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
@given(st.data())
def test_the_minimizer_keeps_the_failure_and_never_grows_the_graph(faulty, data):
    """Shrinking, onnxfuzz's own: on any graph where the injected sign flip of the first tanh
    shows, the reduced graph fails the same way, has no more ops, and keeps a tanh."""
    from fuzzer.case import CaseSpec, run_case
    from fuzzer.minimize import Target, reduce
    from oracles import Kind

    choices = HypothesisChoices(data)
    config = GenConfig(max_nodes=6, ops=("tanh", "add", "mul", "relu", "sigmoid", "neg", "exp"), dtypes=frozenset({"float32"}))
    g = generate(choices, config)
    assume("tanh" in g.op_types())
    note(g.summary())
    r = run_case(CaseSpec(case_id=1, seed=1, config=config, exporters=["signflip"], runtimes=["onnxruntime"],
                          opset=17, graph_json=g.dumps()))
    failing = [v for v in r.failures if v.kind is Kind.VALUE_MISMATCH]
    assume(failing)  # the flip can be invisible (a tanh feeding only a relu of its negative, say)
    inputs = dict(np.load(io.BytesIO(r.inputs_npz)))
    red = reduce(g, Target.of(failing[0]), 1, inputs, max_seconds=120)
    assert red.verdict.kind is Kind.VALUE_MISMATCH
    assert len(red.graph) <= len(g) and "tanh" in red.graph.op_types(), red.graph.summary()


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
