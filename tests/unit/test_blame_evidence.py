"""Blame by evidence about the model (issue 13): the shared rules of oracles.evidence, the
campaign's blame() and `onnxfuzz check`'s blame, each on a tiny model or an injected fault."""
from __future__ import annotations

import io

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper

from fuzzer.case import CaseSpec, run_case
from fuzzer.generate import GenConfig
from fuzzer.ir import DType, Graph, TensorType
from fuzzer.minimize import Target
from fuzzer.plugin import ENV_VAR
from oracles import Kind, Stage, Verdict
from oracles.evidence import constraint_breaks, function_body_fault, model_faults, on_same_model, shape_faults

F32 = DType.float32


@pytest.fixture
def plugins(monkeypatch):
    from tests.plugins.faulty import PLUGINS as FAULTY
    from tests.plugins.witnesses import PLUGINS as WITNESSES

    monkeypatch.setenv(ENV_VAR, f"{FAULTY},{WITNESSES}")


def one_op(op: str, inputs, outputs, inits=(), opset=17, order=None, **attrs):
    names = order or [i.name for i in inputs] + [i.name for i in inits]
    graph = helper.make_graph([helper.make_node(op, names, [o.name for o in outputs], **attrs)],
                              "g", list(inputs), list(outputs), list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def scatter(updates_rows: int):
    """ScatterElements of a [4, 3] tensor by [1, 3] indices with [updates_rows, 3] updates:
    the spec requires the updates to have the indices' shape (ORT enforces it, the reference does not)."""
    return one_op("ScatterElements",
                  [helper.make_tensor_value_info("d", T.FLOAT, [4, 3]), helper.make_tensor_value_info("u", T.FLOAT, [updates_rows, 3])],
                  [helper.make_tensor_value_info("y", T.FLOAT, [4, 3])],
                  [helper.make_tensor("i", T.INT64, [1, 3], [0, 1, 2])], order=["d", "i", "u"], axis=0)


def mvn(dtype=T.FLOAT16, opset=18):
    x = helper.make_tensor_value_info("x", dtype, [1, 2, 3, 4])
    return one_op("MeanVarianceNormalization", [x], [helper.make_tensor_value_info("y", dtype, [1, 2, 3, 4])],
                  opset=opset, axes=[0, 2, 3])


def tanh_graph() -> Graph:
    from fuzzer.ops import get_spec

    g = Graph()
    x = g.add_input(TensorType(F32, (3, 4)))
    h = g.add_node("tanh", [x], {}, get_spec("tanh").infer([x.type], {})).outputs[0]
    g.outputs = [g.add_node("relu", [h], {}, get_spec("relu").infer([h.type], {})).outputs[0]]
    return g


def failing(graph: Graph, exporter: str, transformers: list[str], runtimes: list[str], opset=17):
    """The case's result and its first failing verdict (as a campaign would find it)."""
    r = run_case(CaseSpec(case_id=1, seed=3, config=GenConfig(), exporters=[exporter], transformers=transformers,
                          runtimes=runtimes, graph_json=graph.dumps(), opset=opset))
    assert r.failures, [v.to_json() for v in r.verdicts]
    return r, r.failures[0]


def blame_of(r, verdict, exporters, runtimes):
    from fuzzer.report.blame import blame

    return blame(Graph.loads(r.graph_json), Target.of(verdict), r.seed, r.inputs_npz, exporters, runtimes)


# ---- the shared rules, on verdicts and tiny models


def test_kernel_gaps_are_no_witness_either_way():
    # the reference evaluator fails; ORT lacks a kernel: that is no "every runtime fails"
    found = on_same_model(Kind.RUN_CRASH, "onnx-reference", [("onnxruntime", Kind.UNSUPPORTED), ("tract", Kind.UNSUPPORTED)])
    assert found.at == "alone", found.reason
    # nor is it a pass: a runtime failing where another family genuinely runs the model is at fault
    found = on_same_model(Kind.VALUE_MISMATCH, "tract", [("onnxruntime", Kind.PASS), ("openvino", Kind.UNSUPPORTED)])
    assert (found.at, found.witness) == ("runtime", "onnxruntime")
    # and "every runtime fails" counts only runtimes that genuinely failed
    found = on_same_model(Kind.VALUE_MISMATCH, "onnxruntime", [("onnx-reference", Kind.VALUE_MISMATCH), ("tract", Kind.UNSUPPORTED)])
    assert found.at == "model" and "tract" not in found.reason


def test_the_lenient_reference_alone_witnesses_no_refusal():
    found = on_same_model(Kind.LOAD_CRASH, "onnxruntime", [("onnx-reference", Kind.PASS)])
    assert found.at == "" and "lenient" in found.reason
    # against a wrong value it is a witness: it computes the spec's function
    assert on_same_model(Kind.VALUE_MISMATCH, "onnxruntime", [("onnx-reference", Kind.PASS)]).at == "runtime"


def test_a_model_that_breaks_an_input_constraint_is_at_fault_not_the_strict_runtime():
    bad, good = scatter(2), scatter(1)
    onnx.checker.check_model(bad, full_check=True)  # the checker lets it through
    assert constraint_breaks(good) == []
    (why,) = constraint_breaks(bad)
    assert "ScatterElements' updates have shape [2, 3], its indices [1, 3]" in why
    found = on_same_model(Kind.RUN_CRASH, "onnxruntime", [("onnx-reference", Kind.PASS), ("openvino", Kind.PASS)], bad)
    assert found.at == "model" and "ScatterElements" in found.reason


@pytest.mark.parametrize("op, inputs, inits, attrs, words", [
    ("GatherElements", [("d", [4, 3])], [("i", [4], [0, 1, 2, 3])], {"axis": 0}, "indices have rank 1, its data rank 2"),
    ("GatherElements", [("d", [4, 3])], [("i", [1, 3], [0, 4, 1])], {"axis": 0}, "indices reach 0..4 along an axis of 4"),
    ("ScatterND", [("d", [4, 3]), ("u", [2, 2])], [("i", [2, 1], [0, 1])], {}, "the spec requires [2, 3]"),
    ("GatherND", [("d", [4, 3])], [("i", [2, 3], [0] * 6)], {}, "last dim is 3, more than its data's rank 2"),
])
def test_input_constraints_of_index_ops(op, inputs, inits, attrs, words):
    ins = [helper.make_tensor_value_info(n, T.FLOAT, s) for n, s in inputs]
    model = one_op(op, ins[:1], [helper.make_tensor_value_info("y", T.FLOAT, None)],
                   [helper.make_tensor(n, T.INT64, s, v) for n, s, v in inits], **attrs)
    if len(ins) > 1:  # updates come after the indices
        model.graph.input.append(ins[1])
        model.graph.node[0].input.append(ins[1].name)
    assert any(words in b for b in constraint_breaks(model)), constraint_breaks(model)


def test_a_recurrent_bias_of_the_wrong_size_breaks_its_constraint():
    x = helper.make_tensor_value_info("x", T.FLOAT, [2, 1, 3])
    inits = [helper.make_tensor("W", T.FLOAT, [1, 4, 3], [0.0] * 12), helper.make_tensor("R", T.FLOAT, [1, 4, 4], [0.0] * 16),
             helper.make_tensor("B", T.FLOAT, [1, 4], [0.0] * 4)]
    model = one_op("RNN", [x], [helper.make_tensor_value_info("y", T.FLOAT, None)], inits, hidden_size=4)
    (why,) = constraint_breaks(model)
    assert "RNN's B has shape [1, 4], the spec requires [1, 8]" in why


@pytest.mark.parametrize("opset, scales, words", [
    (9, [1.0, 1.0, 0.75], "hold a value below 1"),  # review 21: TorchScript's opset-9 downscale
    (9, [1.0, 2.0], "2 scales for its input of rank 3"),
    (9, [1.0, 1.0, 2.0], None),
    (9, [1.0, float("nan"), 1.0], "hold a value below 1"),
    (7, [1.0, 0.5, 1.0], "hold a value below 1"),
])
def test_upsample_scales_are_at_least_one(opset, scales, words):
    x = helper.make_tensor_value_info("x", T.FLOAT, [1, 2, 4])
    y = helper.make_tensor_value_info("y", T.FLOAT, None)
    if opset >= 9:
        model = one_op("Upsample", [x], [y], [helper.make_tensor("s", T.FLOAT, [len(scales)], scales)], opset=opset)
    else:
        model = one_op("Upsample", [x], [y], opset=opset, scales=scales)
    breaks = constraint_breaks(model)
    assert (breaks == []) if words is None else any(words in b for b in breaks), breaks


def test_a_runtime_meeting_a_type_the_checked_model_rules_out_is_at_fault():
    """Review 21: every runtime failed on float16's valid AffineGrid model, onnx.reference by
    returning float32 where the Div after it takes float16; the checker's strict type inference
    had given that value float16."""
    from oracles.evidence import type_contradiction

    x = helper.make_tensor_value_info("x", T.FLOAT16, [2])
    valid = one_op("Div", [x, helper.make_tensor_value_info("z", T.FLOAT16, [2])],
                   [helper.make_tensor_value_info("y", T.FLOAT16, [2])])
    said = "RuntimeTypeError: Input type mismatch: float32 != float16 (operator ''Div'', shapes (1, 2), ())."
    assert "passes the full checker" in type_contradiction(valid, said)
    assert type_contradiction(valid, "TractError: Impossible to unify F64 with F32")
    # another kind of refusal, or a model the checker rejects, says nothing of the runtime's types
    assert type_contradiction(valid, "Pad should be smaller than kernel") == ""
    # tract's unification of dims or ranks, and onnx.reference's other complaints, are no type's
    # (bugs/tract-load-crash-cb78a9: "Impossible to unify 0 with 3.")
    assert type_contradiction(valid, "TractError: Failed analyse for node #2\n  Impossible to unify 0 with 3.") == ""
    assert type_contradiction(valid, "RuntimeTypeError: the shapes (2,) and (3,) do not match") == ""
    invalid = one_op("Div", [x, helper.make_tensor_value_info("z", T.FLOAT, [2])], [helper.make_tensor_value_info("y", T.FLOAT16, [2])])
    assert type_contradiction(invalid, said) == ""
    # a custom domain's op has no schema the checker types it by
    custom = one_op("Div", [x, helper.make_tensor_value_info("z", T.FLOAT16, [2])], [helper.make_tensor_value_info("y", T.FLOAT16, [2])])
    custom.graph.node[0].domain = "com.example"
    custom.opset_import.append(helper.make_opsetid("com.example", 1))
    assert type_contradiction(custom, said) == ""
    # so has one inside an If's branch
    c = helper.make_tensor_value_info("c", T.BOOL, [])
    branch = helper.make_graph([helper.make_node("Foo", ["x"], ["b"], domain="com.example")], "b", [],
                               [helper.make_tensor_value_info("b", T.FLOAT16, [2])])
    nested = helper.make_model(helper.make_graph(
        [helper.make_node("If", ["c"], ["t"], then_branch=branch, else_branch=branch), helper.make_node("Div", ["t", "x"], ["y"])],
        "g", [c, x], [helper.make_tensor_value_info("y", T.FLOAT16, [2])]),
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    assert type_contradiction(nested, said) == ""

    from fuzzer.check import blame

    rows = rows_of(Verdict(Kind.PASS, Stage.JUDGE, "model@17", "onnx-reference"),
                   Verdict(Kind.RUN_CRASH, Stage.RUN, "model@17>opt", "onnx-reference", [], said),
                   Verdict(Kind.RUN_CRASH, Stage.RUN, "model@17>opt", "openvino", [], "some other refusal"))
    who = blame(rows[1], rows, {"model@17": valid, "model@17>opt": valid}.get)
    assert (who.system, who.role) == ("onnx-reference", "runtime"), who.reason
    # without the type words, every runtime failing still blames the transformer
    rows[1] = rows_of(Verdict(Kind.RUN_CRASH, Stage.RUN, "model@17>opt", "onnx-reference", [], "index out of bounds"))[0]
    assert blame(rows[1], rows, {"model@17": valid, "model@17>opt": valid}.get).system == "opt"


def test_shape_faults_the_checker_cannot_see():
    x = helper.make_tensor_value_info("x", T.FLOAT, ["n", 3])
    s = helper.make_tensor_value_info("s", T.INT64, [1])
    y = helper.make_tensor_value_info("y", T.FLOAT, ["n"])
    z = helper.make_tensor_value_info("z", T.FLOAT, [5])  # a Reshape's output: its length depends on s
    graph = helper.make_graph([helper.make_node("ReduceSum", ["x"], ["y"], axes=[1], keepdims=0),
                               helper.make_node("Reshape", ["x", "s"], ["z"])], "g", [x, s], [y, z])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])
    fed = {"x": (2, 3), "s": (1,)}
    assert model_faults(model, fed, [(2,), (6,)]) == ["output z dim 0 is declared 5 but is 6"]
    assert shape_faults(model, fed, [(2,), (1, 6)]) == ["output z is declared of rank 1 but has shape [1, 6]"]
    assert shape_faults(model, fed, [(3,), (5,)]) == [
        "dim name 'n' names dims of different lengths (input x dim 0 is 2, output y dim 0 is 3)"]
    assert model_faults(model, fed, [(2,), (5,)]) == []


