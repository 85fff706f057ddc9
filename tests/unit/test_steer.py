"""Steering: the generator leaves out what no selected runtime supports, and only that."""
from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, generate
from fuzzer.probe import Capabilities
from fuzzer.probe.steer import avoided_pairs


def caps(name, unsupported=(), supported=()):
    """Capabilities with one Tanh node-test record per (dtype, status): schema version 13."""
    records = [{"name": f"t{i}", "op": "Tanh", "dtype": d, "opset": 13, "since": 13, "status": "unsupported"} for i, d in enumerate(unsupported)]
    records += [{"name": f"s{i}", "op": "Tanh", "dtype": d, "opset": 13, "since": 13, "status": "passed"} for i, d in enumerate(supported)]
    return Capabilities(name, "runtime", {}, records)


def test_a_pair_every_runtime_refuses_is_avoided():
    table = {"a": caps("a", unsupported=["float64"]), "b": caps("b", unsupported=["float64"], supported=["float32"])}
    avoid = avoided_pairs(["a", "b"], table.get)
    assert ("tanh", "float64") in avoid and ("tanh", "float32") not in avoid


def test_one_runtime_supporting_it_is_enough():
    table = {"a": caps("a", unsupported=["float64"]), "b": caps("b", supported=["float64"])}
    assert ("tanh", "float64") not in avoided_pairs(["a", "b"], table.get)


def test_no_probe_no_steering():
    table = {"a": caps("a", unsupported=["float64"])}
    assert avoided_pairs(["a", "b"], table.get) == frozenset()


def test_the_generator_never_builds_an_avoided_pair():
    cfg = GenConfig(max_nodes=6, ops=("tanh", "add", "cast"), dtypes=frozenset({"float32", "float64"}),
                    avoid=frozenset({("tanh", "float64")}))
    seen = set()
    for seed in range(60):
        g = generate(NumpyChoices(seed), cfg)
        for n in g.op_nodes:
            seen.add((n.op_type, n.inputs[0].type.dtype.value))
    assert ("tanh", "float64") not in seen
    assert ("tanh", "float32") in seen and ("add", "float64") in seen


def spec_caps(name, status_by_pair):
    records = [{"name": f"spec:{op}:{d}", "op": f"spec:{op}", "dtype": d, "opset": 18, "since": 18, "status": s}
               for (op, d), s in status_by_pair.items()]
    return Capabilities(name, "runtime", {}, records)


def test_a_spec_probe_case_decides_for_its_own_pair():
    # the spec probe answers for exactly (neg, int8): no ONNX-op-level guess is needed
    table = {"a": spec_caps("a", {("neg", "int8"): "unsupported", ("neg", "float32"): "pass"}),
             "b": spec_caps("b", {("neg", "int8"): "unsupported"})}
    avoid = avoided_pairs(["a", "b"], table.get)
    assert ("neg", "int8") in avoid and ("neg", "float32") not in avoid
    table["b"] = spec_caps("b", {("neg", "int8"): "mismatch"})  # it ran: a kernel exists
    assert ("neg", "int8") not in avoided_pairs(["a", "b"], table.get)


def test_spec_probe_cases_cover_more_than_float32():
    from fuzzer.probe.spec_cases import spec_cases

    cases = spec_cases()
    dtypes = {c.dtype for c in cases}
    assert {"float16", "bfloat16", "int8", "int32", "int64", "float64"} <= dtypes
    neg = {c.dtype for c in cases if c.op == "spec:neg"}
    assert {"int8", "float32", "bfloat16"} <= neg
    for c in cases[:20]:  # each is a loadable model with inputs for every graph input
        assert len(c.inputs) == len(c.input_names) and c.outputs
