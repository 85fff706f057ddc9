import numpy as np
from hypothesis import given, settings, strategies as st

from fuzzer.choices import HypothesisChoices, NumpyChoices
from fuzzer.generate import GenConfig, draw_inputs, generate


def test_same_seed_same_graph_and_inputs():
    for seed in (0, 7, 123456789):
        a, b = NumpyChoices(seed), NumpyChoices(seed)
        ga, gb = generate(a, GenConfig()), generate(b, GenConfig())
        assert ga.dumps() == gb.dumps()
        ia, ib = draw_inputs(ga, a), draw_inputs(gb, b)
        assert ia.keys() == ib.keys()
        for k in ia:
            assert np.array_equal(ia[k], ib[k])


def test_different_seeds_differ():
    graphs = {generate(NumpyChoices(s), GenConfig()).dumps() for s in range(20)}
    assert len(graphs) == 20


def test_numpy_choices_ranges():
    c = NumpyChoices(1)
    values = [c.integer(3, 5) for _ in range(200)]
    assert set(values) == {3, 4, 5}
    assert all(0.0 <= c.real(0, 1) <= 1.0 for _ in range(50))
    assert c.choice(["a"]) == "a"


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_hypothesis_choices_build_valid_graphs(data):
    g = generate(HypothesisChoices(data), GenConfig(max_nodes=5))
    assert 1 <= len(g) <= 5
    assert g.outputs and all(not v.uses() for v in g.outputs)