def test_a_function_body_that_fails_alone_is_the_specs_defect():
    for dtype, name in ((T.FLOAT16, "float16"), (T.DOUBLE, "double")):
        model = mvn(dtype)
        (fault,) = model_faults(model)
        assert function_body_fault(model, fault) == ("MeanVarianceNormalization", name)
    # a checker failure outside any function body is not the spec's
    broken = one_op("Add", [helper.make_tensor_value_info("a", T.FLOAT, [2]), helper.make_tensor_value_info("b", T.FLOAT, [3])],
                    [helper.make_tensor_value_info("y", T.FLOAT, [2])])
    (fault,) = model_faults(broken)
    assert function_body_fault(broken, fault) is None


# ---- the campaign's blame(), end to end on injected faults


def test_a_runtime_refusing_a_valid_transformed_model_is_at_fault_not_the_transformer(plugins):
    r, v = failing(tanh_graph(), "torchscript", ["renamer"], ["picky", "onnxruntime"])
    assert (v.path, v.runtime, v.kind) == ("torchscript@17>renamer", "picky", Kind.LOAD_CRASH)
    who = blame_of(r, v, ["torchscript"], ["picky", "onnxruntime"])
    assert (who.system, who.role) == ("picky", "runtime"), who.reason
    assert "onnxruntime" in who.reason


def test_a_transformer_whose_output_computes_wrongly_everywhere_is_at_fault(plugins):
    r, v = failing(tanh_graph(), "torchscript", ["flipopt"], ["onnxruntime", "onnx-reference"])
    who = blame_of(r, v, ["torchscript"], ["onnxruntime", "onnx-reference"])
    assert (who.system, who.role) == ("flipopt", "transformer"), who.reason


def test_every_runtime_fails_counts_no_kernel_gap(plugins):
    """An exporter's wrong model fails on ORT; the other runtime has a kernel gap for it. Before,
    that was "every runtime gets it wrong" and blamed the exporter on ORT's word alone."""
    r, v = failing(tanh_graph(), "signflip", [], ["onnxruntime", "gapper"])
    assert [u.kind for u in r.verdicts if u.runtime == "gapper"] == [Kind.UNSUPPORTED]
    who = blame_of(r, v, ["signflip"], ["onnxruntime", "gapper"])
    assert who.system == "" and "no other runtime family ran" in who.reason
    # ORT alone still convicts it of a wrong function when it runs another exporter's model of the graph correctly
    who = blame_of(r, v, ["signflip", "torchscript"], ["onnxruntime", "gapper"])
    assert (who.system, who.role) == ("signflip", "exporter") and "torchscript's model" in who.reason
    # with a second runtime family that genuinely runs it and fails too, the exporter is at fault
    r, v = failing(tanh_graph(), "signflip", [], ["onnxruntime", "onnx-reference"])
    who = blame_of(r, v, ["signflip"], ["onnxruntime", "onnx-reference"])
    assert (who.system, who.role) == ("signflip", "exporter"), who.reason


def test_a_runtime_refusing_a_type_of_a_valid_model_is_at_fault_though_every_runtime_fails(plugins):
    """Review 21 (bugs/onnx-reference-run-crash-33dd74): every runtime failed on a valid model,
    one of them by meeting an element type the checked model rules out. That one is at fault;
    before, the model's producer was blamed (or, for an exporter, no one)."""
    r, v = failing(tanh_graph(), "torchscript", ["renamer"], ["typefussy", "picky"])
    assert (v.path, v.runtime, v.kind) == ("torchscript@17>renamer", "typefussy", Kind.RUN_CRASH)
    who = blame_of(r, v, ["torchscript"], ["typefussy", "picky"])
    assert (who.system, who.role) == ("typefussy", "runtime") and "strict type inference" in who.reason, who.reason
    # a refusal in other words leaves the evidence as it was: the transformer, whose output
    # every runtime refuses
    picky = next(u for u in r.verdicts if u.runtime == "picky" and u.path == v.path)
    who = blame_of(r, picky, ["torchscript"], ["typefussy", "picky"])
    assert (who.system, who.role) == ("renamer", "transformer"), who.reason


def test_onnxfuzz_own_builder_is_never_blamed():
    from fuzzer.report.blame import blame

    g = tanh_graph()
    target = Target(Kind.EXPORT_CRASH, Stage.EXPORT, "onnx-direct@17", "", "")
    who = blame(g, target, 3, None, [], ["onnxruntime"])
    assert (who.system, who.role) == ("onnxfuzz", "own") and "onnx-direct" in who.reason


def test_a_function_body_failure_after_float16_is_the_specs_not_the_converters():
    from fuzzer.ops import get_spec

    g = Graph()
    x = g.add_input(TensorType(F32, (1, 2, 3, 4)))
    attrs = {"axes": [0, 2, 3]}
    g.outputs = [g.add_node("MeanVarianceNormalization", [x], attrs,
                            get_spec("MeanVarianceNormalization").infer([x.type], attrs)).outputs[0]]
    r, v = failing(g, "onnx-direct", ["float16"], ["onnxruntime-noopt"], opset=18)
    assert (v.kind, v.path) == (Kind.INVALID_MODEL, "onnx-direct@18>float16")
    who = blame_of(r, v, [], ["onnxruntime-noopt"])
    assert (who.system, who.role) == ("onnx", "spec"), who.reason
    assert "onnx (function body of MeanVarianceNormalization)" in who.reason and "float16" in who.reason


def test_a_wrong_value_the_specs_function_body_computes_is_the_specs():
    """Review 19's 4da246: at opset 28 ONNX Runtime has no ReduceLogSumExp kernel and runs the
    spec's function body, whose Exp of the unshifted input overflows to inf where the op's value
    is 3451.45. onnx.reference's own kernel computes it; the body, expanded and run by
    onnx.reference, gives inf too: the body is at fault. A model with no function op, or whose
    body computes the same, gives no such evidence."""
    from fuzzer.report.blame import _function_body_computes_otherwise
    from oracles.evidence import expand_function_ops

    x = helper.make_tensor_value_info("x", T.FLOAT, [1])
    y = helper.make_tensor_value_info("y", T.FLOAT, [])
    axes = helper.make_tensor("axes", T.INT64, [1], [0])
    lse = helper.make_model(helper.make_graph([helper.make_node("ReduceLogSumExp", ["x", "axes"], ["y"], keepdims=0)],
                                              "g", [x], [y], [axes]), opset_imports=[helper.make_opsetid("", 28)])
    expanded, ops = expand_function_ops(lse)
    assert ops == ["ReduceLogSumExp"] and "ReduceLogSumExp" not in {n.op_type for n in expanded.graph.node}
    big = {"x": np.array([3451.45], np.float32)}
    assert _function_body_computes_otherwise(lse, big, Kind.NAN_INF) == "ReduceLogSumExp"
    # where the body's Exp does not overflow it computes the op: no evidence
    assert _function_body_computes_otherwise(lse, {"x": np.array([2.5], np.float32)}, Kind.NAN_INF) == ""
    assert _function_body_computes_otherwise(lse, {"x": np.array([2.5], np.float32)}, Kind.VALUE_MISMATCH) == ""
    add = helper.make_model(helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"])], "g", [x],
                                              [helper.make_tensor_value_info("y", T.FLOAT, [1])]),
                            opset_imports=[helper.make_opsetid("", 18)])
    assert expand_function_ops(add) is None


# ---- `onnxfuzz check`'s blame: the same rules on its rows


def rows_of(*verdicts):
    from fuzzer.check import Row

    return [Row(v) for v in verdicts]


def test_check_blames_the_transformer_whose_output_breaks_a_constraint():
    from fuzzer.check import blame

    rows = rows_of(Verdict(Kind.PASS, Stage.JUDGE, "model@17", "onnxruntime"),
                   Verdict(Kind.PASS, Stage.JUDGE, "model@17", "onnx-reference"),
                   Verdict(Kind.RUN_CRASH, Stage.RUN, "model@17>opt", "onnxruntime", [], "index out of bounds"),
                   Verdict(Kind.PASS, Stage.JUDGE, "model@17>opt", "onnx-reference"))
    models = {"model@17": scatter(1), "model@17>opt": scatter(2)}
    who = blame(rows[2], rows, models.get)
    assert (who.system, who.role) == ("opt", "transformer"), who.reason
    # without the evidence of the model, the lenient reference alone convicts nobody
    assert blame(rows[2], rows).system is None
    # a user's model that breaks it is reported, never filed against the strict runtime
    rows = rows_of(Verdict(Kind.RUN_CRASH, Stage.RUN, "model@17", "onnxruntime", [], "index out of bounds"),
                   Verdict(Kind.PASS, Stage.JUDGE, "model@17", "onnx-reference"))
    who = blame(rows[0], rows, {"model@17": scatter(2)}.get)
    assert who.system is None and "ScatterElements" in who.reason


