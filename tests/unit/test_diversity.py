"""PathTracker: op paths along edges, and the generator's preference for new ones."""
from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, PathTracker, generate, paths
from fuzzer.ir import DType, Graph, TensorType

T = TensorType(DType.float32, (2, 3))


def _chain(*ops: str) -> Graph:
    """x -> ops[0] -> ops[1] -> ..., plus a side branch relu(x) -> abs."""
    g = Graph()
    x = g.add_input(T)
    v = x
    for op in ops:
        v = g.add_node(op, [v], {}, [T]).outputs[0]
    side = g.add_node("abs", [g.add_node("relu", [x], {}, [T]).outputs[0]], {}, [T]).outputs[0]
    g.outputs = [v, side]
    return g


def test_paths_follow_edges_by_op_type():
    g = _chain("tanh", "neg", "tanh")
    assert paths(g, 1) == {("tanh",), ("neg",), ("relu",), ("abs",)}
    assert paths(g, 2) == {("tanh", "neg"), ("neg", "tanh"), ("relu", "abs")}
    assert paths(g, 3) == {("tanh", "neg", "tanh")}


def test_a_tracker_knows_which_continuations_are_new():
    g = _chain("tanh", "neg")
    tracker = PathTracker()
    end = g.outputs[0]  # produced by neg, whose input came from tanh
    assert tracker.novel(end, ["sigmoid", "exp"]) == ["sigmoid", "exp"]
    tracker.update(g)
    seen = _chain("tanh", "neg", "sigmoid")
    tracker.update(seen)
    # pairs (tanh, neg), (relu, abs), (neg, sigmoid); triple (tanh, neg, sigmoid)
    assert tracker.summary() == {"graphs": 2, "paths_2op": 3, "paths_3op": 1}
    # (neg, sigmoid) and (tanh, neg, sigmoid) are both known now; exp after neg is not
    assert tracker.novel(end, ["sigmoid", "exp"]) == ["exp"]
    # a graph input ends no path: nothing after it can make a pair
    assert tracker.novel(g.inputs[0], ["sigmoid"]) == []


def test_the_tracker_reaches_more_distinct_paths_than_plain_generation():
    config = GenConfig(max_nodes=8)
    plain, guided = set(), set()
    tracker = PathTracker()
    for seed in range(150):
        plain |= paths(generate(NumpyChoices(seed), config), 3)
        guided |= paths(generate(NumpyChoices(seed), config, tracker), 3)
    assert tracker.triples == guided and tracker.graphs == 150
    assert len(guided) > 1.2 * len(plain), (len(guided), len(plain))


def test_guided_generation_is_replayable_from_the_same_tracker_state():
    config = GenConfig(max_nodes=8)
    first, second = PathTracker(), PathTracker()
    a = [generate(NumpyChoices(s), config, first).to_json() for s in range(20)]
    b = [generate(NumpyChoices(s), config, second).to_json() for s in range(20)]
    assert a == b


def test_default_dtypes_are_the_nine_and_graphs_mix_them():
    from fuzzer.generate import DEFAULT_DTYPES

    assert {d.value for d in DEFAULT_DTYPES} == {
        "float32", "float16", "bfloat16", "float64", "int8", "uint8", "int32", "int64", "bool"}
    seen, mixed, starts = set(), 0, {}
    for seed in range(300):
        g = generate(NumpyChoices(seed), GenConfig())
        kinds = {v.type.dtype for v in g.values()}
        seen |= kinds
        mixed += len(kinds) > 1
        first = g.inputs[0].type.dtype
        starts[first] = starts.get(first, 0) + 1
    assert seen == set(DEFAULT_DTYPES)
    assert mixed > 100  # casts, comparisons and integer outputs put several dtypes in one graph
    assert max(starts, key=starts.get) == DType.float32
