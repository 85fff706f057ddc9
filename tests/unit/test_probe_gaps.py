"""Kernel gaps learned by the probe: which ONNX op, schema version and dtypes a missing-kernel
error names, how Capabilities answers for them, and how steering and validity use them."""
import numpy as np
import pytest
from onnx import TensorProto, helper

import fuzzer.probe as probe_mod
from fuzzer.ir import DType
from fuzzer.probe import Capabilities, probe
from fuzzer.probe.cases import ProbeCase
from fuzzer.probe.gaps import missing_kernel, single_dtype
from fuzzer.probe.steer import avoided_pairs
from fuzzer.run.plugins.onnxruntime import OrtUnoptimized

ELEM = {"int32": TensorProto.INT32, "float32": TensorProto.FLOAT, "float16": TensorProto.FLOAT16,
        "int8": TensorProto.INT8, "bool": TensorProto.BOOL}


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(probe_mod.ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.setattr(probe_mod, "_MEMORY", {})


def _chain(ops: list[str], dtype: str, opset: int = 13):
    """A model x -> ops[0] -> ops[1] -> ... -> y, nodes named n0, n1, ..., all on dtype."""
    nodes, prev = [], "x"
    for i, op in enumerate(ops):
        out = "y" if i == len(ops) - 1 else f"t{i}"
        nodes.append(helper.make_node(op, [prev], [out], name=f"n{i}"))
        prev = out
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", ELEM[dtype], [3])],
                              [helper.make_tensor_value_info("y", ELEM[dtype], [3])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _case(name: str, op: str, ops: list[str], dtype: str) -> ProbeCase:
    x = np.array([-1, 0, 2], dtype=dtype)
    y = x
    for o in ops:
        y = {"Abs": np.abs, "Neg": np.negative}[o](y)
    return ProbeCase(name=name, op=op, dtype=dtype, opset=13, since=13, model=_chain(ops, dtype).SerializeToString(),
                     inputs=(x,), outputs=(y,), rtol=0.0, atol=0.0)


class NoInt32Neg(OrtUnoptimized):
    """ONNX Runtime, except that it lacks the int32 Neg kernel, in ORT's own words."""

    def load(self, model: bytes):
        import onnx

        m = onnx.load_model_from_string(model)
        int32 = m.graph.input[0].type.tensor_type.elem_type == TensorProto.INT32  # _chain: one dtype throughout
        for node in m.graph.node:
            if node.op_type == "Neg" and int32:
                raise RuntimeError("[ONNXRuntimeError] : 9 : NOT_IMPLEMENTED : Could not find an implementation "
                                   f"for Neg(13) node with name '{node.name}'")
        return super().load(model)


def _learned() -> Capabilities:
    """The probe of NoInt32Neg: the int32 Neg is only reached inside a spec case's model (behind
    an Abs), as a kernel gap is reached inside another spec's lowering."""
    cases = [
        _case("spec:abs_neg:int32", "spec:abs_neg", ["Abs", "Neg"], "int32"),
        _case("test_neg", "Neg", ["Neg"], "float32"),
    ]
    return probe(NoInt32Neg(), cases, isolate=False)


def test_a_gap_inside_a_case_model_is_learned_for_exactly_its_op_and_dtype():
    caps = _learned()
    rec = {r["case"]: r for r in caps.records}
    assert rec["spec:abs_neg:int32"]["status"] == "unsupported"
    assert rec["spec:abs_neg:int32"]["gap"] == {"op": "Neg", "domain": "", "since": 13, "types": {"T": "int32"},
                                                 "dtypes": ["int32"]}
    assert rec["test_neg"]["status"] == "pass" and "gap" not in rec["test_neg"]
    pairs = caps.pairs()
    assert pairs[("Neg", "int32")] == "unsupported" and pairs[("Neg", "float32")] == "supported"
    assert ("Abs", "int32") not in pairs  # the Abs before it is not blamed
    assert caps.supports("Neg", "int32", 18) is False and caps.supports("Neg", "float32", 18) is True
    assert caps.refuses_kernel(rec["spec:abs_neg:int32"]["gap"])
    assert not caps.refuses_kernel({"op": "Neg", "domain": "", "since": 13, "types": {"T": "int64"}})
    assert caps.counts()["learned_gaps"] == 1
    # the record survives the disk cache
    assert Capabilities.from_json(caps.to_json()).pairs() == pairs


def test_steering_avoids_exactly_the_learned_pair():
    caps = _learned()
    avoid = avoided_pairs([NoInt32Neg()], lambda runtime: caps)
    assert ("neg", "int32") in avoid
    assert not {pair for pair in avoid if pair[0] == "neg" and pair[1] != "int32"}
    assert ("abs", "int32") not in avoid


def test_a_case_that_ran_wins_over_a_learned_gap():
    caps = _learned()
    passed = {"case": "test_neg_int32", "op": "Neg", "dtype": "int32", "opset": 13, "since": 13, "status": "pass"}
    both = Capabilities(caps.plugin, caps.kind, caps.versions, caps.records + [passed])
    assert both.pairs()[("Neg", "int32")] == "supported"
    assert both.supports("Neg", "int32", 13) is True
    assert ("neg", "int32") not in avoided_pairs([NoInt32Neg()], lambda runtime: both)


def test_a_mixed_dtype_gap_names_no_single_pair():
    """Where(bool, float16, float16): whether the bool or the float16 side lacks the kernel is
    unknown, so no (op, dtype) pair is called unsupported; the exact binding still is."""
    graph = helper.make_graph(
        [helper.make_node("Where", ["c", "x", "x"], ["y"], name="w")], "g",
        [helper.make_tensor_value_info("c", TensorProto.BOOL, [2]), helper.make_tensor_value_info("x", TensorProto.FLOAT16, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT16, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    gap = missing_kernel(model, "Could not find an implementation for Where(16) node with name 'w'")
    assert gap["types"] == {"B": "bool", "T": "float16"} and gap["dtypes"] == ["bool", "float16"]
    assert single_dtype(gap) is None
    rec = {"case": "c", "op": "spec:where", "dtype": "float16", "opset": 16, "since": 16, "status": "unsupported", "gap": gap}
    caps = Capabilities("x", "runtime", {}, [rec])
    assert ("Where", "float16") not in caps.pairs() and ("Where", "bool") not in caps.pairs()
    assert caps.refuses_kernel(gap)


def test_missing_kernel_reads_nothing_from_other_errors_or_unknown_nodes():
    model = _chain(["Neg"], "int32")
    assert missing_kernel(model, "Type Error: Type 'tensor(int8)' of input parameter") is None
    assert missing_kernel(model, "Could not find an implementation for Neg(13) node with name 'elsewhere'") is None


def test_spec_cases_cover_each_range_of_schema_versions():
    """Relu changed at opset 14, and its function body (for 18) is what ORT runs at 18 when it
    has no kernel: so relu's case is built at 18, at 13 (Relu(13)) and at 14 (Relu(14) with no
    body to fall back on, as at 19 and later). ORT 1.32 has no int64 Relu(14) kernel: the case
    at 18 passes through the body, the one at 14 learns the gap."""
    from fuzzer.ops import get_spec
    from fuzzer.probe.spec_cases import _cases

    cases = _cases(get_spec("relu"), DType.int64)
    assert cases[0].name == "spec:relu:int64" and cases[0].opset == 18
    assert {c.opset: c.name for c in cases[1:]} == {13: "spec:relu:int64@13", 14: "spec:relu:int64@14"}
    caps = probe(OrtUnoptimized(), cases, isolate=False)
    status = {r["case"]: r["status"] for r in caps.records}
    assert status["spec:relu:int64"] in ("pass", "mismatch") and status["spec:relu:int64@14"] == "unsupported"
    assert caps.refuses_kernel({"op": "Relu", "domain": "", "since": 14, "types": {"T": "int64"}})


def test_a_gap_inside_an_inlined_function_body_is_the_function_ops():
    """ORT inlines LeakyRelu's body at opset 16 and names the body's nameless Less node; the gap
    is LeakyRelu's."""
    import onnxruntime as ort

    graph = helper.make_graph([helper.make_node("LeakyRelu", ["x"], ["y"], name="lr")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.BFLOAT16, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    with pytest.raises(Exception) as refused:
        ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    assert "node with name ''" in str(refused.value)
    gap = missing_kernel(model, str(refused.value))
    assert (gap["op"], gap["since"], gap["types"]) == ("LeakyRelu", 16, {"T": "bfloat16"}) and gap["inlined"]


def test_doctor_reads_the_cached_probe_and_says_why_there_is_none():
    from fuzzer.cli.doctor import _probe
    from fuzzer.plugin import load_plugin
    from fuzzer.probe import cache_dir, cache_path, save

    ort = NoInt32Neg()
    assert _probe(ort, compute=False, verbose=False) == {
        "cached": False, "why": "no probe for these versions and op specs: run `onnxfuzz doctor --probe`"}
    caps = _learned()
    save(caps, cache_dir() / f"{ort.name}-0000000000000000.json")  # another version's probe
    shown = _probe(ort, compute=False, verbose=False)
    assert shown["cached"] is False and shown["stale"]["supported_pairs"] == caps.counts()["supported_pairs"]
    save(caps, cache_path(ort))  # this version's
    shown = _probe(ort, compute=False, verbose=False)
    assert shown["cached"] is True and shown["supported_pairs"] == caps.counts()["supported_pairs"] > 0
    assert shown["learned_gaps"] == 1
    exporter = load_plugin("converter", "torchscript")
    assert "framework model" in _probe(exporter, compute=False, verbose=False)["why"]


def test_node_tests_retyped_reach_kernels_no_float32_test_has():
    """ReduceSum's node tests are float32; retyped to bfloat16 the same model meets ORT 1.32's
    missing bfloat16 ReduceSum kernel, which the probe then knows."""
    from fuzzer.probe.cases import retyped_cases

    cases = [c for c in retyped_cases() if c.op == "ReduceSum" and c.dtype in ("bfloat16", "int64")]
    assert {c.dtype for c in cases} == {"bfloat16", "int64"} and all(c.outputs is None for c in cases)
    caps = probe(OrtUnoptimized(), cases, isolate=False)
    assert caps.pairs() == {("ReduceSum", "bfloat16"): "unsupported", ("ReduceSum", "int64"): "supported"}
    assert caps.refuses_kernel({"op": "ReduceSum", "domain": "", "since": 13, "types": {"T": "bfloat16"}})


def test_a_gap_inside_a_context_dependent_body_is_the_function_ops():
    """Softmax's body is built per node (context-dependent); ORT inlines it for bfloat16 and
    names the body's nameless ReduceMax. The gap is Softmax's."""
    import onnxruntime as ort

    graph = helper.make_graph([helper.make_node("Softmax", ["x"], ["y"], name="sm")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.BFLOAT16, [2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, [2, 3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    with pytest.raises(Exception) as refused:
        ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    gap = missing_kernel(model, str(refused.value))
    assert (gap["op"], gap["since"], gap["types"]) == ("Softmax", 13, {"T": "bfloat16"})


def test_a_type_error_in_an_inlined_body_is_the_function_ops_gap():
    """ORT 1.32 has no bfloat16 Clip; with a min input it inlines Clip-13's body, whose Where-9
    has no bfloat16 below opset 16: a valid model refused as INVALID_GRAPH. The plugin calls that
    a gap, and the probe learns which kernel is missing."""
    graph = helper.make_graph([helper.make_node("Clip", ["x", "lo"], ["y"], name="c")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.BFLOAT16, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, [2])],
                              initializer=[helper.make_tensor("lo", TensorProto.BFLOAT16, [], [0])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    case = ProbeCase(name="clip", op="Clip", dtype="bfloat16", opset=14, since=13, model=model.SerializeToString(),
                     inputs=(np.zeros(2, dtype=DType.bfloat16.numpy),), outputs=None, rtol=0.0, atol=0.0)
    caps = probe(OrtUnoptimized(), [case], isolate=False)
    (rec,) = caps.records
    assert rec["status"] == "unsupported" and "INVALID_GRAPH" in rec["error"]
    assert (rec["gap"]["op"], rec["gap"]["since"], rec["gap"]["types"]) == ("Clip", 13, {"T": "bfloat16"})
    assert caps.refuses_kernel(rec["gap"])


def test_types_shape_inference_leaves_out_come_from_the_type_parameters():
    """onnx infers no output type for this GroupNormalization at opset 21, so nothing downstream
    is typed either; the Tanh after it is bound through the schemas' type parameters."""
    import onnx

    graph = helper.make_graph(
        [helper.make_node("GroupNormalization", ["x", "s", "b"], ["g"], name="gn", num_groups=1),
         helper.make_node("Tanh", ["g"], ["h"], name="t"), helper.make_node("Neg", ["h"], ["y"], name="n")], "g",
        [helper.make_tensor_value_info("x", TensorProto.BFLOAT16, [1, 2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, [1, 2, 3])],
        initializer=[helper.make_tensor("s", TensorProto.BFLOAT16, [2], [1, 1]),
                     helper.make_tensor("b", TensorProto.BFLOAT16, [2], [0, 0])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    inferred = onnx.shape_inference.infer_shapes(model).graph
    typed = {v.name for v in inferred.value_info if v.type.tensor_type.elem_type}
    assert not typed & {"g", "h"}  # the premise: neither side of the Tanh is typed by onnx
    gap = missing_kernel(model, "Could not find an implementation for Tanh(13) node with name 't'")
    assert gap is not None and gap["types"] == {"T": "bfloat16"}