def test_check_names_the_function_body_for_an_op_invalid_at_a_lowered_dtype():
    from fuzzer.check import blame

    rows = rows_of(Verdict(Kind.PASS, Stage.JUDGE, "model@18", "onnxruntime"),
                   Verdict(Kind.INVALID_MODEL, Stage.CHECK, "model@18>float16", "", [], model_faults(mvn())[0]))
    who = blame(rows[1], rows, {"model@18": mvn(T.FLOAT), "model@18>float16": mvn()}.get)
    assert (who.system, who.role) == ("onnx", "spec") and "function body of MeanVarianceNormalization" in who.reason


def test_check_kin_and_kernel_gaps():
    from fuzzer.check import blame

    rows = rows_of(Verdict(Kind.VALUE_MISMATCH, Stage.JUDGE, "model@17", "onnxruntime"),
                   Verdict(Kind.PASS, Stage.JUDGE, "model@17", "onnxruntime-noopt"),
                   Verdict(Kind.UNSUPPORTED, Stage.LOAD, "model@17", "tract"))
    who = blame(rows[0], rows)
    assert (who.system, who.witness) == ("onnxruntime", "onnxruntime-noopt"), who.reason
    rows = rows_of(Verdict(Kind.VALUE_MISMATCH, Stage.JUDGE, "model@17>opt", "onnxruntime"),
                   Verdict(Kind.UNSUPPORTED, Stage.LOAD, "model@17>opt", "tract"))
    assert blame(rows[0], rows).system == "opt"  # a wrong function on the one runtime that runs both
    rows = rows_of(Verdict(Kind.LOAD_CRASH, Stage.LOAD, "model@17>opt", "onnxruntime"),
                   Verdict(Kind.UNSUPPORTED, Stage.LOAD, "model@17>opt", "tract"))
    assert blame(rows[0], rows).system is None  # a refusal nobody else could judge


# ---- deliberate refusals are unsupported


def test_tract_refusing_to_type_compress_is_unsupported():
    pytest.importorskip("tract")
    from fuzzer.run.plugins.tract import TractRuntime

    model = one_op("Compress", [helper.make_tensor_value_info("x", T.FLOAT, [3]), helper.make_tensor_value_info("c", T.BOOL, [3])],
                   [helper.make_tensor_value_info("y", T.FLOAT, [None])], axis=0)
    rt = TractRuntime()
    with pytest.raises(Exception) as e:
        session = rt.load(model.SerializeToString())
        rt.run(session, {"x": np.ones(3, np.float32), "c": np.array([1, 0, 1], bool)})
    assert "can not be typed" in str(e.value) and rt.is_unsupported(e.value)


def _tract_error(model, feeds):
    from fuzzer.run.plugins.tract import TractRuntime

    rt = TractRuntime()
    with pytest.raises(Exception) as e:
        rt.run(rt.load(model.SerializeToString()), feeds)
    return rt, e.value


def test_tract_explicit_refusals_are_unsupported():
    """tract's own refusals, met by the issue-13 review as filed 'bugs': BatchNormalization with
    parameters that are not initializers, MatMul of two 1-D operands, and QuantizeLinear with a
    float16 scale (its rules demand f32)."""
    pytest.importorskip("tract")
    x = helper.make_tensor_value_info("x", T.FLOAT, [1, 2, 3])
    params = [helper.make_tensor_value_info(n, T.FLOAT, [2]) for n in "sbmv"]
    bn = one_op("BatchNormalization", [x, *params], [helper.make_tensor_value_info("y", T.FLOAT, [1, 2, 3])])
    ones = np.ones(2, np.float32)
    rt, err = _tract_error(bn, {"x": np.ones((1, 2, 3), np.float32), "s": ones, "b": ones, "m": ones, "v": ones})
    assert "Params are not const" in str(err) and rt.is_unsupported(err)

    a, b = (helper.make_tensor_value_info(n, T.INT32, [3]) for n in "ab")
    mm = one_op("MatMul", [a, b], [helper.make_tensor_value_info("y", T.INT32, [])])
    rt, err = _tract_error(mm, {"a": np.ones(3, np.int32), "b": np.ones(3, np.int32)})
    assert "a_rank > 1" in str(err) and rt.is_unsupported(err)

    q = helper.make_graph(
        [helper.make_node("QuantizeLinear", ["x", "s"], ["y"])], "q",
        [helper.make_tensor_value_info("x", T.FLOAT16, [3])], [helper.make_tensor_value_info("y", T.UINT8, [3])],
        [helper.make_tensor("s", T.FLOAT16, [], [0.5])])
    rt, err = _tract_error(helper.make_model(q, opset_imports=[helper.make_opsetid("", 21)]),
                           {"x": np.ones(3, np.float16)})
    assert rt.is_unsupported(err), str(err)


@pytest.mark.parametrize("message, gap", [
    ("Evaluating #6 Scan\n0: Evaluating inner body\n2: LstmEpilogue only supports f32 and f16 preactivations, got F64", True),
    ("0: in output_facts invocation for If: IfThenElse\n1: Condition failed: `self.then_body.output_fact(i)?"
     ".without_value() == self.else_body.output_fact(i)?.without_value()` (1,1,Bool vs 1,Bool)", True),
    # an ensure on anything else, or a failed unification of two computed types, may be tract's defect
    ("Condition failed: `inputs.len() == 2`", False),
    ("0: in output_facts invocation for /Gemm.beta_c: Mul\n1: No super type for F32 and I32", False),
    ("0: Eager eval #29 Mul during optimisation\n1: Tensor datum type error: tensor is F32, accessed as F64", False),
    ("Applying rule inputs[0].shape[1] == 1*{inputs[3].shape[1]}\n2: Impossible to unify Val(3) with Val(1).", False),
    # review 7: a DequantizeLinear whose scale the graph computes (tract needs it constant)
    ('Translating node #21 "out2_DequantizeLinear" DequantizeLinear ToTypedTranslator\nCaused by:\n'
     '    y_scale must be a const', True),
])
def test_tract_refusal_patterns_are_conservative(message, gap):
    from fuzzer.run.plugins.tract import TractRuntime

    assert TractRuntime().is_unsupported(RuntimeError(message)) is gap


@pytest.mark.parametrize("message, gap", [
    # review 22: OpenVINO's FFT validation lists the element types it takes (a float64 DFT)
    ("Check 'false' failed at src/frontends/onnx/frontend/src/frontend.cpp:127:\nFFT op input element type must be "
     "f32, f16, or bf16", True),
    # elements that must agree, and a refusal that names no types it takes, may be OpenVINO's defect
    ("Argument element types are inconsistent.", False),
    ("Element type must be equal to the element type of the input", False),
])
def test_openvino_refusal_patterns_are_conservative(message, gap):
    from fuzzer.run.plugins.openvino import OpenVinoCpu

    assert OpenVinoCpu().is_unsupported(RuntimeError(message)) is gap


def test_torchscript_refusing_gqa_attention_is_unsupported():
    import torch

    from fuzzer.convert.base import ExportRequest
    from fuzzer.convert.plugins.torchscript import TorchScriptExporter
    from oracles import judge_error

    class Gqa(torch.nn.Module):
        def forward(self, q, k, v):
            return torch.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True)

    q, kv = torch.randn(1, 4, 3, 8), torch.randn(1, 2, 3, 8)
    request = ExportRequest(None, {}, ["q", "k", "v"], ["out0"], 17)
    request.module, request.args = Gqa(), (q, kv, kv)
    exporter = TorchScriptExporter()
    with pytest.raises(Exception) as e:
        exporter.export(request)
    assert "not implemented if enable_gqa is True" in str(e.value)
    verdict = judge_error(Stage.EXPORT, e.value, exporter.is_unsupported(e.value), "torchscript@17", "")
    assert verdict.kind is Kind.UNSUPPORTED and "enable_gqa" in verdict.error


@pytest.mark.parametrize("plugin, message, gap", [
    ("dynamo", "AssertionError: only 4D query, key, and value are supported", True),
    ("dynamo", "RuntimeError: shape '[2, 3]' is invalid for input of size 5", False),
    ("torchscript", "ONNX export failed on aten::foo, which is not implemented for opset 13", True),
    ("torchscript", "RuntimeError: Expected all tensors to be on the same device", False),
    # bfloat16 below opset 9 (review 16); above it, the bfloat16 Cast typed complex128 is a defect
    ("torchscript", "Unsupported types: complex, string", True),
    ("torchscript", "ScalarType ComplexDouble is an unexpected tensor scalar type", False),
])
def test_exporter_refusal_patterns_are_conservative(plugin, message, gap):
    from fuzzer.plugin import load_plugin

    assert load_plugin("converter", plugin).is_unsupported(RuntimeError(message)) is gap


def test_values_computed_at_run_time_are_checked_at_the_inputs_that_failed():
    """SplitToSequence's lengths made from the input's shape (as the TorchScript exporter writes
    chunk()): only a run shows the negative length ORT refuses (bugs/torchscript-run-crash-14697f)."""
    x = helper.make_tensor_value_info("x", T.FLOAT, ["n"])
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Constant", [], ["k"], value=helper.make_tensor("k", T.INT64, [1], [4])),
             helper.make_node("Sub", ["s", "k"], ["rest"]),  # n - 4: negative for n < 4
             helper.make_node("Constant", [], ["two"], value=helper.make_tensor("two", T.INT64, [2], [2, 2])),
             helper.make_node("Concat", ["two", "rest"], ["lengths"], axis=0),
             helper.make_node("SplitToSequence", ["x", "lengths"], ["y"])]
    graph = helper.make_graph(nodes, "g", [x], [helper.make_tensor_sequence_value_info("y", T.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    assert constraint_breaks(model) == []  # nothing to see without values
    assert constraint_breaks(model, {"x": np.zeros(5, np.float32)}) == []
    (why,) = constraint_breaks(model, {"x": np.zeros(3, np.float32)})
    assert "split lengths [2, 2, -1] include a negative one" in why
    found = on_same_model(Kind.RUN_CRASH, "onnxruntime", [("onnx-reference", Kind.PASS)], model, {"x": np.zeros(3, np.float32)})
    assert found.at == "model"


def test_a_contrib_op_without_a_required_attribute_is_invalid():
    pytest.importorskip("onnxruntime")
    from oracles.evidence import contrib_faults

    node = helper.make_node("QAttention", ["a", "b", "c", "d", "e"], ["y"], domain="com.microsoft")
    model = helper.make_model(helper.make_graph([node], "g", [], []))
    assert contrib_faults(model) == ["com.microsoft.QAttention lacks its required attribute(s) num_heads"]
    model.graph.node[0].attribute.append(helper.make_attribute("num_heads", 2))
    assert contrib_faults(model) == []


def test_when_every_strict_runtime_refuses_the_lenient_pass_proves_nothing():
    found = on_same_model(Kind.RUN_CRASH, "onnxruntime", [("onnx-reference", Kind.PASS), ("openvino", Kind.RUN_CRASH)])
    assert found.at == "model" and "only the lenient" in found.reason


def test_reblame_lists_folders_whose_blame_would_change_without_touching_them(tmp_path, capsys):
    import json

    from fuzzer.report.reblame import main

    def folder(name, bug, model=None):
        d = tmp_path / name
        d.mkdir()
        (d / "case.json").write_text(json.dumps({"bug": {"id": name, "path": "model@18>float16", "runtime": "", **bug}}))
        if model is not None:
            onnx.save(model, str(d / "model.onnx"))
        return d

    error = model_faults(mvn())[0].removeprefix("the checker rejects it: ")
    spec = folder("float16-invalid-model-1", {"system": "float16", "role": "transformer", "kind": "invalid_model",
                                              "stage": "check", "error": error}, mvn())
    folder("gone", {"system": "x", "role": "runtime", "kind": "run_crash", "stage": "run", "error": "e", "withdrawn": "dup"})
    refusal = folder("torchscript-export-crash-1", {
        "system": "torchscript", "role": "exporter", "kind": "export_crash", "stage": "export", "path": "torchscript@17",
        "error": "AssertionError: conversion of scaled_dot_product_attention not implemented if enable_gqa is True",
        "withdrawn": "a deliberate refusal"})
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert main(["--bugs-dir", str(tmp_path), "--json"]) == 1
    rows = {r["id"]: r for r in map(json.loads, capsys.readouterr().out.strip().splitlines()[:-1])}
    assert rows[spec.name]["changed"] and rows[spec.name]["now"] == ["onnx", "spec"]
    assert "function body of MeanVarianceNormalization" in rows[spec.name]["reason"]
    assert not rows["gone"]["changed"] and rows["gone"]["reason"] == "withdrawn"
    assert rows[refusal.name]["unsupported_now"]
    assert before == {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}, "read-only"


def test_check_files_no_bug_against_the_spec(tmp_path):
    from fuzzer.check import Blame, Row
    from fuzzer.check.filing import file_check_bug

    row = Row(Verdict(Kind.INVALID_MODEL, Stage.CHECK, "model@18>float16", ""),
              Blame("onnx", "spec", "onnx (function body of MeanVarianceNormalization): ..."))
    bug_id, new, why = file_check_bug(tmp_path, row, mvn(), {}, [], "m.onnx")
    assert (bug_id, new) == ("", False) and "function body of MeanVarianceNormalization" in why
    assert not any(tmp_path.iterdir())


# ---- a transformer given a model that already breaks the IR rules (issue 13, folder 50ed8b)


class _Kept:
    """What an evaluator returns for blame: no verdicts, the failing path's models."""

    def __init__(self, models):
        self.verdicts, self.models = [], models


def _declared(shape):
    """y = Reshape(x, s) with x float[1,1,3], s of unknown length (shape inference cannot tell
    y's rank, so the checker takes any), y declared of shape `shape`, as an exporter might write it."""
    return one_op("Reshape", [helper.make_tensor_value_info("x", T.FLOAT, [1, 1, 3]),
                              helper.make_tensor_value_info("s", T.INT64, ["n"])],
                  [helper.make_tensor_value_info("y", T.FLOAT, shape)]).SerializeToString()


@pytest.mark.parametrize("stage", [Stage.CHECK, Stage.CONVERT])
def test_a_transformer_given_a_model_that_declares_shapes_it_does_not_produce_is_not_at_fault(stage):
    from fuzzer.ops import get_spec
    from fuzzer.report.blame import blame

    g = Graph()
    x = g.add_input(TensorType(F32, (1, 1, 3)))
    g.outputs = [g.add_node("relu", [x], {}, get_spec("relu").infer([x.type], {})).outputs[0]]
    kind = Kind.INVALID_MODEL if stage is Stage.CHECK else Kind.CONVERT_CRASH
    target = Target(kind, stage, "torchscript@17>onnxsim", "", "")

    def evaluate_with(given):
        return lambda spec: _Kept({"torchscript@17": given, "torchscript@17>onnxsim": given}) if spec.transformers else None

    # the exporter declared y of rank 1; the model makes [1, 1, 3]: the exporter's defect
    who = blame(g, target, 3, None, ["torchscript"], [], evaluate=evaluate_with(_declared([3])))
    assert (who.system, who.role) == ("torchscript", "exporter"), who.reason
    assert who.inherited and "declared of rank 1" in who.inherited[0] and "onnxsim only trusted" in who.reason
    # the same failure on a model that declares what it makes stays the transformer's
    who = blame(g, target, 3, None, ["torchscript"], [], evaluate=evaluate_with(_declared([1, 1, 3])))
    assert (who.system, who.role) == ("onnxsim", "transformer") and not who.inherited


class _Ran:
    def __init__(self, verdicts, models):
        self.verdicts, self.models = verdicts, models


def _every_runtime_refuses(made: bytes, feeds: dict, shape: tuple):
    """blame() of a run crash on torchscript's model, which every runtime refuses, while
    onnx-direct's model of the same graph (relu of the output's shape) passes everywhere."""
    from fuzzer.ops import get_spec
    from fuzzer.report.blame import blame

    g = Graph()
    x = g.add_input(TensorType(F32, shape))
    g.outputs = [g.add_node("relu", [x], {}, get_spec("relu").infer([x.type], {})).outputs[0]]
    runtimes = ["onnxruntime", "openvino"]

    def evaluate(spec):
        (exporter,) = spec.exporters
        path = f"{exporter}@17"
        kind = Kind.RUN_CRASH if exporter == "torchscript" else Kind.PASS
        return _Ran([Verdict(kind, Stage.RUN, path, r) for r in runtimes], {path: made})

    buf = io.BytesIO()
    np.savez(buf, **feeds)
    target = Target(Kind.RUN_CRASH, Stage.RUN, "torchscript@17", "onnxruntime", "")
    return blame(g, target, 3, buf.getvalue(), ["torchscript", "onnx-direct"], runtimes, evaluate=evaluate)


def test_a_valid_model_every_runtime_refuses_is_no_witness_against_its_exporter():
    """The issue-13 review: a 0-d Pad with empty pads passes the full checker, and ORT,
    onnx.reference, OpenVINO and tract each refuse it; the direct builder's model (no Pad at all)
    passing did not make it the TorchScript exporter's bug."""
    x = helper.make_tensor_value_info("x", T.FLOAT, [])
    pad = one_op("Pad", [x], [helper.make_tensor_value_info("y", T.FLOAT, [])],
                 [helper.make_tensor("p", T.INT64, [0], [])], opset=17)
    who = _every_runtime_refuses(pad.SerializeToString(), {"x": np.array(1.0, np.float32)}, ())
    assert who.system == "" and "each runtime's refusal may be its own" in who.reason, who.reason


def test_a_reshape_to_a_computed_shape_of_another_size_breaks_its_constraint():
    """bugs/torchscript-run-crash-ea26b0: index_put's broadcast value reshaped to the data's shape
    (computed by Shape/Slice/Concat), not expanded: every runtime refuses, and the model is at fault."""
    x = helper.make_tensor_value_info("x", T.INT64, [1, 3])
    v = helper.make_tensor_value_info("v", T.INT64, [1])
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Reshape", ["v", "s"], ["r"]),
             helper.make_node("Add", ["x", "r"], ["y"])]
    model = helper.make_model(helper.make_graph(nodes, "g", [x, v], [helper.make_tensor_value_info("y", T.INT64, [1, 3])]),
                              opset_imports=[helper.make_opsetid("", 17)])
    feeds = {"x": np.zeros((1, 3), np.int64), "v": np.ones(1, np.int64)}
    assert constraint_breaks(model, feeds) == ["Reshape's shape [1, 3] does not hold the 1 elements of its data [1]"]
    who = _every_runtime_refuses(model.SerializeToString(), feeds, (1, 3))
    assert (who.system, who.role) == ("torchscript", "exporter") and "Reshape's shape" in who.reason, who.reason
    feeds["v"] = np.ones(3, np.int64)  # the same shape computation at a fitting size breaks nothing
    assert constraint_breaks(model, feeds) == []


def test_slice_bounds_must_be_1d():
    x = helper.make_tensor_value_info("x", T.FLOAT, [4])
    model = one_op("Slice", [x], [helper.make_tensor_value_info("y", T.FLOAT, [None])],
                   [helper.make_tensor("b", T.INT64, [], [0]), helper.make_tensor("e", T.INT64, [], [2])])
    assert constraint_breaks(model) == ["Slice's starts has rank 0 (must be a 1-D tensor)",
                                        "Slice's ends has rank 0 (must be a 1-D tensor)"]


def test_a_torch_jit_tracer_assert_is_blamed_on_the_tracer_the_exporter_runs():
    """Issue 13's review: torch.masked_fill of a bool tensor by a bool scalar fails in torch.jit's
    alias analysis, which the TorchScript exporter's trace runs first; torch.jit.trace alone
    fails the same way. The blame names the component; a symbolic function's failure does not."""
    from fuzzer.convert.base import ExportRequest
    from fuzzer.ops import get_spec
    from fuzzer.plugin import load_plugin
    from fuzzer.report.blame import _upstream_fault
    from fuzzer.report.vocabulary import at_fault_words
    from oracles import normalize_error

    g = Graph()
    x = g.add_input(TensorType(DType.bool, ()))
    m = g.add_input(TensorType(DType.bool, ()))
    spec = get_spec("masked_fill")
    attrs = {"value": False}
    g.outputs = [g.add_node("masked_fill", [x, m], attrs, spec.infer([x.type, m.type], attrs)).outputs[0]]
    feeds = {v.name: np.array(True) for v in g.inputs}
    names = [v.name for v in g.inputs]
    exporter = load_plugin("converter", "torchscript")
    with pytest.raises(Exception) as e:
        exporter.export(ExportRequest(g, feeds, names, ["out0"], 17))
    error = normalize_error(Kind.EXPORT_CRASH, f"{type(e.value).__name__}: {e.value}")
    assert "INTERNAL ASSERT FAILED" in error
    assert _upstream_fault("torchscript", g, feeds, 17, error) == "torch.jit.trace"
    assert _upstream_fault("torchscript", g, feeds, 17, "RuntimeError: something the symbolic raised") == ""
    meta = {"system": "torchscript", "component": "torch.jit.trace"}
    assert at_fault_words(meta).startswith("torch.jit.trace (run by torch.onnx.export")


def test_the_version_converter_ort_quantize_runs_first_is_blamed_for_its_invalid_model():
    """Issue 13's second review: quantize_dynamic upgrades an opset-7 model to opset 11 with
    onnx.version_converter, whose Pad 10->11 adapter adds an initializer an IR-3 model must also
    list as a graph input; the quantizer was blamed for the conversion's invalid model."""
    from fuzzer.plugin import load_plugin
    from fuzzer.report.blame import _transformer_upstream
    from oracles import normalize_error

    x = helper.make_tensor_value_info("x", T.FLOAT, [1, 2])
    y = helper.make_tensor_value_info("y", T.FLOAT, [1, 4])
    pad = helper.make_model(helper.make_graph([helper.make_node("Pad", ["x"], ["y"], pads=[0, 1, 0, 1])], "g", [x], [y]),
                            opset_imports=[helper.make_opsetid("", 7)], ir_version=3)
    data = pad.SerializeToString()
    quantize = load_plugin("converter", "ort-quantize")
    with pytest.raises(Exception) as e:
        onnx.checker.check_model(onnx.load_model_from_string(quantize.transform(data, 7)), full_check=True)
    error = normalize_error(Kind.INVALID_MODEL, f"{type(e.value).__name__}: {e.value}")
    assert "not in graph input" in error
    assert _transformer_upstream("ort-quantize", data, 7, error) == "version-up"
    assert _transformer_upstream("ort-quantize", data, 7, "ValidationError: something else") == ""
    assert quantize.upstream_fault(data, 13, error) is None  # no conversion at opset 10 and up


def test_a_traced_module_that_cannot_run_its_own_trace_is_the_tracers_fault():
    """The fourth review: x.mul(True) on an int8 tensor traces, but the traced module then hits
    the same alias-analysis assert the export raised; torch.jit is at fault there too."""
    import torch

    from fuzzer.convert.base import ExportRequest
    from fuzzer.plugin import load_plugin
    from oracles import normalize_error

    class MulTrue(torch.nn.Module):
        def forward(self, x):
            return x.mul(True)

    request = ExportRequest(None, {}, ["x"], ["out0"], 17)
    request.module, request.args = MulTrue(), (torch.tensor(3, dtype=torch.int8),)
    exporter = load_plugin("converter", "torchscript")
    with pytest.raises(Exception) as e:
        exporter.export(request)
    error = normalize_error(Kind.EXPORT_CRASH, f"{type(e.value).__name__}: {e.value}")
    assert exporter.upstream_fault(request, error) == "torch.jit.trace"


def test_a_dynamo_export_crash_in_torchs_own_steps_names_that_component():
    """bugs/dynamo-export-crash-477dc4: the exporter's step 2 (decompositions, then type
    promotion) fails alone on rsub of an int tensor and a float scalar; bugs/dynamo-export-crash-a7dd69
    fails in the ONNX translation (step 3), which is the exporter's own."""
    import json
    from pathlib import Path

    import numpy as np

    pytest.importorskip("torch")
    from fuzzer.ir import Graph
    from fuzzer.report.blame import _upstream_fault
    from oracles import Kind, normalize_error

    bugs = Path(__file__).resolve().parents[2] / "bugs"

    def upstream(name):
        if not (bugs / name).is_dir():
            pytest.skip(f"bugs/{name} is gone")
        case = json.loads((bugs / name / "case.json").read_text())
        bug = case["bug"]
        opset = int(bug["path"].split("@")[1].split(">")[0])
        return _upstream_fault(bug["system"], Graph.from_json(case["graph"]), dict(np.load(bugs / name / "inputs.npz")),
                               opset, normalize_error(Kind.EXPORT_CRASH, bug["error"]))

    assert upstream("dynamo-export-crash-477dc4") == "torch's decompositions"
    assert upstream("dynamo-export-crash-a7dd69") == ""


def test_an_explicit_unsupported_type_refusal_of_the_torchscript_exporter_is_a_gap():
    from fuzzer.plugin import load_plugin

    plugin = load_plugin("converter", "torchscript")
    assert plugin.is_unsupported(ValueError("Unsupported type for attn_mask: 7"))
    assert not plugin.is_unsupported(ValueError("tuple index out of range"))


def test_an_axis_on_a_0d_value_breaks_the_spec_even_where_the_opset_checker_passes_it():
    """TorchScript exports argmin(dim=0, keepdim=True) of a 0-d value as ArgMin axis=0 at opset 9,
    which that opset's checker passes; converted to opset 11 the checker rejects it, and the
    version converter is not at fault (review 6: version-up-invalid-model-55ba95)."""
    nodes = [helper.make_node("ArgMin", ["x"], ["y"], axis=0, keepdims=1)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", T.FLOAT, [])],
                              [helper.make_tensor_value_info("y", T.INT64, [])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)])
    onnx.checker.check_model(model)  # the opset-9 checker does not look
    assert constraint_breaks(model) == ["ArgMin's axis 0 is outside [-0, -1] for its input of rank 0"]
    fine = helper.make_model(helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", T.FLOAT, [3])],
                                               [helper.make_tensor_value_info("y", T.INT64, [1])]),
                             opset_imports=[helper.make_opsetid("", 9)])
    assert constraint_breaks(fine) == []


def test_version_converter_refusing_a_tensor_optional_below_18_is_unsupported():
    """Review 7 (version-down-convert-crash-256dfd): OptionalHasElement reads a plain tensor from
    opset 18 on; below 18 it reads an optional only, and the adapter says so: a limit of the
    converter, not a bug."""
    from fuzzer.convert.plugins.version import VersionDown

    g = helper.make_graph([helper.make_node("OptionalHasElement", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", T.UINT8, [])], [helper.make_tensor_value_info("y", T.BOOL, [])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    import onnx.version_converter

    with pytest.raises(Exception) as e:
        onnx.version_converter.convert_version(model, 17)
    assert "unallowed for Opset Version" in str(e.value)
    assert VersionDown().is_unsupported(e.value)


def test_a_transformers_wrong_result_seen_only_through_a_kernel_it_introduced_convicts_nobody():
    """Review 7 (onnxoptimizer-fuse-value-mismatch-1815eb): onnxoptimizer fused an int64 MatMul and
    Add into Gemm, which only onnx.reference runs (ORT has no int64 Gemm), and onnx.reference
    computes it through float64. The transformer's output needs a kernel its input did not, so the
    one runtime's word is no witness against the transformer; a wrong result with the same
    kernels still is."""
    from fuzzer.ops import get_spec
    from fuzzer.report.blame import blame

    g = Graph()
    x = g.add_input(TensorType(DType.int64, (1, 3)))
    g.outputs = [g.add_node("relu", [x], {}, get_spec("relu").infer([x.type], {})).outputs[0]]
    target = Target(Kind.VALUE_MISMATCH, Stage.JUDGE, "onnx-direct@19>onnxoptimizer-fuse", "onnx-reference", "")
    feeds = {"x": np.zeros((1, 3), np.int64)}
    vi = [helper.make_tensor_value_info(n, T.INT64, [1, 3]) for n in ("x", "b", "y")]
    w = helper.make_tensor("w", T.INT64, [3, 3], [1] * 9)

    def model(nodes, inputs):
        return helper.make_model(helper.make_graph(nodes, "g", inputs, [vi[2]], [w]),
                                 opset_imports=[helper.make_opsetid("", 19)]).SerializeToString()

    given = model([helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Add", ["m", "x"], ["y"])], [vi[0]])
    fused = model([helper.make_node("Gemm", ["x", "w", "x"], ["y"])], [vi[0]])
    rewired = model([helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Add", ["x", "m"], ["y"])], [vi[0]])

    def evaluate_with(made):
        verdicts = [Verdict(Kind.PASS, Stage.JUDGE, "onnx-direct@19", "onnx-reference"),
                    Verdict(Kind.VALUE_MISMATCH, Stage.JUDGE, "onnx-direct@19>onnxoptimizer-fuse", "onnx-reference"),
                    Verdict(Kind.UNSUPPORTED, Stage.LOAD, "onnx-direct@19>onnxoptimizer-fuse", "onnxruntime")]
        return lambda spec: _Ran(verdicts, {"onnx-direct@19": given, "onnx-direct@19>onnxoptimizer-fuse": made})

    inputs = io.BytesIO()
    np.savez(inputs, **feeds)
    who = blame(g, target, 3, inputs.getvalue(), ["onnx-direct"], ["onnx-reference", "onnxruntime"], evaluate=evaluate_with(fused))
    assert who.system == "" and "Gemm(int64)" in who.reason, who.reason
    who = blame(g, target, 3, inputs.getvalue(), ["onnx-direct"], ["onnx-reference", "onnxruntime"], evaluate=evaluate_with(rewired))
    assert (who.system, who.role) == ("onnxoptimizer-fuse", "transformer"), who.reason


def test_a_dynamo_model_wrong_because_torchs_decomposition_is_wrong_names_the_decomposition():
    """Review 7 (dynamo-invalid-model-1b66f5): torch's _index_add decomposition multiplies a bool
    source by alpha (int64) and index_puts it into the bool tensor, which already fails eagerly;
    torchlib only translates it. A module the decompositions keep right names nothing."""
    pytest.importorskip("torch")
    from fuzzer.convert.base import ExportRequest
    from fuzzer.convert.plugins.dynamo import DynamoExporter
    from fuzzer.ops import get_spec

    graph = Graph.from_json({"format": "onnxfuzz-graph/1", "outputs": [[5, 0]], "nodes": [
        {"id": 3, "op": "const", "attrs": {}, "outputs": [{"dtype": "int64", "shape": [2]}], "inputs": [],
         "value": {"dtype": "int64", "shape": [2], "b64": "AAAAAAAAAAAAAAAAAAAAAA=="}},
        {"id": 4, "op": "const", "attrs": {}, "outputs": [{"dtype": "bool", "shape": [1, 2]}], "inputs": [],
         "value": {"dtype": "bool", "shape": [1, 2], "b64": "AAE="}},
        {"id": 5, "op": "opinfo.index_add.inplace", "attrs": {"args": [-1, {"t": 1}, {"t": 2}], "kwargs": {"alpha": 0}},
         "outputs": [{"dtype": "bool", "shape": [1, 1]}], "inputs": [[6, 0], [3, 0], [4, 0]]},
        {"id": 6, "op": "input", "attrs": {}, "outputs": [{"dtype": "bool", "shape": [1, 1]}], "inputs": []}]})
    name = graph.inputs[0].name
    request = ExportRequest(graph, {name: np.array([[False]])}, [name], ["out0"], 18)
    assert DynamoExporter().upstream_wrong(request) == "torch's decompositions"

    g = Graph()
    x = g.add_input(TensorType(F32, (2, 3)))
    g.outputs = [g.add_node("relu", [x], {}, get_spec("relu").infer([x.type], {})).outputs[0]]
    request = ExportRequest(g, {x.name: np.ones((2, 3), np.float32)}, [x.name], ["out0"], 18)
    assert DynamoExporter().upstream_wrong(request) is None


def test_a_wrong_result_a_transformer_folded_in_with_another_runtimes_kernels_is_that_runtimes():
    """Review 9 (onnxscript-optimizer-invalid-model-107254): onnxscript's constant folding runs
    onnx.reference's Slice, which clamps a negative step's start wrongly; the folded output has
    the wrong shape. The reference already gave that wrong shape on the model the optimizer was
    given: the reference is at fault. Without that witness the optimizer stays blamed."""
    from fuzzer.report.blame import _carried_over

    target = Target(Kind.INVALID_MODEL, Stage.CHECK, "onnx-direct@26>onnxscript-optimizer", "", "")
    witnesses = [("onnx-direct@26", "onnx-reference", "shape_mismatch"), ("onnx-direct@26", "onnxruntime", "pass")]
    assert _carried_over("onnxscript-optimizer", target, witnesses) == "onnx-reference"
    assert _carried_over("onnxscript-optimizer", target, [("onnx-direct@26", "onnx-reference", "pass")]) == ""
    assert _carried_over("onnxslim", target, witnesses) == ""  # it folds with ONNX Runtime, which ran that model right
    crash = Target(Kind.CONVERT_CRASH, Stage.CONVERT, "onnx-direct@26>onnxscript-optimizer", "", "")
    assert _carried_over("onnxscript-optimizer", crash, witnesses) == ""


def test_tile_with_repeats_not_matching_the_rank_breaks_the_spec():
    """Review 9 (onnxruntime-run-crash-ddc047): onnxoptimizer folded Shape of a value it had made
    0-d into [], and ORT rightly refused Tile(rank-1 input, repeats=[]): the model's fault."""
    def tile(repeats):
        return helper.make_model(helper.make_graph(
            [helper.make_node("Tile", ["x", "r"], ["y"])], "g", [helper.make_tensor_value_info("x", T.FLOAT, [4])],
            [helper.make_tensor_value_info("y", T.FLOAT, None)], [helper.make_tensor("r", T.INT64, [len(repeats)], repeats)]),
            opset_imports=[helper.make_opsetid("", 17)])

    feeds = {"x": np.ones(4, np.float32)}
    assert constraint_breaks(tile([]), feeds) == ["Tile's repeats has 0 entries for its input of rank 1"]
    assert constraint_breaks(tile([2]), feeds) == []
    found = on_same_model(Kind.RUN_CRASH, "onnxruntime", [("onnx-reference", Kind.PASS)], tile([]), feeds)
    assert found.at == "model", found.reason


def _one_node(op, inputs, init, out_shape, attrs=None, opset=18, elem=T.FLOAT):
    graph_inputs = [helper.make_tensor_value_info(n, elem, s) for n, s in inputs]
    nodes = [helper.make_node(op, [n for n, _ in inputs] + [t.name for t in init], ["y"], **(attrs or {}))]
    out = helper.make_tensor_value_info("y", elem, out_shape)
    return helper.make_model(helper.make_graph(nodes, "g", graph_inputs, [out], init), opset_imports=[helper.make_opsetid("", opset)])


def test_review_10s_models_that_break_input_constraints_the_checker_skips():
    """A Gather index past a Shape a reduction shortened (onnxoptimizer crashed on it), a Pad with
    pads for another rank (tract refused it), a reduction's axes input on a 0-d value (dynamo's,
    which ORT refused after folding it): each breaks the spec, and nobody's defect is filed on it."""
    gather = _one_node("Gather", [("x", [1])], [helper.make_tensor("i", T.INT64, [], [2])], [], elem=T.INT64)
    assert constraint_breaks(gather) == ["Gather's indices reach 2..2 along an axis of 1"]
    assert constraint_breaks(_one_node("Gather", [("x", [3])], [helper.make_tensor("i", T.INT64, [], [-3])], [], elem=T.INT64)) == []
    pad = _one_node("Pad", [("x", [2, 3])], [helper.make_tensor("p", T.INT64, [2], [1, 1])], [2, 5])
    assert constraint_breaks(pad) == ["Pad's pads has 2 values for its input of rank 2 (must be 4)"]
    assert constraint_breaks(_one_node("Pad", [("x", [2, 3])], [helper.make_tensor("p", T.INT64, [4], [0, 1, 0, 1])], [2, 5])) == []
    reduce = _one_node("ReduceMin", [("x", [])], [helper.make_tensor("a", T.INT64, [1], [-1])], [], {"keepdims": 0})
    assert constraint_breaks(reduce) == ["ReduceMin's axis -1 is outside [-0, -1] for its input of rank 0"]
    assert constraint_breaks(_one_node("ReduceMin", [("x", [2])], [helper.make_tensor("a", T.INT64, [1], [-1])], [], {"keepdims": 0})) == []


def test_a_shape_the_model_states_wins_over_the_reference_evaluators_where_it_fails():
    """bugs/onnx-reference-run-crash-2c247c: onnx.reference's GlobalMaxPool drops a dim, and the
    Squeeze after it is valid by the shapes the model states: the evaluator's defect, not the model's."""
    x = helper.make_tensor_value_info("x", T.FLOAT, [1, 1, 1])
    nodes = [helper.make_node("GlobalMaxPool", ["x"], ["p"]), helper.make_node("Squeeze", ["p", "a"], ["y"])]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [helper.make_tensor_value_info("y", T.FLOAT, [1, 1])],
                                                [helper.make_tensor("a", T.INT64, [1], [2])]),
                              opset_imports=[helper.make_opsetid("", 15)])
    feeds = {"x": np.ones((1, 1, 1), np.float32)}
    assert constraint_breaks(model, feeds, stated_first=True) == []
    # where another system fails, the computed shapes win: a producer's stale shapes are its own defect
    assert constraint_breaks(model, feeds) == ["Squeeze's axis 2 is outside [-2, 1] for its input of rank 2"]
    assert on_same_model(Kind.RUN_CRASH, "onnx-reference", [("onnxruntime", Kind.PASS)], model, feeds).at == "runtime"


def test_a_lowered_precision_flipping_a_discrete_output_is_no_defect_of_the_transformer():
    """Review 10: ORT's dynamic quantization moved two values 0.003 apart past each other and the
    indices after them swapped. An integer output computed from floats of a model lowered on
    purpose is no witness against the transformer; a float output, or another transformer, is."""
    from types import SimpleNamespace

    from fuzzer.report.blame import _discrete_output_of_lowered_precision

    g = Graph()
    x = g.add_input(TensorType(DType.float32, (4,)))
    (i,) = g.add_node("argmax", [x], {"dim": 0, "keepdim": False}, [TensorType(DType.int64, ())]).outputs
    (y,) = g.add_node("neg", [x], {}, [TensorType(DType.float32, (4,))]).outputs
    g.outputs = [i, y]
    wrong_index = SimpleNamespace(kind=Kind.VALUE_MISMATCH, error="output 0: 1/1 elements off")
    assert "int8" in _discrete_output_of_lowered_precision("ort-quantize", g, wrong_index)
    assert "float16" in _discrete_output_of_lowered_precision("float16", g, wrong_index)
    assert _discrete_output_of_lowered_precision("onnxoptimizer", g, wrong_index) == ""
    assert _discrete_output_of_lowered_precision("ort-quantize", g, SimpleNamespace(kind=Kind.VALUE_MISMATCH,
                                                                                    error="output 1: 4/4 elements off")) == ""


def test_a_lowered_precision_crossing_a_floor_is_no_defect_of_the_transformer():
    """Review 11: a quantized Conv gave 1.031 for 0.981, and the Floor after it -2 for -1."""
    from types import SimpleNamespace

    from fuzzer.report.blame import _discrete_output_of_lowered_precision

    g = Graph()
    x = g.add_input(TensorType(DType.float32, (4,)))
    (f,) = g.add_node("floor", [x], {}, [TensorType(DType.float32, (4,))]).outputs
    (y,) = g.add_node("neg", [x], {}, [TensorType(DType.float32, (4,))]).outputs
    g.outputs = [f, y]
    assert "Floor" in _discrete_output_of_lowered_precision("ort-quantize", g, SimpleNamespace(kind=Kind.VALUE_MISMATCH, error="output 0: 1/4 elements off"))
    assert _discrete_output_of_lowered_precision("ort-quantize", g, SimpleNamespace(kind=Kind.VALUE_MISMATCH, error="output 1: 1/4 elements off")) == ""


def test_a_lowered_precision_excuses_no_wrong_shape_and_no_integer_made_without_a_step():
    """Maintainer review: rounding never changes a shape, and an integer output no float became
    (Shape of a float tensor) cannot flip with rounding."""
    from types import SimpleNamespace

    from fuzzer.report.blame import _discrete_output_of_lowered_precision

    g = Graph()
    x = g.add_input(TensorType(DType.float32, (4,)))
    (i,) = g.add_node("argmax", [x], {"dim": 0, "keepdim": False}, [TensorType(DType.int64, ())]).outputs
    (s,) = g.add_node("onnx.Shape", [x], {}, [TensorType(DType.int64, (1,))]).outputs
    g.outputs = [i, s]
    assert _discrete_output_of_lowered_precision("float16", g, SimpleNamespace(kind=Kind.SHAPE_MISMATCH, error="output 0: shape [1]")) == ""
    assert _discrete_output_of_lowered_precision("float16", g, SimpleNamespace(kind=Kind.VALUE_MISMATCH, error="output 1: 1/1 elements off")) == ""


def test_a_lowered_precision_crossing_a_truncating_cast_is_no_defect_of_the_transformer():
    """Review 12: a quantized Conv gave -1.009 for -0.997, and a float32 -> int32 -> float32 cast
    pair (a motif, whose casts only the model shows) truncated that to -1 for 0. A cast of an
    integer to another is no step."""
    from types import SimpleNamespace

    from onnx import TensorProto, helper

    from fuzzer.report.blame import _discrete_output_of_lowered_precision

    g = Graph()
    x = g.add_input(TensorType(DType.float32, (4,)))
    (y,) = g.add_node("neg", [x], {}, [TensorType(DType.float32, (4,))]).outputs
    g.outputs = [y]

    def model(to):
        nodes = [helper.make_node("Neg", ["x"], ["n"]), helper.make_node("Cast", ["n"], ["w"], to=to),
                 helper.make_node("Cast", ["w"], ["y"], to=TensorProto.FLOAT)]
        return helper.make_model(helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                                                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])]))

    wrong = SimpleNamespace(kind=Kind.VALUE_MISMATCH, error="output 0: 1/4 elements off")
    assert "integer" in _discrete_output_of_lowered_precision("ort-quantize", g, wrong, model(TensorProto.INT32))
    assert _discrete_output_of_lowered_precision("ort-quantize", g, wrong, model(TensorProto.DOUBLE)) == ""
    assert _discrete_output_of_lowered_precision("ort-quantize", g, wrong, model(TensorProto.FLOAT8E4M3FN)) == ""

    def sized():  # Resize's sizes computed from the input's Shape through casts: sizes no rounding moves
        nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Cast", ["s"], ["sf"], to=TensorProto.FLOAT),
                 helper.make_node("Cast", ["sf"], ["si"], to=TensorProto.INT64),
                 helper.make_node("Resize", ["x", "", "", "si"], ["y"])]
        return helper.make_model(helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                                                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])]))

    assert _discrete_output_of_lowered_precision("ort-quantize", g, wrong, sized()) == ""
    assert _discrete_output_of_lowered_precision("ort-quantize", g, wrong) == ""
    # blame's Target keeps its error normalized: the failing verdict's words name the output
    normalized = SimpleNamespace(kind=Kind.VALUE_MISMATCH, error="value_mismatch")
    assert _discrete_output_of_lowered_precision("ort-quantize", g, normalized, model(TensorProto.INT32)) == ""
    assert "integer" in _discrete_output_of_lowered_precision("ort-quantize", g, normalized, model(TensorProto.INT32),
                                                              "output 0: 1/4 elements off")


def test_a_squeeze_naming_one_dim_twice_breaks_its_constraints():
    """Review 12: onnxoptimizer's fuse_consecutive_squeezes wrote Squeeze axes [-1, 5] on rank 6,
    which onnx.reference refuses; one dim cannot be removed twice."""
    import onnx
    from onnx import TensorProto, helper

    from oracles.evidence import constraint_breaks

    def squeeze(axes):
        node = helper.make_node("Squeeze", ["x", "a"], ["y"])
        graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 1, 1, 3, 1])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
                                  [helper.make_tensor("a", TensorProto.INT64, [len(axes)], axes)])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])

    assert constraint_breaks(squeeze([-1, 5])) == ["Squeeze's axes [-1, 5] name dim 5 twice for its input of rank 6"]
    assert constraint_breaks(squeeze([0, 2, 3, 5])) == []
    onnx.checker.check_model(squeeze([0, 2, 3, 5]), full_check=True)


def test_a_transformer_dying_in_the_runtime_it_folds_with_is_not_blamed():
    """Review 13: onnxslim died folding constants with ONNX Runtime, whose RandomNormal aborts on
    scale 0, and ONNX Runtime fails on the model onnxslim was given too: the death is ORT's. A
    Python exception of the tool, or a death where ORT runs the model, stays the tool's."""
    from fuzzer.minimize.reducer import Target
    from fuzzer.report.blame import _folding_runtime_died
    from oracles import Stage

    def target(error):
        return Target(Kind.CONVERT_CRASH, Stage.CONVERT, "onnx-direct@10>onnxslim", "", error)

    died = "worker died: signal SIGABRT"
    ort_fails = [("onnx-direct@10", "onnxruntime-basic", "run_crash"), ("onnx-direct@10", "onnx-reference", "pass")]
    ort_runs = [("onnx-direct@10", "onnxruntime-basic", "pass"), ("onnx-direct@10", "onnx-reference", "pass")]
    assert _folding_runtime_died("onnxslim", target(died), ort_fails) == "onnxruntime"
    assert _folding_runtime_died("onnxslim", target(died), ort_runs) == ""
    assert _folding_runtime_died("onnxslim", target("KeyError: 't7'"), ort_fails) == ""
    assert _folding_runtime_died("onnxoptimizer", target(died), ort_fails) == ""


def test_a_carried_over_wrong_result_is_filed_on_the_runtimes_own_path_not_the_transformers():
    """Short campaign after review 13: onnxscript's optimizer folded log_softmax with
    onnx.reference's kernels, and the folder filed on its path held a model of no nodes whose
    constant was already wrong, run on ONNX Runtime: nothing a maintainer of onnx.reference can
    use. Blame files nothing on that path; onnx.reference's own failure on the model the
    optimizer was given is a signature of its own."""
    from types import SimpleNamespace

    from fuzzer.ops import get_spec
    from fuzzer.report.blame import blame

    g = Graph()
    x = g.add_input(TensorType(F32, (2,)))
    g.outputs = [g.add_node("relu", [x], {}, get_spec("relu").infer([x.type], {})).outputs[0]]

    def verdict(path, runtime, kind, error=""):
        return SimpleNamespace(path=path, runtime=runtime, kind=kind, error=error)

    def evaluate(spec):  # the witnesses' verdicts, as a case would give them
        return SimpleNamespace(models={}, verdicts=[
            verdict("onnx-direct@23", "onnx-reference", Kind.VALUE_MISMATCH, "output 0: 2/2 elements off"),
            verdict("onnx-direct@23", "onnxruntime", Kind.PASS),
            verdict("onnx-direct@23>onnxscript-optimizer", "onnxruntime", Kind.VALUE_MISMATCH, "output 0: 2/2 elements off")])

    target = Target(Kind.VALUE_MISMATCH, Stage.JUDGE, "onnx-direct@23>onnxscript-optimizer", "onnxruntime", "value_mismatch")
    found = blame(g, target, 0, None, ["onnx-direct"], ["onnxruntime", "onnx-reference"], evaluate=evaluate)
    assert found.system == "" and "filed on its own path" in found.reason


def test_a_transformer_refusing_an_axis_the_given_model_computes_out_of_range_is_not_at_fault():
    """Review 16: ReduceMax on a 0-d value with axes a Reshape of constants makes; an offline
    optimizer folding it refused the model. Only the case's inputs show the axis: the exporter is
    at fault."""
    import io

    import numpy as np

    from fuzzer.ops import get_spec
    from fuzzer.report.blame import blame

    g = Graph()
    x = g.add_input(TensorType(F32, ()))
    g.outputs = [g.add_node("relu", [x], {}, get_spec("relu").infer([x.type], {})).outputs[0]]
    name = x.name
    nodes = [helper.make_node("Constant", [], ["shape"], value_ints=[-1]),
             helper.make_node("Constant", [], ["minus1"], value=helper.make_tensor("v", T.INT64, [], [-1])),
             helper.make_node("Reshape", ["minus1", "shape"], ["axes"]),
             helper.make_node("ReduceMax", [name, "axes"], ["y"], keepdims=0)]
    given = helper.make_model(helper.make_graph(nodes, "g", [helper.make_tensor_value_info(name, T.FLOAT, [])],
                                                [helper.make_tensor_value_info("y", T.FLOAT, [])]),
                              opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()
    buf = io.BytesIO()
    np.savez(buf, **{name: np.array(1.5, dtype=np.float32)})
    target = Target(Kind.CONVERT_CRASH, Stage.CONVERT, "dynamo@18>ort-offline-extended", "", "axis must be in [-rank, rank-1]")
    evaluate = lambda spec: _Kept({"dynamo@18": given, "dynamo@18>ort-offline-extended": given}) if spec.transformers else None
    who = blame(g, target, 3, buf.getvalue(), ["dynamo"], [], evaluate=evaluate)
    assert (who.system, who.role) == ("dynamo", "exporter") and "ReduceMax's axis -1" in who.reason, who.reason


def test_a_graph_minimized_to_constants_alone_still_has_its_upstream_component_found():
    """Review 16 (bugs/dynamo-noopt-export-crash-f3cecc): polygamma_ on a constant, the graph
    left with no inputs; torch's decompositions alone refuse it, as for the live e93b38, but an
    empty set of feeds was taken for no evidence and the exporter was blamed."""
    import json
    from pathlib import Path

    pytest.importorskip("torch")
    from fuzzer.ir.types import read_npz
    from fuzzer.report.blame import _upstream_fault

    folder = Path(__file__).resolve().parents[2] / "bugs" / "dynamo-noopt-export-crash-f3cecc"
    if not folder.is_dir():
        pytest.skip("the folder is gone")
    case = json.loads((folder / "case.json").read_text())
    graph = Graph.from_json(case["graph"])
    assert not graph.inputs
    assert _upstream_fault("dynamo-noopt", graph, read_npz(folder / "inputs.npz"), 20, case["bug"]["error"]) == \
        "torch's decompositions"


def test_a_declared_shape_that_does_not_cause_the_failure_does_not_convict_its_producer():
    """Review 16 (bugs/torchscript-load-crash-794792): TorchScript declares tile's output of rank 3
    for a rank-4 value, and ONNX Runtime's constant folding refuses a dead If branch of the model;
    declaring the right rank, ONNX Runtime still fails the same way, and with its optimizations
    off runs the model correctly: ONNX Runtime is at fault."""
    import json
    from pathlib import Path

    pytest.importorskip("torch")
    from fuzzer.minimize.reducer import Target
    from fuzzer.report.blame import blame

    folder = Path(__file__).resolve().parents[2] / "bugs" / "torchscript-load-crash-794792"
    if not folder.is_dir():
        pytest.skip("the folder is gone")
    case = json.loads((folder / "case.json").read_text())
    bug = case["bug"]
    target = Target(Kind(bug["kind"]), Stage(bug["stage"]), bug["path"], bug["runtime"], bug["error"])
    who = blame(Graph.from_json(case["graph"]), target, 0, (folder / "inputs.npz").read_bytes(), ["torchscript"],
                ["onnxruntime", "onnxruntime-noopt", "onnx-reference"])
    assert (who.system, who.role) == ("onnxruntime", "runtime"), who.reason


def test_a_transformer_is_not_convicted_by_the_one_runtime_that_passed_where_all_others_failed():
    """Review 16 (ort-offline-basic-value-mismatch-caeb95): on the dynamo exporter's model, every
    runtime but tract computed a wrong atan2 at -0.0 (the exporter's defect) and tract passed by an
    error of its own; after the offline optimizer only tract ran, and it agreed with the others.
    That pass is no witness against the transformer; with another runtime passing too, it is."""
    import io

    from fuzzer.ops import get_spec
    from fuzzer.report.blame import blame

    g = Graph()
    x = g.add_input(TensorType(F32, (2,)))
    g.outputs = [g.add_node("relu", [x], {}, get_spec("relu").infer([x.type], {})).outputs[0]]
    model = one_op("Relu", [helper.make_tensor_value_info("x0", T.FLOAT, [2])],
                   [helper.make_tensor_value_info("y", T.FLOAT, [2])]).SerializeToString()
    target = Target(Kind.VALUE_MISMATCH, Stage.JUDGE, "dynamo@21>ort-offline-basic", "tract", "")

    def evaluate_with(reference):
        verdicts = [Verdict(Kind.PASS, Stage.JUDGE, "dynamo@21", "tract"),
                    Verdict(Kind.VALUE_MISMATCH, Stage.JUDGE, "dynamo@21", "onnxruntime"),
                    Verdict(reference, Stage.JUDGE, "dynamo@21", "onnx-reference"),
                    Verdict(Kind.VALUE_MISMATCH, Stage.JUDGE, "dynamo@21>ort-offline-basic", "tract")]
        return lambda spec: _Ran(verdicts, {"dynamo@21": model, "dynamo@21>ort-offline-basic": model})

    inputs = io.BytesIO()
    np.savez(inputs, **{x.name: np.zeros(2, np.float32)})
    who = blame(g, target, 3, inputs.getvalue(), ["dynamo"], ["tract", "onnxruntime", "onnx-reference"],
                evaluate=evaluate_with(Kind.VALUE_MISMATCH))
    assert who.system == "" and "tract alone passes" in who.reason, who.reason
    who = blame(g, target, 3, inputs.getvalue(), ["dynamo"], ["tract", "onnxruntime", "onnx-reference"],
                evaluate=evaluate_with(Kind.PASS))
    assert (who.system, who.role) == ("ort-offline-basic", "transformer"), who.reason


def test_a_dynamo_model_its_last_optimizer_makes_wrong_names_that_optimizer():
    """Review 17 (bugs/dynamo-value-mismatch-35a63e, withdrawn): index_add on a 0-d value; the
    export with optimize=False computes it, and onnxscript's ScatterAllStatic rule, which the
    exporter runs last, drops the ScatterND's reduction. The exporter was blamed; its optimizer
    is named now, and its transformer path files the defect. dynamo-noopt has no such step."""
    import json
    from pathlib import Path

    pytest.importorskip("torch")
    from fuzzer.convert.base import EXPORTERS_OPTIMIZER, ExportRequest
    from fuzzer.convert.plugins.dynamo import DynamoExporter, DynamoNoOptExporter
    from fuzzer.ir.types import read_npz

    folder = Path(__file__).resolve().parents[2] / "bugs" / "dynamo-value-mismatch-35a63e"
    if not folder.is_dir():
        pytest.skip("the folder is gone")
    graph = Graph.from_json(json.loads((folder / "case.json").read_text())["graph"])
    feeds = read_npz(folder / "inputs.npz")
    names = [v.name for v in graph.inputs]
    request = ExportRequest(graph, {n: feeds[n] for n in names}, names, ["out0"], 23)
    assert DynamoExporter().upstream_wrong(request) == EXPORTERS_OPTIMIZER
    request = ExportRequest(graph, {n: feeds[n] for n in names}, names, ["out0"], 23)
    assert DynamoNoOptExporter().upstream_wrong(request) is None


#: review 21's dynamo-invalid-model-6601f5: hardtanh(x, 0, 0) and three clamp_max, two of them on x
_TWO_CLIPS_ON_ONE_INPUT = '{"format": "onnxfuzz-graph/1", "nodes": [{"id": 0, "op": "input", "attrs": {}, "outputs": [{"dtype": "float32", "shape": []}], "inputs": []}, {"id": 4, "op": "opinfo.nn.functional.hardtanh", "attrs": {"args": [], "kwargs": {"max_val": 0.0, "min_val": 0.0}}, "outputs": [{"dtype": "float32", "shape": []}], "inputs": [[0, 0]]}, {"id": 5, "op": "const", "attrs": {}, "outputs": [{"dtype": "float32", "shape": []}], "inputs": [], "value": {"dtype": "float32", "shape": [], "b64": "zbmlvQ=="}}, {"id": 6, "op": "opinfo.clamp_max", "attrs": {"args": [{"t": 1}], "kwargs": {}}, "outputs": [{"dtype": "float32", "shape": []}], "inputs": [[0, 0], [5, 0]]}, {"id": 7, "op": "const", "attrs": {}, "outputs": [{"dtype": "float32", "shape": []}], "inputs": [], "value": {"dtype": "float32", "shape": [], "b64": "AACAvw=="}}, {"id": 8, "op": "opinfo.clamp_max", "attrs": {"args": [{"t": 1}], "kwargs": {}}, "outputs": [{"dtype": "float32", "shape": []}], "inputs": [[6, 0], [7, 0]]}, {"id": 9, "op": "const", "attrs": {}, "outputs": [{"dtype": "float32", "shape": []}], "inputs": [], "value": {"dtype": "float32", "shape": [], "b64": "Ug0Tvw=="}}, {"id": 10, "op": "opinfo.clamp_max", "attrs": {"args": [{"t": 1}], "kwargs": {}}, "outputs": [{"dtype": "float32", "shape": []}], "inputs": [[4, 0], [9, 0]]}], "outputs": [[8, 0], [10, 0]]}'


def test_a_dynamo_model_its_last_optimizer_breaks_names_that_optimizer():
    """Review 21: the export with optimize=False is valid and computes the module; onnxscript's
    FuseSuccessiveClip names both fused bounds of x0 alike and one initializer is lost, so the
    optimized model fails the checker. The optimizer is named (its transformer path files it),
    not the translation. A plain model that ONNX Runtime without constant folding runs but that
    breaks an input constraint (torchlib's any over axis 0 of a 0-d input, bugs/d5918f) is the
    translation's: the optimizer only folded the computed axes where the checker sees them."""
    import json
    from pathlib import Path

    pytest.importorskip("torch")
    from fuzzer.convert.base import EXPORTERS_OPTIMIZER, ExportRequest
    from fuzzer.convert.plugins.dynamo import DynamoExporter
    from fuzzer.ir.types import read_npz

    graph = Graph.from_json(json.loads(_TWO_CLIPS_ON_ONE_INPUT))
    request = ExportRequest(graph, {"x0": np.array(-0.7, dtype=np.float32)}, ["x0"], ["out0", "out1"], 22)
    assert DynamoExporter().upstream_wrong(request) == EXPORTERS_OPTIMIZER
    folder = Path(__file__).resolve().parents[2] / "bugs" / "dynamo-invalid-model-d5918f"
    graph = Graph.from_json(json.loads((folder / "case.json").read_text())["graph"])
    feeds = read_npz(folder / "inputs.npz")
    names = [v.name for v in graph.inputs]
    request = ExportRequest(graph, {n: feeds[n] for n in names}, names, ["out0"], 23)
    assert DynamoExporter().upstream_wrong(request) is None


def test_split_lengths_in_the_attribute_below_opset_13_are_checked():
    """Review 17 (ort-offline-basic-convert-crash-67d6cf): TorchScript's split at opset 12 wrote
    lengths [2] for an axis of 1 in Split's attribute; only the input form was checked, and the
    offline optimizer refusing the model was blamed."""
    from oracles.evidence import constraint_breaks

    def model(split):
        node = helper.make_node("Split", ["x"], ["y"], axis=0, split=split)
        graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", T.UINT8, [1, 1])],
                                  [helper.make_tensor_value_info("y", T.UINT8, None)])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])

    assert constraint_breaks(model([2])) == ["Split's split lengths [2] sum to 2, not the axis' length 1"]
    assert constraint_breaks(model([1])) == []


def test_the_reference_evaluator_alone_differing_on_a_discrete_output_of_a_lowered_model_is_not_blamed(tmp_path):
    """Review 18 (bugs/onnx-reference-value-mismatch-84eab0, withdrawn): after the float16
    converter, Unique counted two values that float16 rounds to one -0; onnx.reference did so
    rightly, ONNX Runtime dropped the Casts and agreed with the float32 truth. A compiled runtime
    alone differing on such an output is still blamed (tract's float16 Softplus: c2f007)."""
    import json
    import shutil
    from pathlib import Path

    from fuzzer.report.reblame import reblame

    bugs = Path(__file__).resolve().parents[2] / "bugs"
    if not (bugs / "onnx-reference-value-mismatch-84eab0").is_dir() or not (bugs / "tract-value-mismatch-c2f007").is_dir():
        pytest.skip("the folders are gone")
    folder = shutil.copytree(bugs / "onnx-reference-value-mismatch-84eab0", tmp_path / "f")
    case = json.loads((folder / "case.json").read_text())
    del case["bug"]["withdrawn"]
    (folder / "case.json").write_text(json.dumps(case))
    assert reblame(folder)["now"] == ["", ""]
    assert reblame(bugs / "tract-value-mismatch-c2f007")["now"] == ["tract", "runtime"]


def test_onnxoptimizer_passes_onnxsim_runs_inside_its_simplify_are_blamed_for_their_crash():
    """Reviews 23 and 24: onnxsim runs onnxoptimizer's passes inside its own simplify, and
    fuse_consecutive_log_softmax asserts on Softmax's axis left to its default: onnxoptimizer's
    fuse_* plugin alone fails the same way (its wheel names the assertion's file once more), and
    is blamed in its own words. A model the passes take cleanly names no upstream."""
    from fuzzer.plugin import load_plugin
    from fuzzer.report.blame import _transformer_upstream, _words_of

    x = helper.make_tensor_value_info("x", T.FLOAT, [1])
    y = helper.make_tensor_value_info("y", T.FLOAT, [1])
    log_softmax = helper.make_model(helper.make_graph([helper.make_node("Softmax", ["x"], ["s"]),
                                                      helper.make_node("Log", ["s"], ["y"])], "g", [x], [y]),
                                    opset_imports=[helper.make_opsetid("", 21)])
    data = log_softmax.SerializeToString()
    with pytest.raises(Exception) as e:
        load_plugin("converter", "onnxsim").transform(data, 21)
    error = f"{type(e.value).__name__}: {e.value}"
    assert "required undefined attribute 'axis'" in error
    assert _transformer_upstream("onnxsim", data, 21, error) == "onnxoptimizer-fuse"
    said = _words_of("onnxoptimizer-fuse", data, 21)
    assert "required undefined attribute 'axis'" in said and said != error
    relu = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y]),
                             opset_imports=[helper.make_opsetid("", 21)])
    assert _transformer_upstream("onnxsim", relu.SerializeToString(), 21, error) == ""


def test_clip6_with_min_above_max_breaks_the_spec_the_exporter_wrote():
    """Review 24: TorchScript's opset-9 clamp(min=0.25, max=-1.5) writes Clip-6 attributes min > max,
    which Clip-6 leaves undefined (Clip-13 first says what it gives) and ONNX Runtime refuses: the
    exporter is at fault, not ONNX Runtime's offline optimizer."""
    x = helper.make_tensor_value_info("x", T.FLOAT, [])
    y = helper.make_tensor_value_info("y", T.FLOAT, [])

    def clip(low, high):
        return helper.make_model(helper.make_graph([helper.make_node("Clip", ["x"], ["y"], min=low, max=high)], "g", [x], [y]),
                                 opset_imports=[helper.make_opsetid("", 9)])

    (why,) = constraint_breaks(clip(0.25, -1.5))
    assert "min 0.25 is greater than its max -1.5" in why
    assert constraint_breaks(clip(-1.5, 0.25)) == [] and constraint_breaks(clip(0.5, 0.5)) == []
