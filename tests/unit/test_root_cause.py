"""One folder per root cause, across graphs, ONNX Runtime's settings, campaigns and both filers;
onnxfuzz's own defects recorded apart, never filed; a repro that exits 1 for another reason
does not count."""
from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

from fuzzer.case import CaseSpec, run_case
from fuzzer.convert.plugins.torchscript import TorchScriptExporter
from fuzzer.generate import GenConfig
from fuzzer.ir import DType, Graph, TensorType
from fuzzer.minimize.reducer import Reduction, Target
from fuzzer.ops import get_spec
from fuzzer.plugin import ENV_VAR
from fuzzer.report.blame import Blame
from fuzzer.report.rootcause import graph_sink_ops, model_sink_ops, root_error, root_key, system_family
from oracles import Kind, Stage, Verdict
from tests.plugins.faulty import negate_first

F32 = DType.float32


def flip_tanh_and_sigmoid(serialized: bytes) -> bytes:
    """Two defects of one exporter: the first Tanh's output negated, and the first Sigmoid's."""
    return negate_first(negate_first(serialized, "Tanh"), "Sigmoid")


class TwoFlipExporter(TorchScriptExporter):
    name = "twoflip"

    def export(self, request):
        return flip_tanh_and_sigmoid(super().export(request))

    def repro_source(self):
        return (inspect.getsource(negate_first) + inspect.getsource(flip_tanh_and_sigmoid) + super().repro_source()
                .replace("    return buf.getvalue()", "    return flip_tanh_and_sigmoid(buf.getvalue())"))


@pytest.fixture
def twoflip(monkeypatch):
    monkeypatch.setenv(ENV_VAR, f"converter:twoflip={__name__}:TwoFlipExporter")


def _chain(*ops: str, shape=(2, 3)) -> Graph:
    """x -> ops[0] -> ops[1] ... (a binary op reads the previous value twice)."""
    g = Graph()
    v = g.add_input(TensorType(F32, shape))
    for op in ops:
        args = [v, v] if op in ("add", "mul") else [v]
        v = g.add_node(op, args, {}, get_spec(op).infer([a.type for a in args], {})).outputs[0]
    g.outputs = [v]
    return g


def _reduction(g: Graph) -> tuple[Reduction, Target]:
    """The twoflip failure of g, as a reduction that stopped at g (the filer's input)."""
    r = run_case(CaseSpec(case_id=1, seed=5, config=GenConfig(), exporters=["twoflip"], runtimes=["onnxruntime"],
                          graph_json=g.dumps(), opset=17))
    v = next(v for v in r.failures if v.kind is Kind.VALUE_MISMATCH)
    return Reduction(g, v, r, original_ops=len(g)), Target.of(v)


def _file(bugs, g, workdir="/campaign-1", case_id=1):
    from fuzzer.report.writer import file_bug

    red, target = _reduction(g)
    return file_bug(bugs, red, target, Blame("twoflip", "exporter", "injected", []), {"workdir": workdir, "case_id": case_id})


def _live(bugs) -> list[str]:
    return sorted(p.name for p in bugs.iterdir() if not p.name.startswith("."))


def test_one_defect_through_different_graphs_is_one_folder_and_other_defects_stay_apart(twoflip, tmp_path):
    # the same exporter defect (the first Tanh negated) reached through two graphs whose op sets
    # differ (what a reduction stopping early leaves): one folder, hit twice
    first = _file(tmp_path, _chain("tanh"))
    assert first.new, first.reason
    again = _file(tmp_path, _chain("relu", "tanh", shape=(4,)), case_id=2)
    assert (again.bug_id, again.new, again.reason) == (first.bug_id, False, "duplicate")
    assert _live(tmp_path) == [first.bug_id]
    bug = json.loads((first.path / "case.json").read_text())["bug"]
    assert bug["hits"] == 2 and bug["campaigns"]["/campaign-1"]["cases"] == [1, 2] and bug["last_seen"]
    # another defect of the same exporter, same symptom and stage (the Sigmoid one): its own folder
    other = _file(tmp_path, _chain("sigmoid"))
    assert other.new and other.bug_id != first.bug_id, other.reason
    assert _live(tmp_path) == sorted([first.bug_id, other.bug_id])


def test_a_second_campaign_counts_hits_in_the_folders_it_finds(twoflip, tmp_path):
    first = _file(tmp_path, _chain("tanh"), workdir="/campaign-1")
    assert first.new, first.reason
    second = _file(tmp_path, _chain("tanh"), workdir="/campaign-2", case_id=7)
    assert not second.new and second.bug_id == first.bug_id
    assert _live(tmp_path) == [first.bug_id]
    bug = json.loads((first.path / "case.json").read_text())["bug"]
    assert bug["hits"] == 2
    assert set(bug["campaigns"]) == {"/campaign-1", "/campaign-2"} and bug["campaigns"]["/campaign-2"]["cases"] == [7]
    # the same case of the same campaign filed once more (bugs file run twice on a workdir) is no new hit
    third = _file(tmp_path, _chain("tanh"), workdir="/campaign-2", case_id=7)
    assert third.bug_id == first.bug_id and json.loads((first.path / "case.json").read_text())["bug"]["hits"] == 2


def test_onnx_runtime_its_levels_and_its_offline_optimizer_are_one_family():
    assert {system_family(s) for s in ("onnxruntime", "onnxruntime-basic", "onnxruntime-extended",
                                       "onnxruntime-noopt", "onnxruntime-mt", "ort-offline-basic",
                                       "ort-offline-extended", "ort-offline-all")} == {"onnxruntime"}
    assert system_family("onnx-reference") == "onnx-reference" and system_family("ort-quantize") == "ort-quantize"
    sinks = ["Mul"]
    # one constant-folding defect: ORT computes a wrong Mul at every level, and ORT's offline
    # optimizer's output computes it wrong on ORT without optimizations
    keys = {root_key("onnxruntime", "runtime", "value_mismatch", "judge", "output 0: 1/4 elements off", "onnxruntime", sinks, False),
            root_key("onnxruntime-basic", "runtime", "value_mismatch", "judge", "output 0: 3/9 elements off", "onnxruntime-basic", sinks, False),
            root_key("ort-offline-extended", "transformer", "value_mismatch", "judge", "output 0: 2 off", "onnxruntime-noopt", sinks, False)}
    assert len(keys) == 1
    # a crash ORT words in its own load is one family's too, whichever level showed it
    crash = "Fail: [ONNXRuntimeError] : 1 : FAIL : Non-zero status code returned while running Slice node. Name:'{}' Status Message: bad"
    assert (root_key("onnxruntime", "runtime", "run_crash", "run", crash.format("/Slice_3"), "onnxruntime", ["Slice"], False)
            == root_key("ort-offline-all", "transformer", "run_crash", "run", crash.format("node_slice"), "onnxruntime-noopt", ["Slice"], False))
    # the offline optimizer failing to convert is ORT failing to load with its optimizations on
    concat = "Fail: [ONNXRuntimeError] : 1 : FAIL : Node ({}) Op (Concat) [ShapeInferenceError] Negative dimension value on Concat axis"
    assert (root_key("onnxruntime-basic", "runtime", "load_crash", "load", concat.format("/Concat"), "onnxruntime-basic", ["Tile"], False)
            == root_key("ort-offline-all", "transformer", "convert_crash", "convert", concat.format("node_cat"), "", ["Tile"], False))
    assert (root_key("onnxslim", "transformer", "convert_crash", "convert", concat, "", ["Tile"], False)
            != root_key("onnxslim", "transformer", "load_crash", "load", concat, "onnxslim", ["Tile"], False))
    # not another runtime, nor another op, nor another error, nor a dynamic-only failure
    base = root_key("onnxruntime", "runtime", "value_mismatch", "judge", "", "onnxruntime", sinks, False)
    assert base != root_key("onnx-reference", "runtime", "value_mismatch", "judge", "", "onnx-reference", sinks, False)
    assert base != root_key("onnxruntime", "runtime", "value_mismatch", "judge", "", "onnxruntime", ["Add"], False)
    assert base != root_key("onnxruntime", "runtime", "nan_inf", "judge", "", "onnxruntime", sinks, False)
    assert base != root_key("onnxruntime", "runtime", "value_mismatch", "judge", "", "onnxruntime", sinks, True)


def test_node_names_do_not_split_a_checker_error_but_other_errors_stay_apart():
    said = "InferenceError: [ShapeInferenceError] Inference error(s): (op_type:MaxPool, node name: {}): [TypeInferenceError] Inferred elem type differs"
    a, b = said.format("/MaxPool"), said.format("node_max_pool2d")
    assert root_error("invalid_model", a) == root_error("invalid_model", b)
    assert root_key("torchscript", "exporter", "invalid_model", "check", a, "", ["MaxPool"], False) == \
        root_key("torchscript", "exporter", "invalid_model", "check", b, "", ["AveragePool"], False), "the error names the op"
    other = "InferenceError: [ShapeInferenceError] Inference error(s): (op_type:MaxPool, node name: x): [ShapeInferenceError] Attribute pads has wrong size"
    assert root_key("torchscript", "exporter", "invalid_model", "check", a, "", [], False) != \
        root_key("torchscript", "exporter", "invalid_model", "check", other, "", [], False)
    assert root_key("torchscript", "exporter", "invalid_model", "check", a, "", [], False) != \
        root_key("torchscript", "exporter", "invalid_model", "check", a.replace("MaxPool", "Conv"), "", [], False)


def test_a_campaign_bug_and_a_checked_models_bug_of_one_root_cause_share_the_key():
    """`onnxfuzz check` files ONNX models, campaigns IR graphs: both name the op at fault in ONNX's words."""
    import onnx
    from onnx import TensorProto, helper

    g = _chain("relu", "tanh")
    model = helper.make_model(helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Tanh", ["r"], ["t"]), helper.make_node("Identity", ["t"], ["y"])],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])]))
    onnx.checker.check_model(model)
    assert graph_sink_ops(g) == model_sink_ops(model) == ["Tanh"]
    args = ("onnxruntime", "runtime", "value_mismatch", "judge", "output 0: off", "onnxruntime")
    assert root_key(*args, graph_sink_ops(g), False) == root_key(*args, model_sink_ops(model), False)
    # an exporter's bug is in its conversion of the framework's op: torch.square is not torch.mul,
    # though both become an ONNX Mul a runtime computes alike
    assert graph_sink_ops(_chain("square"), "exporter") == ["square"] and graph_sink_ops(_chain("mul"), "exporter") == ["mul"]
    assert graph_sink_ops(_chain("square"), "runtime") == graph_sink_ops(_chain("mul"), "runtime") == ["Mul"]


def _folder(bugs, name: str, graph: Graph, **bug):
    d = bugs / name
    d.mkdir(parents=True)
    record = {"id": name, "title": name, "hits": 1, "status": "reproduces", "minimized": {"ops": len(graph)},
              "error": "output 0: off", "kind": "value_mismatch", "stage": "judge", **bug}
    (d / "case.json").write_text(json.dumps({"bug": record, "graph": graph.to_json()}))
    return d


def test_filing_finds_a_folder_another_setting_of_onnx_runtime_filed(tmp_path):
    from fuzzer.report.writer import existing_bug

    g = _chain("mul")
    basic = _folder(tmp_path, "onnxruntime-basic-value-mismatch-aaaaaa", g, system="onnxruntime-basic", role="runtime",
                    runtime="onnxruntime-basic")
    for system, role, runtime in (("onnxruntime", "runtime", "onnxruntime"),
                                  ("ort-offline-extended", "transformer", "onnxruntime-noopt")):
        key = root_key(system, role, "value_mismatch", "judge", "output 0: else", runtime, graph_sink_ops(_chain("relu", "mul")), False)
        assert existing_bug(tmp_path, f"{system}-value-mismatch-{key[:6]}", key) == basic, system
    # a retired folder of the same key gives way to a live one
    live = _folder(tmp_path, "onnxruntime-value-mismatch-bbbbbb", g, system="onnxruntime", role="runtime", runtime="onnxruntime")
    (basic / "case.json").write_text(json.dumps({**json.loads((basic / "case.json").read_text()),
                                                 "bug": {**json.loads((basic / "case.json").read_text())["bug"], "duplicate_of": live.name}}))
    key = root_key("onnxruntime-extended", "runtime", "value_mismatch", "judge", "", "onnxruntime-extended", ["Mul"], False)
    assert existing_bug(tmp_path, "nope", key) == live


def test_a_repro_that_exits_1_for_another_reason_does_not_count():
    from fuzzer.report.writer import other_failure

    error = "Fail: [ONNXRuntimeError] : 1 : FAIL : Non-zero status code returned while running Slice node. Name:'/Slice_3' Status Message: starts out of range"
    said = "ONNX Runtime raises Fail [ONNXRuntimeError] : 1 : FAIL : Non-zero status code returned while running Slice node. Name:'' Status Message: starts out of range"
    assert other_failure("run_crash", error, "onnxruntime 1.32\n" + said) is None
    assert other_failure("run_crash", error, said.replace("Slice", "Gather")) is not None
    assert other_failure("run_crash", error, "ONNX Runtime raises ValueError nope") is not None
    checker = "InferenceError: [ShapeInferenceError] Inference error(s): (op_type:Cast, node name: node_a): [TypeInferenceError] bad to"
    assert other_failure("invalid_model", checker, "the model is invalid: InferenceError [ShapeInferenceError] Inference error(s): "
                                                   "(op_type:Cast, node name: ): [TypeInferenceError] bad to") is None
    # the repro's model has no node names: the checker then leaves "node name" out altogether
    unnamed = ("InferenceError: [ShapeInferenceError] Inference error(s): (op_type:Cast, node name: node_cast): "
               "[TypeInferenceError] Inferred elem type differs from existing elem type: (10) vs (1)")
    assert other_failure("invalid_model", unnamed, "the model is invalid: InferenceError [ShapeInferenceError] Inference "
                         "error(s): (op_type:Cast): [TypeInferenceError] Inferred elem type differs from existing elem type: (1) vs (10)") is None
    assert other_failure("invalid_model", checker, "the model is invalid: ValidationError Field 'type' of 'value_info' is required") is not None
    mismatch = "\nNot equal to tolerance rtol=0.001, atol=0.1\n\nMismatched elements: 1 / 1 (100%)"
    assert other_failure("value_mismatch", "output 0: 1/1 elements off", mismatch) is None
    assert other_failure("value_mismatch", "output 0: 1/1 elements off", "(shapes (1,), (1, 1) mismatch)") is not None
    assert other_failure("shape_mismatch", "output 0: shape [1]", "Not equal to tolerance\n(shapes (1,), (1, 1) mismatch)") is None
    assert other_failure("run_crash", "worker died: signal SIGABRT", "the process died with signal 6") is None
    assert other_failure("run_crash", "worker died: signal SIGABRT", "ONNX Runtime raises Fail boom") is not None


def test_a_witness_that_behaves_otherwise_than_in_the_campaign_stops_the_filing():
    from fuzzer.report.triage import differs_from_campaign

    target = Target.of(Verdict(Kind.VALUE_MISMATCH, Stage.JUDGE, "torchscript@17", "onnxruntime", [], "output 0: off"))
    campaign = [Verdict(Kind.VALUE_MISMATCH, Stage.JUDGE, "torchscript@17", "onnxruntime", [], "output 0: off"),
                Verdict(Kind.VALUE_MISMATCH, Stage.JUDGE, "torchscript@17", "onnx-reference", [], "output 0: far off"),
                Verdict(Kind.PASS, Stage.JUDGE, "dynamo@18", "onnxruntime"),
                Verdict(Kind.RUN_CRASH, Stage.RUN, "dynamo@18", "tract", [], "TractError: other part of the graph")]
    as_before = [("torchscript@18", "onnxruntime", "value_mismatch"), ("torchscript@18", "onnx-reference", "value_mismatch"),
                 ("dynamo@20", "onnxruntime", "pass"), ("dynamo@20", "tract", "pass"), ("dynamo@20", "openvino", "run_crash")]
    assert differs_from_campaign(target, as_before, campaign) == ""
    passes_now = [w if w[1] != "onnx-reference" else (w[0], w[1], "pass") for w in as_before]
    assert "failed as the filed failure" in differs_from_campaign(target, passes_now, campaign)
    fails_now = [w if w[0] != "dynamo@20" or w[1] != "onnxruntime" else (w[0], w[1], "run_crash") for w in as_before]
    assert "dynamo on onnxruntime passed in the campaign" in differs_from_campaign(target, fails_now, campaign)


def test_the_same_failure_is_strict():
    v = Verdict(Kind.RUN_CRASH, Stage.RUN, "torchscript@17", "onnxruntime", ["Slice"], "Fail: bad slice 3")
    t = Target.of(v)
    assert t.matches(Verdict(Kind.RUN_CRASH, Stage.RUN, "torchscript@13", "onnxruntime", [], "Fail: bad slice 7"))
    for other in (Verdict(Kind.LOAD_CRASH, Stage.LOAD, "torchscript@17", "onnxruntime", [], "Fail: bad slice 3"),
                  Verdict(Kind.RUN_CRASH, Stage.RUN, "dynamo@17", "onnxruntime", [], "Fail: bad slice 3"),
                  Verdict(Kind.RUN_CRASH, Stage.RUN, "torchscript@17", "onnxruntime-basic", [], "Fail: bad slice 3"),
                  Verdict(Kind.RUN_CRASH, Stage.RUN, "torchscript@17>onnxsim", "onnxruntime", [], "Fail: bad slice 3"),
                  Verdict(Kind.RUN_CRASH, Stage.RUN, "torchscript@17", "onnxruntime", [], "Fail: bad gather 3")):
        assert not t.matches(other), other


def test_onnxfuzz_check_counts_a_root_cause_a_campaign_filed_instead_of_filing_it_again(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    from fuzzer.check import Blame as CheckBlame
    from fuzzer.check import Row
    from fuzzer.check.filing import file_check_bug

    filed = _folder(tmp_path, "onnxruntime-value-mismatch-cccccc", _chain("relu", "tanh"), system="onnxruntime",
                    role="runtime", runtime="onnxruntime")
    model = helper.make_model(helper.make_graph(
        [helper.make_node("Tanh", ["x"], ["y"])], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])]))
    onnx.checker.check_model(model)
    row = Row(Verdict(Kind.VALUE_MISMATCH, Stage.JUDGE, "model", "onnxruntime-extended", [], "output 0: 1/4 elements off"),
              CheckBlame("onnxruntime-extended", "runtime", "ORT without optimizations runs it correctly", "onnxruntime-noopt"))
    bug_id, new, what = file_check_bug(tmp_path, row, model, {}, [], "user.onnx")
    assert (bug_id, new) == (filed.name, False), what
    assert _live(tmp_path) == [filed.name]
    bug = json.loads((filed / "case.json").read_text())["bug"]
    assert bug["hits"] == 2 and "onnxfuzz check user.onnx" in bug["campaigns"]


def test_float16_keeping_a_graph_output_that_another_node_reads_is_one_bug_whatever_the_reader():
    """Issue 13's review: ten folders, one defect. The float16 converter (keep_io_types) keeps a
    graph output in float32 while it converts the nodes that read it; the checker names the
    first reader it meets, in words that differ by reader and operand."""
    from onnx import TensorProto as T
    from onnx import helper

    from fuzzer.report.rootcause import READS_GRAPH_OUTPUT, model_traits, root_key

    x = helper.make_tensor_value_info("x", T.FLOAT, [])
    y = helper.make_tensor_value_info("y", T.FLOAT, [])
    read = helper.make_graph([helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Clip", ["y"], ["z"])], "g", [x], [y])
    alone = helper.make_graph([helper.make_node("Relu", ["x"], ["t"]), helper.make_node("Clip", ["t"], ["y"])], "g", [x], [y])
    assert model_traits(helper.make_model(read)) == (READS_GRAPH_OUTPUT,)
    assert model_traits(helper.make_model(alone)) == ()
    errors = ["InferenceError: [ShapeInferenceError] (op_type:Clip, node name: _n6): min has inconsistent type tensor(float16)",
              "InferenceError: [ShapeInferenceError] Inference error(s): (op_type:Softmax, node name: /Softmax): "
              "[TypeInferenceError] Inferred elem type differs from existing elem type: (1) vs (10)"]
    keys = {root_key("float16", "transformer", "invalid_model", "check", e, "", ["Clip"], False, traits=(READS_GRAPH_OUTPUT,))
            for e in errors}
    assert len(keys) == 1
    # without the trait the error and op still tell them apart, and another converter's are its own
    assert len({root_key("float16", "transformer", "invalid_model", "check", e, "", ["Clip"], False) for e in errors}) == 2
    assert len({root_key("onnxsim", "transformer", "invalid_model", "check", e, "", ["Clip"], False,
                         traits=(READS_GRAPH_OUTPUT,)) for e in errors}) == 2


def test_float16_leaving_an_output_type_attribute_is_one_bug_whatever_the_op():
    """A second campaign's review: RandomUniform's dtype, the window functions' output_datatype,
    EyeLike's dtype and Cast's to are one defect of the float16 converter (it retypes the
    output and leaves the attribute), whichever op the checker names."""
    from onnx import TensorProto as T
    from onnx import helper

    from fuzzer.report.rootcause import SETS_OUTPUT_TYPE, model_traits, root_key

    x = helper.make_tensor_value_info("x", T.FLOAT, [2])
    y = helper.make_tensor_value_info("y", T.FLOAT, [2])
    window = helper.make_graph([helper.make_node("Shape", ["x"], ["n"]), helper.make_node("HannWindow", ["n"], ["w"]),
                                helper.make_node("Add", ["x", "w"], ["y"])], "g", [x], [y])
    plain = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    assert SETS_OUTPUT_TYPE in model_traits(helper.make_model(window))
    assert model_traits(helper.make_model(plain)) == ()
    errors = ["InferenceError: [ShapeInferenceError] Inference error(s): (op_type:HannWindow, node name: _n4): "
              "[TypeInferenceError] Inferred elem type differs from existing elem type: (1) vs (10)",
              "InferenceError: [ShapeInferenceError] Inference error(s): (op_type:RandomUniform, node name: _n3): "
              "[TypeInferenceError] Inferred elem type differs from existing elem type: (1) vs (10)"]
    assert len({root_key("float16", "transformer", "invalid_model", "check", e, "", ["Add"], False,
                         traits=(SETS_OUTPUT_TYPE,)) for e in errors}) == 1
    assert len({root_key("float16", "transformer", "invalid_model", "check", e, "", ["Add"], False) for e in errors}) == 2


def test_one_rewrite_rule_at_fault_with_one_symptom_is_one_bug():
    """Issue 14's dedup by rule: onnxoptimizer's fuse_consecutive_squeezes, met through eight graphs
    and worded three ways by the checker, from both onnxoptimizer plugins, is one bug; a kernel,
    a symbolic function or constant folding holds several defects and keys nothing."""
    from fuzzer.report.rootcause import rule_key

    squeeze = {"system": "onnxoptimizer:passes", "rules": ["fuse_consecutive_squeezes"]}
    a = rule_key("onnxoptimizer", "transformer", "invalid_model", squeeze)
    assert a and a == rule_key("onnxoptimizer-fuse", "transformer", "convert_crash", squeeze)
    assert a != rule_key("onnxoptimizer", "transformer", "value_mismatch", squeeze)
    assert a != rule_key("onnxoptimizer", "transformer", "invalid_model", {**squeeze, "rules": ["fuse_qkv"]})
    assert rule_key("onnx-reference", "runtime", "run_crash", {"system": "onnx-reference:ops", "rules": ["GridSample(float32)"]}) is None
    assert rule_key("torchscript", "exporter", "invalid_model", {"system": "torchscript:symbolic", "rules": ["aten::prod"]}) is None
    assert rule_key("onnxslim", "transformer", "convert_crash", {"system": "onnxslim:rules", "rules": ["constant_folding"]}) is None
    # a tool's own shape inference, its whole constant-folding pass and float16's handling of
    # every graph input and output each hold several defects
    for system, rule in (("onnxslim:code", "shape_infer"), ("onnxscript-optimizer:passes", "FoldConstantsPass"),
                         ("float16:code", "keep_io_types")):
        assert rule_key("x", "transformer", "invalid_model", {"system": system, "rules": [rule]}) is None, rule
    assert rule_key("onnxslim", "transformer", "invalid_model", {"system": "onnxslim:code", "rules": ["freeze"]})
    assert rule_key("onnxoptimizer", "transformer", "invalid_model", {"system": "onnxoptimizer:passes", "rules": []}) is None


def test_spellings_of_one_torch_op_key_one_exporter_bug():
    """The third review: floor_divide as a function and as a method, and ge_ and greater_equal_,
    were filed twice each; an in-place spelling stays apart from the out-of-place op."""
    from fuzzer.report.rootcause import framework_op_of

    assert framework_op_of("opinfo.floor_divide") == framework_op_of("opinfo.floor_divide.method") == "floor_divide"
    assert framework_op_of("opinfo.ge.inplace") == framework_op_of("opinfo.greater_equal.inplace") == "ge_"
    assert framework_op_of("opinfo.ge") == "ge"
    assert framework_op_of("tanh") == "tanh" and framework_op_of("no-such-op") == "no-such-op"


def test_torchscript_in_place_ops_keeping_the_out_of_place_type_are_one_bug():
    from fuzzer.report.rootcause import root_key

    keys = {root_key("torchscript", "exporter", "dtype_mismatch", "judge", "output 0: dtype bool, expected int8", "onnxruntime",
                     [op], False) for op in ("ge_", "ne_", "logical_or_")}
    assert len(keys) == 1
    assert len({root_key("torchscript", "exporter", "dtype_mismatch", "judge", "e", "onnxruntime", [op], False)
                for op in ("ge", "ne")}) == 2  # out-of-place ops stay apart


def test_tract_typing_a_cast_to_int64_as_tdim_is_one_bug_whatever_op_refuses_it():
    from onnx import TensorProto as T
    from onnx import helper

    from fuzzer.report.rootcause import CASTS_TO_INT64, model_traits, root_key

    x = helper.make_tensor_value_info("x", T.UINT8, [2])
    y = helper.make_tensor_value_info("y", T.INT64, [])
    model = helper.make_model(helper.make_graph([helper.make_node("Cast", ["x"], ["c"], to=T.INT64),
                                                 helper.make_node("ArgMax", ["c"], ["y"], keepdims=0)], "g", [x], [y]))
    assert CASTS_TO_INT64 in model_traits(model)
    errors = ["TractError: Failed analyse for node #3 \"/MatMul\" MatMulInference\n\nCaused by:\n    Impossible to unify TDim with I64.",
              "TractError: Translating node #2 \"n\" NonZero ToTypedTranslator\n\nCaused by:\n    NonZero expects a plain number or boolean input, got TDim"]
    keys = {root_key("tract", "runtime", "load_crash", "load", e, "tract", ["MatMul"], False, traits=(CASTS_TO_INT64,)) for e in errors}
    assert len(keys) == 1
    assert len({root_key("tract", "runtime", "load_crash", "load", e, "tract", ["MatMul"], False) for e in errors}) == 2


def _one_op_case(op: str, **bug) -> dict:
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (2,)))
    g.outputs = [g.add_node(op, [x], {}, get_spec(op).infer([x.type], {})).outputs[0]]
    base = {"system": "torchscript", "role": "exporter", "kind": "export_crash", "stage": "export",
            "error": "RuntimeError: 0 INTERNAL ASSERT FAILED at alias_analysis.cpp:623", "runtime": ""}
    return {"bug": {**base, **bug}, "graph": g.to_json()}


def test_a_component_the_exporter_runs_first_is_one_bug_whatever_op_it_met():
    """A fifth campaign: torch.jit.trace's bool-scalar assert met through torch.ge was filed apart
    from the live folder that met it through masked_fill."""
    from fuzzer.report.writer import _filed_key

    traced = [_filed_key(_one_op_case(op, component="torch.jit.trace")) for op in ("tanh", "relu")]
    assert traced[0] == traced[1]
    assert _filed_key(_one_op_case("tanh")) != _filed_key(_one_op_case("relu"))


def test_an_in_place_spelling_crashing_the_exporter_is_its_ops_bug():
    from fuzzer.report.rootcause import framework_family

    assert framework_family(["scatter_"]) == framework_family(["scatter"]) == "scatter"
    assert framework_family(["sum_"]) == framework_family(["sum"])


def test_an_exporter_function_with_the_same_failing_cut_is_one_bug_whatever_the_symptom():
    """narrow's negative start makes an empty slice: a wrong shape alone, -inf once amax reads it
    (bugs/torchscript-shape-mismatch-cd24ba and its retired twin fdc1cf). mean with dim=() and
    with keepdim=True are two defects of one function: their cuts' arguments differ."""
    from fuzzer.report.rootcause import rule_key

    def fault(rule, core):
        return {"system": "torchscript:symbolic", "rules": [rule], "core": core}

    narrow = [["slice", {"narrow": ["-", "-", "+"]}, ["float32"]]]
    a = rule_key("torchscript", "exporter", "shape_mismatch", fault("aten::narrow", narrow))
    assert a and a == rule_key("torchscript", "exporter", "nan_inf", fault("aten::narrow", narrow))
    mean_empty = [["mean", {"dim": []}, ["float32"]]]
    mean_keep = [["mean", {"dim": None, "keepdim": True}, ["float32"]]]
    assert rule_key("torchscript", "exporter", "invalid_model", fault("aten::mean", mean_empty)) != rule_key(
        "torchscript", "exporter", "invalid_model", fault("aten::mean", mean_keep))
    assert rule_key("torchscript", "exporter", "invalid_model", fault("aten::mean", [])) is None  # no cut: no key


def test_onnxscript_folding_to_an_attribute_the_opset_lacks_is_one_defect_whatever_it_folded():
    from fuzzer.report.rootcause import root_key

    def key(op):
        return root_key("onnxscript-optimizer", "transformer", "invalid_model", "check",
                        "ValidationError: Unrecognized attribute: value_int for operator Constant", "", [op], False)

    assert key("Size") == key("Shape")


def test_an_op_newer_than_the_opset_is_one_defect_whichever_framework_op_emitted_it():
    """TorchScript below opset 9 falls back to opset-9 symbolic functions: lerp and atan2 both
    emit Where at opset 7 or 8 (bugs/torchscript-invalid-model-587b76 and a later campaign's lerp)."""
    from fuzzer.report.rootcause import root_key

    def key(op, opset):
        error = f"ValidationError: No Op registered for Where with domain_version of {opset}\n\n==> Context: Bad node"
        return root_key("torchscript", "exporter", "invalid_model", "check", error, "", [op], False)

    assert key("lerp", 7) == key("atan2", 8)
    other = root_key("torchscript", "exporter", "invalid_model", "check",
                     "ValidationError: No Op registered for Trilu with domain_version of 13", "", ["tril"], False)
    assert other != key("lerp", 7)


def test_a_float16_initializer_named_like_a_graph_input_or_output_is_one_defect():
    """keep_io_types converts an initializer that is also a graph output (no nodes at all) or,
    under IR 3, also a graph input: one defect (bugs/float16-invalid-model-8f6f18)."""
    from onnx import TensorProto, helper

    from fuzzer.report.rootcause import INITIALIZER_IS_IO, model_traits, root_key

    out = helper.make_tensor("y", TensorProto.FLOAT, [1], [1.0])
    as_output = helper.make_model(helper.make_graph([], "g", [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
                                                    [out]))
    c = helper.make_tensor("c", TensorProto.FLOAT, [1], [2.0])
    as_input = helper.make_model(helper.make_graph(
        [helper.make_node("Div", ["x", "c"], ["z"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1]), helper.make_tensor_value_info("c", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1])], [c]))
    assert INITIALIZER_IS_IO in model_traits(as_output) and INITIALIZER_IS_IO in model_traits(as_input)
    error = "InferenceError: [TypeInferenceError] Inferred elem type differs from existing elem type: (10) vs (1)"

    def key(model, ops):
        return root_key("float16", "transformer", "invalid_model", "check", error, "", ops, False, "", model_traits(model))

    assert key(as_output, []) == key(as_input, ["Div"])


def test_a_float16_op_rule_is_one_bug_and_an_exporter_cut_reads_float16_and_float32_alike():
    from fuzzer.report.rootcause import rule_key

    cast = {"system": "float16:ops", "rules": ["Cast"]}
    assert rule_key("float16", "transformer", "invalid_model", cast)
    assert rule_key("onnx-reference", "runtime", "run_crash", {"system": "onnx-reference:ops", "rules": ["Cast(float32)"]}) is None


def test_a_cut_core_reads_dtypes_by_kind():
    from fuzzer.coverage.fault import core_of
    from fuzzer.ir import DType, Graph, TensorType

    def cut(dtype):
        g = Graph()
        x = g.add_input(TensorType(DType(dtype), (1, 1)))
        node = g.add_node("unique", [x], {"counts": True}, [TensorType(DType("int64"), (1,))])
        g.outputs = list(node.outputs)
        return g

    assert core_of(cut("float16")) == core_of(cut("float32")) == [["unique", {"counts": True}, ["float"]]]
    assert core_of(cut("int32")) != core_of(cut("float32"))


def test_one_failing_cut_is_one_exporter_bug_whichever_function_the_localizer_names():
    """Review 7: cdist with p=0 raised inside pow's symbolic function (named, the innermost) in one
    folder and gave inf (cdist named, the maker of the wrong node) in another: one call shape,
    one defect."""
    from fuzzer.report.rootcause import rule_key

    cdist = [["opinfo.cdist", {"args": [{"t": "+"}, "0", "use_mm_for_euclid_dist"], "kwargs": {}}, ["float", "float"]]]
    crash = rule_key("torchscript", "exporter", "export_crash", {"system": "torchscript:symbolic", "rules": ["aten::pow"], "core": cdist})
    assert crash and crash == rule_key("torchscript", "exporter", "nan_inf",
                                       {"system": "torchscript:symbolic", "rules": ["aten::cdist"], "core": cdist})
    # another exporter's failure on the same call is its own bug
    assert crash != rule_key("dynamo", "exporter", "nan_inf", {"system": "dynamo:torchlib", "rules": ["aten_cdist"], "core": cdist})


def _model(nodes, inputs, outputs, inits=(), opset=18, ir=8):
    from onnx import helper

    return helper.make_model(helper.make_graph(nodes, "g", inputs, outputs, list(inits)),
                             opset_imports=[helper.make_opsetid("", opset)], ir_version=ir)


def test_onnx_references_optional_wrapping_its_tensor_is_one_bug_whatever_reads_it():
    """Review 7: onnx.reference's Optional returns [x]; a Clip reading it raised a TypeError, an
    Equal an AttributeError, and OptionalHasElement gave a shape [1]: four folders of the live
    85c2f1. Another runtime's failure on the same model, and the reference's failure on a model
    without optional ops, stay apart."""
    from onnx import TensorProto as T
    from onnx import helper

    from fuzzer.report.rootcause import OPTIONAL_OPS, model_traits, root_key

    x = helper.make_tensor_value_info("x", T.FLOAT, [])
    y = helper.make_tensor_value_info("y", T.FLOAT, [])
    model = _model([helper.make_node("Optional", ["x"], ["o"]), helper.make_node("OptionalGetElement", ["o"], ["g"]),
                    helper.make_node("Clip", ["g"], ["y"])], [x], [y])
    traits = model_traits(model)
    assert OPTIONAL_OPS in traits
    failures = [("run_crash", "TypeError: Issues with types [<class 'list'>, <class 'numpy.ndarray'>] (operator 'Clip_11')."),
                ("run_crash", "AttributeError: 'list' object has no attribute 'dtype'"),
                ("shape_mismatch", "output 0: shape [1], expected []")]
    keys = {root_key("onnx-reference", "runtime", kind, "run", error, "onnx-reference", ["Clip"], False, traits=traits)
            for kind, error in failures}
    assert len(keys) == 1
    assert root_key("tract", "runtime", "shape_mismatch", "run", failures[2][1], "tract", ["Clip"], False, traits=traits) not in keys
    assert root_key("onnx-reference", "runtime", "shape_mismatch", "run", failures[2][1], "onnx-reference", ["Clip"], False) not in keys


def test_an_initializer_missing_from_an_ir3_models_inputs_is_one_bug_of_each_system():
    """Review 7: ORT's quantizer adding a MatMul's scale and a Conv's scale without listing them
    among an IR-3 model's inputs is one defect; ORT's constant folding doing it is another
    system's."""
    from onnx import TensorProto as T
    from onnx import helper

    from fuzzer.report.rootcause import IR3, model_traits, root_key

    x = helper.make_tensor_value_info("x", T.FLOAT, [2, 2])
    model = _model([helper.make_node("MatMul", ["x", "x"], ["y"])], [x], [helper.make_tensor_value_info("y", T.FLOAT, [2, 2])],
                   opset=7, ir=3)
    traits = model_traits(model)
    assert IR3 in traits and IR3 not in model_traits(_model([], [x], [x]))

    def key(system, name, sinks, traits=traits):
        return root_key(system, "transformer", "invalid_model", "check",
                        f"ValidationError: {name} in initializer but not in graph input", "", sinks, False, traits=traits)

    assert key("ort-quantize", "c7_scale", ["MatMul"]) == key("ort-quantize", "c4_scale", ["Conv"])
    assert key("ort-quantize", "c7_scale", ["MatMul"]) != key("ort-offline-basic", "out0", ["Split"])
    assert key("ort-quantize", "c7_scale", ["MatMul"], ()) != key("ort-quantize", "c4_scale", ["Conv"], ())


def test_tract_naming_two_types_in_either_order_is_one_cause():
    """Review 7: "unify I64 with TDim" against "TDim with I64", and QuantizeLinear's "substitute a
    ,U8 by ,I8" (QuantizeLinearU8) against "1,I8 by 1,U8" (QuantizeLinearI8)."""
    from fuzzer.report.rootcause import cause_of, named_op

    chain = "TractError: running pass declutter\nCaused by:\n    0: declutter node #2 \"_n9\" DequantizeLinearF32\n    1: {}"
    a = cause_of(chain.format('Trying to substitute a ,U8 by ,I8 as output #0 of #3 "q" QuantizeLinearU8.'))
    assert a == cause_of(chain.format('Trying to substitute a 1,I8 by 1,U8 as output #0 of #3 "q" QuantizeLinearI8.'))
    assert named_op(chain.format("x")) == "DequantizeLinear"
    assert cause_of("E\nCaused by:\n  0: x\n  1: Impossible to unify TDim with I64.") == \
        cause_of("E\nCaused by:\n  0: x\n  1: Impossible to unify I64 with TDim.")


def test_a_runtimes_op_is_named_by_the_model_it_ran_when_the_graph_names_a_torch_op():
    """Review 7: onnx.reference's Det kernel failing on a graph built from torch's OpInfo database
    ("opinfo.det", exported to Det -> Cast) and on a graph of ONNX ops (Det) was keyed twice."""
    from onnx import TensorProto as T
    from onnx import helper

    from fuzzer.report.rootcause import given_sink_ops, named_op

    model = _model([helper.make_node("Det", ["x"], ["d"]), helper.make_node("Cast", ["d"], ["y"], to=T.FLOAT)],
                   [helper.make_tensor_value_info("x", T.FLOAT16, [2, 2])], [helper.make_tensor_value_info("y", T.FLOAT, [])])
    sinks = model_sink_ops(model)
    assert given_sink_ops(["opinfo.det"], "runtime", sinks) == ["Cast"]
    assert given_sink_ops(["Det"], "runtime", sinks) == ["Det"]
    assert given_sink_ops(["opinfo.det"], "exporter", sinks) == ["opinfo.det"]
    assert named_op("TypeError: Issues with types [<class 'numpy.ndarray'>] and attributes [] (operator 'Det').") == "Det"
    assert named_op("TypeError: Issues with types [<class 'list'>] (operator 'ReduceProd_18').") == "ReduceProd"


def test_review_8s_repeats_share_a_rule_key_and_other_defects_do_not():
    """Review 8 (campaign seed 25): failures a reviewer found to repeat a live folder."""
    from fuzzer.report.rootcause import rule_keys

    def ts(kind, rules, core, error=""):
        return set(rule_keys("torchscript", "exporter", kind, {"system": "torchscript:symbolic", "rules": rules, "core": core}, error))

    # max refusing Bool and Float, after log of a bool and after tan of a bool: one raise in one function
    said = "SymbolicValueError: Inputs of Max must have same dtype.Got Bool and Float"
    log = ts("export_crash", ["aten::max"], [["opinfo.log.method", {}, ["bool"]], ["opinfo.max.binary", {}, ["float"]]], said)
    tan = ts("export_crash", ["aten::max"], [["opinfo.tan.method", {}, ["bool"]], ["opinfo.max.binary.method", {}, ["float"]]], said)
    assert log & tan
    assert not log & ts("export_crash", ["aten::max"], [["opinfo.tan.method", {}, ["bool"]]], "RuntimeError: other words")
    # an in-place op keeping its out-of-place result type, whichever op
    ge = ts("dtype_mismatch", ["aten::ge"], [["opinfo.greater_equal.inplace", {"args": [{"t": "+"}]}, ["int/0-d", "int/0-d"]]])
    xor = ts("invalid_model", ["aten::logical_xor"], [["opinfo.logical_xor.inplace", {"args": [{"t": "+"}]}, ["float", "float/0-d"]]],
             "InferenceError: (op_type:ScatterElements): updates has inconsistent type tensor(float)")
    assert ge & xor
    assert not ge & ts("dtype_mismatch", ["aten::ge"], [["opinfo.greater_equal", {"args": [{"t": "+"}]}, ["int", "int"]]])
    # x.floor_divide(y) and x //= y: one call
    assert ts("value_mismatch", ["aten::floor_divide"], [["opinfo.floor_divide.method", {"args": [{"t": "+"}]}, ["float/0-d"]]]) & \
        ts("value_mismatch", ["aten::floor_divide"], [["opinfo.floor_divide.inplace_operator", {"args": [{"t": "+"}]}, ["float/0-d"]]])
    # a transformer rule crashing on Python's own exception: the words name the code
    fold = {"system": "onnxslim:rules", "rules": ["constant_folding"]}
    a = set(rule_keys("onnxslim", "transformer", "convert_crash", fold, "AttributeError: 'list' object has no attribute 'nbytes'"))
    assert a and set(rule_keys("onnxslim", "transformer", "convert_crash", fold, "KeyError: 't12'")) == \
        set(rule_keys("onnxslim", "transformer", "convert_crash", fold, "KeyError: 't7'"))
    assert not a & set(rule_keys("onnxslim", "transformer", "convert_crash", fold, "TypeError: Can not use raw_data to store string type."))
    assert not rule_keys("onnxslim", "transformer", "convert_crash", fold, "InferenceError: Output 1 is out of bounds.")


def test_review_8s_repeats_share_a_root_key():
    from onnx import TensorProto as T
    from onnx import helper

    from fuzzer.report.rootcause import SEQUENCES, cause_of, model_traits, named_op, root_key

    # float16 leaving a sequence's or an optional's element type float32
    x = helper.make_tensor_value_info("x", T.FLOAT, [1])
    seq = _model([helper.make_node("SequenceConstruct", ["x"], ["s"]), helper.make_node("ConcatFromSequence", ["s"], ["y"], axis=0)],
                 [x], [helper.make_tensor_value_info("y", T.FLOAT, [1])])
    opt = _model([helper.make_node("Optional", ["x"], ["o"]), helper.make_node("OptionalGetElement", ["o"], ["y"])],
                 [x], [helper.make_tensor_value_info("y", T.FLOAT, [1])])
    assert SEQUENCES in model_traits(seq) and SEQUENCES in model_traits(opt)
    words = "InferenceError: (op_type:{}): [TypeInferenceError] Inferred elem type differs from existing elem type: (10) vs (1)"
    keys = {root_key("float16", "transformer", "invalid_model", "check", words.format(op), "", [op], False, traits=model_traits(m))
            for op, m in (("SequenceConstruct", seq), ("Optional", opt))}
    assert len(keys) == 1
    # tract's Debug dumps of the case's values
    chain = "TractError: Failed analyse for node #3 \"n\" Squeeze13\nCaused by:\n  0: Infering facts\n  1: {}"
    assert cause_of(chain.format("Attempt to squeeze an axis which dimension is not one Squeeze { axes: Some([1, -3]) }, [Val(1), Val(3)]")) == \
        cause_of(chain.format("Attempt to squeeze an axis which dimension is not one Squeeze { axes: Some([-2]) }, [Val(1), Val(1), Val(1), Val(5)]"))
    # the checker naming the node on the line after "of node:"
    assert named_op("ValidationError: Nodes in a graph must be topologically sorted, however input 'x0_min_1' of node: \n"
                    "name: node_Clip_0 OpType: Clip\n is not output of any previous nodes.") == "Clip"
    # argmax and argmin: one TorchScript helper
    said = "InferenceError: (op_type:{0}): [ShapeInferenceError] 'axis' must be in [-rank(indices), rank(indices)-1]"
    assert root_key("torchscript", "exporter", "invalid_model", "check", said.format("ArgMax"), "", ["argmax"], False) == \
        root_key("torchscript", "exporter", "invalid_model", "check", said.format("ArgMin"), "", ["argmin"], False)


def test_a_filed_model_that_outgrew_its_graph_is_reduced_and_keeps_its_key(faulty, tmp_path):
    """A transformer's crash on a model of many nodes (a motif, an exporter's model) is filed, then
    reduced to the smallest ONNX model that still makes it crash (fuzzer.report.triage does so
    after filing), under the key of the model it was given: the same failure met again is a hit
    on that folder."""
    import onnx

    from fuzzer.report.regenerate import REDUCE_MODEL_NODES, reduce_filed_model
    from fuzzer.report.writer import _filed_key, file_bug

    g = _chain("relu", "sigmoid", "abs", "neg", "exp", "relu", "tanh")
    r = run_case(CaseSpec(case_id=1, seed=5, config=GenConfig(), exporters=["onnx-direct"], transformers=["crashopt"],
                          runtimes=["onnxruntime"], graph_json=g.dumps(), opset=17))
    v = next(v for v in r.failures if v.kind is Kind.CONVERT_CRASH)

    def file(case_id):
        red = Reduction(g, v, r, original_ops=len(g))
        return file_bug(tmp_path, red, Target.of(v), Blame("crashopt", "transformer", "injected", []),
                        {"workdir": "/campaign-1", "case_id": case_id})

    filed = file(1)
    assert filed.new, filed.reason
    assert reduce_filed_model(filed.path) == "model reduced"  # as triage does after filing
    case = json.loads((filed.path / "case.json").read_text())
    assert len(onnx.load(str(filed.path / "model.onnx")).graph.node) < REDUCE_MODEL_NODES <= len(g)
    assert "Tanh" in [n.op_type for n in onnx.load(str(filed.path / "model.onnx")).graph.node]
    assert case["bug"]["model_reduced"] and case["bug"]["given_sinks"] == ["Tanh"]
    assert _filed_key(case, filed.path) == case["bug"]["key"]
    again = file(2)
    assert (again.bug_id, again.new) == (filed.bug_id, False), again.reason


def test_review_9s_repeats_share_a_key_and_distinct_defects_do_not():
    """Review 9 (campaign seed 26): failures a reviewer found to repeat a live folder."""
    from onnx import TensorProto as T
    from onnx import helper

    from fuzzer.report.rootcause import UPCAST_KEPT, model_traits, named_op, root_key, rule_key, rule_keys

    # torch.onnx's type promotion losing its cast back to float16 at a graph output (cumsum, amin, abs)
    x = helper.make_tensor_value_info("x", T.FLOAT16, [2])
    y = helper.make_tensor_value_info("y", T.FLOAT, [])
    amin = _model([helper.make_node("Cast", ["x"], ["c"], to=T.FLOAT), helper.make_node("ReduceMin", ["c"], ["y"], keepdims=0)], [x], [y])
    back = _model([helper.make_node("Cast", ["x"], ["c"], to=T.FLOAT), helper.make_node("Abs", ["c"], ["a"]),
                   helper.make_node("Cast", ["a"], ["y"], to=T.FLOAT16)], [x], [helper.make_tensor_value_info("y", T.FLOAT16, [2])])
    assert UPCAST_KEPT in model_traits(amin) and UPCAST_KEPT not in model_traits(back)
    keys = {root_key("dynamo", "exporter", "dtype_mismatch", "judge", "output 0: float32, expected float16", "", [op], False,
                     traits=model_traits(amin)) for op in ("amin", "abs", "cumsum")}
    assert len(keys) == 1
    # onnxscript's rewriter leaving a renamed initializer dangling, whichever node reads it
    said = ("ValidationError: Nodes in a graph must be topologically sorted, however input '{}' of node: \n"
            "name: n OpType: {} \n is not output of any previous nodes.")
    clash = {root_key("onnxscript-optimizer", "transformer", "invalid_model", "check", said.format(name, op), "", [op], False)
             for name, op in (("x0_min_1", "Clip"), ("out0/shape_1", "Reshape"))}
    assert len(clash) == 1
    assert root_key("onnxscript-optimizer", "transformer", "invalid_model", "check", said.format("t3", "Clip"), "", ["Clip"], False) not in clash
    # one rewrite computing a wrong value or NaN: one symptom; a wrong shape another
    rule = {"system": "onnxscript:rewrite-rules", "rules": ["identity#2"]}
    assert rule_key("onnxscript-optimizer", "transformer", "value_mismatch", rule) == rule_key("onnxscript-optimizer", "transformer", "nan_inf", rule)
    assert rule_key("onnxscript-optimizer", "transformer", "value_mismatch", rule) != rule_key("onnxscript-optimizer", "transformer", "shape_mismatch", rule)
    # one kernel raising the same words, whichever op showed it; other words, another defect
    conv = {"system": "onnx-reference:ops", "rules": ["ConvTranspose(float32)"]}
    a = set(rule_keys("onnx-reference", "runtime", "run_crash", conv, "ValueError: cannot reshape array of size 3 into shape (1,2,3)"))
    assert a & set(rule_keys("onnx-reference", "runtime", "run_crash", conv, "ValueError: cannot reshape array of size 4 into shape (1,1,2)"))
    assert not a & set(rule_keys("onnx-reference", "runtime", "run_crash", conv, "IndexError: index 2 is out of bounds"))
    values = set(rule_keys("onnx-reference", "runtime", "value_mismatch", conv, "output 0: 1/4 elements off"))
    assert values and not values & a
    # tract's spelling of an ONNX op
    assert named_op('TractError: Failed analyse for node #15 "/ScatterND" ScatterNd\nCaused by:\n  0: x') == "ScatterND"


def test_a_repro_that_does_not_fail_every_time_is_not_filed(faulty, tmp_path, monkeypatch):
    """Review 9: a repro that failed once and then passed (an undefined read in onnxoptimizer) is
    no repro for a maintainer. The repro is run again, and filed only if it fails every time."""
    from fuzzer.report import writer

    g = _chain("relu", "tanh")
    r = run_case(CaseSpec(case_id=1, seed=5, config=GenConfig(), exporters=["onnx-direct"], transformers=["crashopt"],
                          runtimes=["onnxruntime"], graph_json=g.dumps(), opset=17))
    v = next(v for v in r.failures if v.kind is Kind.CONVERT_CRASH)
    real, calls = writer.run_repro, []

    def first_time_only(d):
        calls.append(d)
        return real(d) if len(calls) == 1 else (0, "passes")

    monkeypatch.setattr(writer, "run_repro", first_time_only)
    filed = writer.file_bug(tmp_path, Reduction(g, v, r, original_ops=len(g)), Target.of(v),
                            Blame("crashopt", "transformer", "injected", []), {"workdir": "/c", "case_id": 1})
    assert not filed.new and "exits 1 in 1 of 3 runs: flaky" in filed.reason, filed.reason
    assert len(calls) == 1 + writer.REPRO_RERUNS and _live(tmp_path) == []


def test_review_9s_leftover_repeats_share_a_key_and_distinct_defects_do_not():
    """The repeats of review 9 that the keys of its stop left apart, each against the live folder
    a reviewer found it repeats, and the live pairs those keys must keep apart."""
    from fuzzer.report.rootcause import rule_keys

    def keys(system, role, kind, fault_system, rules, core, error=""):
        return set(rule_keys(system, role, kind, {"system": fault_system, "rules": rules, "core": core}, error))

    def ts(kind, rules, core, error=""):
        return keys("torchscript", "exporter", kind, "torchscript:symbolic", rules, core, error)

    # masked_scatter refused by ORT, tract and onnx.reference, at int, float and a 0-d source
    ort = ts("run_crash", ["aten::masked_scatter"], [["opinfo.masked_scatter", {"args": [{"t": "+"}, {"t": "+"}]}, ["int", "bool", "int"]]])
    tract = ts("load_crash", ["aten::masked_scatter"], [["opinfo.masked_scatter", {"args": [{"t": "+"}, {"t": "+"}]}, ["float", "bool", "float"]]])
    ref = ts("run_crash", ["aten::masked_scatter"], [["opinfo.masked_scatter.method", {"args": [{"t": "+"}, {"t": "+"}]}, ["float", "bool", "float/0-d"]]])
    assert ort & tract and ort & ref
    # floor_divide's wrong rounding in place at 1-d and as a method at 0-d; softplus by either name
    assert ts("value_mismatch", ["aten::floor_divide"], [["opinfo.floor_divide.inplace", {"args": [{"t": "+"}]}, ["float", "float"]]]) & ts(
        "value_mismatch", ["aten::floor_divide"], [["opinfo.floor_divide.method", {"args": [{"t": "+"}]}, ["float/0-d", "float/0-d"]]])
    assert ts("value_mismatch", ["aten::softplus"], [["opinfo.nn.functional.softplus", {"kwargs": {"beta": "+"}}, ["float"]]]) & ts(
        "nan_inf", ["aten::softplus"], [["softplus", {"threshold": "+"}, ["float"]]])
    # ...but not softplus's wrong values against its wrong type, and not softmax at 0-d against
    # softmax after unbind (two live folders)
    assert not ts("value_mismatch", ["aten::softplus"], [["softplus", {}, ["float"]]]) & ts("dtype_mismatch", ["aten::softplus"], [["softplus", {}, ["float/0-d"]]])
    assert not ts("invalid_model", ["aten::softmax"], [["softmax", {"dim": "0"}, ["float/0-d"]]]) & ts(
        "run_crash", ["aten::softmax"], [["opinfo.unbind", {"args": ["-"]}, ["float"]], ["opinfo.softmax", {"args": ["0"]}, ["float"]]])
    # a pass or a component is a whole subsystem: no function key
    assert not any(k.startswith("function:") for k in keys("torchscript", "exporter", "dtype_mismatch", "torchscript:passes",
                                                             ["_jit_pass_onnx_scalar_type_analysis"], [["opinfo.diagonal", {}, ["bool"]]]))
    # onnx.reference's MaxPool indices wrong under a Squeeze and alone; a shape of any rank is data
    pool = keys("onnx-reference", "runtime", "value_mismatch", "onnx-reference:ops", ["MaxPool(float32)"], [], "output 1: 1/2 elements off")
    assert pool & keys("onnx-reference", "runtime", "value_mismatch", "onnx-reference:ops", ["MaxPool(float32)"], [], "output 0: 4/8 elements off")
    # one numpy kernel per op in onnx.reference (review 11); ORT registers a kernel per type
    assert pool & keys("onnx-reference", "runtime", "value_mismatch", "onnx-reference:ops", ["MaxPool(float16)"], [], "output 0: 4/8 elements off")
    assert not keys("onnxruntime", "runtime", "value_mismatch", "onnxruntime:ops", ["MaxPool(float32)"], [], "output 0: 1 off") & keys(
        "onnxruntime", "runtime", "value_mismatch", "onnxruntime:ops", ["MaxPool(float16)"], [], "output 0: 1 off")
    mean = "ValueError: non-broadcastable output operand with shape ({}) doesn't match the broadcast shape ({})"
    assert keys("onnx-reference", "runtime", "run_crash", "onnx-reference:ops", ["Mean(float16)"], [], mean.format("", "1,")) & keys(
        "onnx-reference", "runtime", "run_crash", "onnx-reference:ops", ["Mean(float32)"], [], mean.format("1,1", "1,2"))
    assert keys("onnx-reference", "runtime", "run_crash", "onnx-reference:ops", ["Mean(float32)"], [], mean.format("1,1", "1,2")) & keys(
        "onnx-reference", "runtime", "run_crash", "onnx-reference:ops", ["Mean(float32)"], [], mean.format("1,", "2,"))


def test_review_10s_repeats_share_a_key_and_distinct_defects_do_not():
    from fuzzer.report.rootcause import rule_keys

    def keys(system, role, kind, fault_system, rules, error, core=()):
        return set(rule_keys(system, role, kind, {"system": fault_system, "rules": rules, "core": list(core)}, error))

    # tract's Gemm making alpha and beta float32 whatever its type, at int32, float64 and float16
    gemm = [keys("tract", "runtime", "load_crash", "tract:ops", ["Gemm(int32)"], "TractError: x\nCaused by:\n 1: No super type for F32 and I32"),
            keys("tract", "runtime", "run_crash", "tract:ops", ["Gemm(float64)"], "TractError: x\nCaused by:\n Tensor datum type error: tensor is F32, accessed as F64"),
            keys("tract", "runtime", "load_crash", "tract:ops", ["Gemm(float16)"], "TractError: x\nCaused by:\n expected 1,1,F16 got 1,1,F32")]
    assert gemm[0] & gemm[1] & gemm[2]
    # ...but not another op's, nor a float32 kernel's, nor words that do not name the kernel's type
    assert not gemm[0] & keys("tract", "runtime", "load_crash", "tract:ops", ["GRU(float16)"], "expected 1,5,F16 got 1,5,F32")
    assert not any(k.startswith("f32-leak:") for k in keys("tract", "runtime", "load_crash", "tract:ops", ["Gemm(float32)"], "No super type for F32 and I32"))
    assert not gemm[0] & keys("tract", "runtime", "load_crash", "tract:ops", ["Gemm(int32)"], "Invalid axis F32")
    # the version converter's adapter saying the same words of two ops
    ssa = "ValidationError: Graph must be in single static assignment (SSA) form, however 'pre_cast_0' has been used as output names multiple times."
    assert keys("version-down", "transformer", "invalid_model", "version-converter:adapters", ["MatMul:9->8"], ssa) & keys(
        "version-down", "transformer", "invalid_model", "version-converter:adapters", ["Greater:9->8"], ssa)
    attr = "ValidationError: Unrecognized attribute: noop_with_empty_axes for operator {}\n\n==> Context: Bad node spec for node. Name: {}"
    assert keys("version-down", "transformer", "invalid_model", "version-converter:adapters", ["ReduceL2:18->17"], attr.format("ReduceL2", "n1")) & keys(
        "version-down", "transformer", "invalid_model", "version-converter:adapters", ["ReduceMean:18->17"], attr.format("ReduceMean", ""))
    # TorchScript's in-place comparison handing a bool to the next op's symbolic, which refuses it
    crash = keys("torchscript", "exporter", "export_crash", "torchscript:symbolic", ["aten::min"],
                 "SymbolicValueError: Inputs of Min must have same dtype.Got Bool and Char  [Caused by the value",
                 [["opinfo.eq.inplace", {}, ["int"]], ["min", {}, ["int"]]])
    assert "inplace:torchscript" in crash
    assert "inplace:torchscript" not in keys("torchscript", "exporter", "export_crash", "torchscript:symbolic", ["aten::max"],
                                             "SymbolicValueError: Inputs of Max must have same dtype.Got Bool and Float",
                                             [["opinfo.log.method", {}, ["bool"]], ["max", {}, ["float"]]])


def test_review_11s_repeats_one_helper_and_in_place_spellings():
    from fuzzer.report.rootcause import rule_keys

    def ts(kind, rules, core, error=""):
        return set(rule_keys("torchscript", "exporter", kind, {"system": "torchscript:symbolic", "rules": rules, "core": core}, error))

    # index_fill_ and index_copy on a 0-d self: one helper, in place or not
    fill = ts("run_crash", ["aten::index_fill"], [["opinfo.index_fill.inplace", {"args": ["0"]}, ["float/0-d", "int", "float/0-d"]]])
    copy = ts("run_crash", ["aten::index_copy"], [["opinfo.index_copy.method", {"args": ["0"]}, ["int/0-d", "int", "int/0-d"]]])
    assert fill & copy
    # argmax and argmin: one helper
    assert ts("load_crash", ["aten::argmax"], [["opinfo.argmax", {"kwargs": {"dim": "-"}}, ["int/0-d"]]]) & ts(
        "invalid_model", ["aten::argmin"], [["opinfo.argmin", {"kwargs": {"dim": "0"}}, ["float/0-d"]]])
    # ...but a model broken by a type clash keeps the in-place spelling apart (review 8's ge_ and ge)
    clash = "InferenceError: (op_type:ScatterElements): updates has inconsistent type tensor(float)"
    assert not ts("invalid_model", ["aten::ge"], [["opinfo.ge.inplace", {}, ["int", "int"]]], clash) & ts(
        "invalid_model", ["aten::ge"], [["opinfo.ge", {}, ["int/0-d", "int"]]], clash)
    # and sum and amax, which share a helper only in part, stay two
    assert not ts("invalid_model", ["aten::sum"], [["sum", {"dim": "-"}, ["int/0-d"]]]) & ts(
        "invalid_model", ["aten::amax"], [["amax", {"dim": ["-"]}, ["bool/0-d"]]])


def test_one_torchscript_op_has_a_function_per_opset_range():
    """torch.gather below opset 11 is a OneHot decomposition (symbolic_opset9), from 11 a
    GatherElements (symbolic_opset11): their defects are two bugs (review 10's e0264a at opset 10
    and review 11's 4f73a3 at opset 19). A helper that is all of an op's functions stays one."""
    from fuzzer.report.rootcause import rule_keys

    def ts(kind, rules, core, path):
        return set(rule_keys("torchscript", "exporter", kind, {"system": "torchscript:symbolic", "rules": rules, "core": core}, "", path))

    gather = [["opinfo.gather", {"args": ["0", {"t": "+"}]}, ["float", "int"]]]
    assert not ts("run_crash", ["aten::gather"], gather, "torchscript@10") & ts("run_crash", ["aten::gather"], gather[:0] + [
        ["opinfo.gather", {"args": ["0", {"t": "+"}]}, ["int/0-d", "int"]]], "torchscript@19")
    assert ts("run_crash", ["aten::gather"], gather, "torchscript@11") & ts("run_crash", ["aten::gather"], [
        ["opinfo.gather", {"args": ["0", {"t": "+"}]}, ["int/0-d", "int"]]], "torchscript@19")
    assert ts("load_crash", ["aten::argmax"], [["opinfo.argmax", {}, ["int/0-d"]]], "torchscript@8") & ts(
        "invalid_model", ["aten::argmin"], [["opinfo.argmin", {}, ["float/0-d"]]], "torchscript@13")


def test_a_typing_pass_giving_one_wrong_type_for_another_is_one_bug():
    """Review 11: TorchScript's scalar type analysis gives float32 for a 0-d float64 (taking it
    for a Python scalar) in mul and in hardshrink; its int64 for bool is another defect."""
    from fuzzer.report.rootcause import rule_keys

    def ts(error, core):
        return set(rule_keys("torchscript", "exporter", "dtype_mismatch", {"system": "torchscript:passes",
                             "rules": ["_jit_pass_onnx_scalar_type_analysis"], "core": core}, error))

    mul = ts("output 0: dtype float32, expected float64", [["mul", {}, ["float/0-d", "float/0-d"]]])
    assert mul & ts("output 1: dtype float32, expected float64", [["opinfo.nn.functional.hardshrink", {}, ["float/0-d"]]])
    assert not mul & ts("output 0: dtype int64, expected bool", [["add", {"alpha": "+"}, ["bool/0-d", "bool/0-d"]]])


def test_tracts_building_node_names_its_op():
    """tract's "Building node /Transpose (Transpose)" names the op that fails (review 12)."""
    from fuzzer.report.rootcause import named_op

    tract = ("TractError: Building node /Transpose (Transpose)\n\nCaused by:\n    Node /Transpose (Transpose), "
             "attribute 'perm': expected list of non-negative ints")
    assert named_op(tract) == "Transpose"


OPENVINO_SCATTERND = """RuntimeError: Exception from src/inference/src/cpp/core.cpp:105:
Check 'false' failed at src/frontends/common_translators/src/unconverted_ops_report.cpp:151:
FrontEnd API failed with OpConversionFailure:
Model wasn't fully converted. Failed operations detailed log:
-- ScatterND-14 with a message:
While validating ONNX node '<Node(ScatterND): /ScatterND>': Check 'indices_rank != 0 && inputs_rank != 0' failed at src/core/shape_inference/include/scatter_nd_base_shape_inference.hpp:25:
While validating node 'util::ScatterNDBase ScatterNDBase_402739 (opset1::Parameter x1[0]:f16[1,1]) -> (dynamic[...])' with friendly_name 'ScatterNDBase_402739':
Indices rank and inputs_rank are expected to be at least 1

Summary:
-- Conversion is failed for: ScatterND-14
"""


def test_openvinos_error_is_read_for_the_reason_its_nested_report_gives():
    """OpenVINO's first line only says which file the exception passed through: every load
    failure read alike (review 12's three OpenVINO folders). The key reads the line that says why,
    and the ONNX node the frontend names."""
    from fuzzer.report.rootcause import _said, named_op, openvino_reason

    assert openvino_reason(OPENVINO_SCATTERND) == ("ScatterND", "Indices rank and inputs_rank are expected to be at least 1")
    assert named_op(OPENVINO_SCATTERND) == "ScatterND"
    assert _said("load_crash", OPENVINO_SCATTERND) == "RuntimeError: Indices rank and inputs_rank are expected to be at least <n>"
    split = ("RuntimeError: Exception from src/inference/src/cpp/core.cpp:117:\nException from src/inference/src/dev/plugin.cpp:54:\n"
             "Check 'false' failed at src/core/src/node.cpp:150:\nWhile validating node 'opset1::VariadicSplit _n4' with "
             "friendly_name '_n4':\nDefault output not supported\n\n")
    assert _said("load_crash", split) == "RuntimeError: Default output not supported"
    assert openvino_reason("RuntimeError: something else") == (None, "")
    reshape = ("RuntimeError: Exception from src/inference/src/cpp/core.cpp:105:\nCheck 'false' failed at src/frontends/common/src/"
               "frontend.cpp:99:\nWhile validating node 'opset1::Reshape r' with friendly_name 'r':\nShape inference input shapes "
               "{[2,3],[1]}\nRequested output shape [7] is incompatible with input shape [2,3]\n")
    assert openvino_reason(reshape)[1] == "Requested output shape [7] is incompatible with input shape [2,3]"


def test_a_shape_with_a_dim_counted_from_the_end_is_a_shape():
    """Review 12: onnx.reference's MaxPool refusing out_shape=(0,) at float32 repeats its (-1,) at float16."""
    from fuzzer.report.rootcause import rule_keys

    def ref(error, rule):
        return set(rule_keys("onnx-reference", "runtime", "run_crash", {"system": "onnx-reference:ops", "rules": [rule]}, error))

    said = "RuntimeError: output shape cannot be null or negative, out_shape=({}), auto_pad='VALID', input_spatial_shape=(1,)"
    assert ref(said.format("0,"), "MaxPool(float32)") == ref(said.format("-1,"), "MaxPool(float16)")
    # an axis's sign still tells two defects apart
    axes = "ValueError: bad axes ({},) for a 0-d input"
    assert ref(axes.format("-1"), "Squeeze(float32)") != ref(axes.format("3"), "Squeeze(float32)")


def test_review_12s_repeats_share_a_key():
    """Review 12's repeats that a rule names: tract's one recurrent code making a float32 initial
    state (RNN against GRU), TorchScript's scalar type analysis where the localizer named the
    symbolic, an If typed by one of two branch ranks (read by Split or Pad), and the float16
    converter's Cast to float32 (the clash named at the Cast or at its reader)."""
    from onnx import TensorProto, helper

    from fuzzer.report.rootcause import (CASTS_TO_FLOAT, SCATTER_READS_IF_OF_TWO_RANKS, model_traits, root_parts,
                                         rule_keys)

    def tract(rule, error):
        return set(rule_keys("tract", "runtime", "run_crash", {"system": "tract:ops", "rules": [rule]}, error))

    gru = tract("GRU(float16)", "TractError: Evaluating #5 Scan\n\nCaused by:\n    0: Setting body inputs\n    1: Input at index 0 "
                "has incorrect dtype or shape (got 1,1,4,F32 0, 0, 0, 0, expected to match fact 1,1,4,F16)")
    rnn = tract("RNN(float16)", "TractError: running pass ChangeAxes\n\nCaused by:\n    0: Making patch\n    1: Trying to "
                "substitute a 2,1,F16 by 2,1,F32 as output #0 of #8")
    assert gru & rnn
    assert not gru & tract("Gemm(float16)", "TractError: x\n\nCaused by:\n    0: expected 1,1,F16 got 1,1,F32")

    def ts(rules, system, core, error="output 0: dtype float32, expected float64"):
        return set(rule_keys("torchscript", "exporter", "dtype_mismatch", {"system": system, "rules": rules, "core": core}, error))

    pass_ = ts(["_jit_pass_onnx_scalar_type_analysis"], "torchscript:passes", [["mul", {}, ["float/0-d", "float/0-d"]]])
    bce = ts(["aten::binary_cross_entropy_with_logits"], "torchscript:symbolic",
             [["opinfo.nn.functional.binary_cross_entropy_with_logits", {}, ["float/0-d", "float/0-d"]]])
    assert pass_ & bce
    assert not pass_ & ts(["aten::binary_cross_entropy_with_logits"], "torchscript:symbolic",
                          [["opinfo.nn.functional.binary_cross_entropy_with_logits", {}, ["float", "float"]]])
    # a 0-d float at another op of the cut says nothing of the op that made the output
    assert not pass_ & ts(["aten::cdist"], "torchscript:symbolic", [["mul", {}, ["float", "float/0-d"]], ["cdist", {}, ["float", "float"]]])

    def if_model(else_rank, reader="ScatterElements"):
        out = lambda r: helper.make_tensor_value_info("o", TensorProto.FLOAT, [1] * r)
        branch = lambda r: helper.make_graph([helper.make_node("Identity", ["x"], ["o"])], "b", [], [out(r)])
        node = helper.make_node("If", ["c"], ["y"], then_branch=branch(1), else_branch=branch(else_rank))
        ins = ["x", "i", "y"] if reader == "ScatterElements" else ["y", "x"]
        read = helper.make_node(reader, ins, ["z"])
        return helper.make_model(helper.make_graph(
            [node, read], "g", [helper.make_tensor_value_info("c", TensorProto.BOOL, []),
                                helper.make_tensor_value_info("x", TensorProto.FLOAT, [1]),
                                helper.make_tensor_value_info("i", TensorProto.INT64, [1])],
            [helper.make_tensor_value_info("z", TensorProto.FLOAT, None)]))

    assert SCATTER_READS_IF_OF_TWO_RANKS in model_traits(if_model(2))
    # one rank in both branches, or an If of two ranks that no ScatterElements reads (TorchScript's
    # dynamic squeeze): no such trait
    assert SCATTER_READS_IF_OF_TWO_RANKS not in model_traits(if_model(1))
    assert SCATTER_READS_IF_OF_TWO_RANKS not in model_traits(if_model(2, reader="Add"))
    scatter = (SCATTER_READS_IF_OF_TWO_RANKS,)
    split = root_parts("torchscript", "exporter", "invalid_model", "check", "InferenceError: (op_type:Split): Invalid value "
                       "of attribute 'axis'. Rank=1 Value=-2", "", ["scatter_reduce"], False, traits=scatter)
    pad = root_parts("torchscript", "exporter", "load_crash", "load", "Fail: Node (/Pad) Op (Pad) [ShapeInferenceError] "
                     "Pads has incorrect number of values", "onnxruntime", ["pad"], False, traits=scatter)
    assert split == pad and split[1] == "structure"

    clash = "InferenceError: (op_type:{}): [TypeInferenceError] Inferred elem type differs from existing elem type: (1) vs (10)"
    casts = helper.make_model(helper.make_graph(
        [helper.make_node("Cast", ["x"], ["f"], to=TensorProto.FLOAT), helper.make_node("Compress", ["f", "c"], ["y"]),
         helper.make_node("Resize", ["x", "", "s"], ["r"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.INT8, [2]), helper.make_tensor_value_info("c", TensorProto.BOOL, [2]),
         helper.make_tensor_value_info("s", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None), helper.make_tensor_value_info("r", TensorProto.INT8, None)]))
    traits = model_traits(casts)
    assert {CASTS_TO_FLOAT + "Cast", CASTS_TO_FLOAT + "Compress"} <= set(traits)
    at_cast = root_parts("float16", "transformer", "invalid_model", "check", clash.format("Cast"), "", ["Cast"], False, traits=traits)
    at_reader = root_parts("float16", "transformer", "invalid_model", "check", clash.format("Compress"), "", ["Compress"], False,
                           traits=traits)
    assert at_cast == at_reader and at_cast[1] == "structure"
    # a clash at an op that is no Cast to float32 and reads none keeps its own key
    elsewhere = root_parts("float16", "transformer", "invalid_model", "check", clash.format("Resize"), "", ["Resize"], False,
                           traits=traits)
    assert elsewhere[1] != "structure"


def test_a_compiled_runtimes_kernel_is_one_code_for_every_type_but_half_precision():
    """Review 13: ONNX Runtime's Shrink computes in float32, wrong at int32 (16777217) and
    float64 (inf for 1e300): one defect. Its float16 kernels are code of their own."""
    from fuzzer.report.rootcause import rule_keys

    def ort(kind, rule, error="output 0: 1/3 elements off"):
        return set(rule_keys("onnxruntime", "runtime", kind, {"system": "onnxruntime:ops", "rules": [rule]}, error))

    assert ort("value_mismatch", "Shrink(int32)") & ort("nan_inf", "Shrink(float64)", "output 0: inf at [0, 1]")
    assert not ort("value_mismatch", "Shrink(float32)") & ort("value_mismatch", "Shrink(float16)")
    assert not ort("value_mismatch", "Shrink(int32)") & ort("value_mismatch", "Abs(int32)")


def test_review_15s_repeats_share_a_key():
    """Review 15 (campaign seed 34): abs on bfloat16 losing its cast back repeats cumsum on
    float16; two of onnxscript's unnamed no-op rules are one place."""
    from onnx import TensorProto as T
    from onnx import helper

    from fuzzer.report.rootcause import UPCAST_KEPT, model_traits, rule_key, rule_place

    x = helper.make_tensor_value_info("x", T.BFLOAT16, [])
    y = helper.make_tensor_value_info("y", T.FLOAT, [])
    abs_ = _model([helper.make_node("Cast", ["x"], ["c"], to=T.FLOAT), helper.make_node("Abs", ["c"], ["y"])], [x], [y])
    assert UPCAST_KEPT in model_traits(abs_)
    sub_0 = {"system": "onnxscript:rewrite-rules", "rules": ["identity#4"]}
    mul_1 = {"system": "onnxscript:rewrite-rules", "rules": ["identity#2"]}
    assert rule_key("onnxscript-optimizer", "transformer", "value_mismatch", sub_0) == \
        rule_key("onnxscript-optimizer", "transformer", "value_mismatch", mul_1)
    # another symptom of them stays apart, and only onnxscript's names carry a place in the set
    assert rule_key("onnxscript-optimizer", "transformer", "shape_mismatch", sub_0) != \
        rule_key("onnxscript-optimizer", "transformer", "value_mismatch", mul_1)
    assert rule_place("onnxoptimizer:passes", "pass#2") == "pass#2"
    # permute's negative perm refused by the checker, and after stft by ONNX Runtime's load-time
    # inference in the same words; generic words ("Incompatible dimensions") key nothing
    from fuzzer.report.rootcause import rule_keys

    permute = {"system": "torchscript:symbolic", "rules": ["aten::permute"], "core": [["permute", {"dims": ["-"]}, ["float"]]]}
    after_stft = dict(permute, core=[["opinfo.stft", {}, ["float"]], ["permute", {"dims": ["+", "-", "+"]}, ["float"]]])
    checker = rule_keys("torchscript", "exporter", "invalid_model", permute,
                        "InferenceError: [ShapeInferenceError] Inference error(s): (op_type:Transpose, node name: /T): "
                        "[TypeInferenceError] Invalid attribute perm {-1}, input shape = {1}", "torchscript@19")
    ort = rule_keys("torchscript", "exporter", "load_crash", after_stft,
                    "Fail: [ONNXRuntimeError] : 1 : FAIL : Node (/T_2) Op (Transpose) [TypeInferenceError] Invalid "
                    "attribute perm {2, -3, 1}, input shape = {6, 4, 2}", "torchscript@18")
    assert set(checker) & set(ort)
    generic = [rule_keys("torchscript", "exporter", kind, fault, f"{head}[ShapeInferenceError] Incompatible dimensions", "torchscript@9")
               for kind, fault, head in (("invalid_model", permute, "InferenceError: "), ("load_crash", after_stft, "Fail: "))]
    assert not set(generic[0]) & set(generic[1])


def test_review_13s_repeats_share_a_key():
    """Review 13: TorchScript's permute copying negative dims into perm, met at rank 1 and at rank
    4; tract's ReduceMin repeating ReduceMax's reading of empty axes."""
    from fuzzer.report.rootcause import root_error, rule_keys

    said = "InferenceError: [ShapeInferenceError] Inference error(s): (op_type:Transpose, node name: /T): " \
           "[TypeInferenceError] Invalid attribute perm {}, input shape = {}"
    rank1 = root_error("invalid_model", said.format("{-1}", "{1}"))
    rank4 = root_error("invalid_model", said.format("{0, -2, -1, 1}", "{1, 1, 1, 1}"))
    assert rank1 == rank4
    assert root_error("invalid_model", said.format("{0, 2, 2, 1}", "{1, 1, 1, 1}")) != rank4
    keys = [set(rule_keys("tract", "runtime", "shape_mismatch", {"system": "tract:ops", "rules": [f"Reduce{op}(float32)"]}))
            for op in ("Min", "Max")]
    assert keys[0] == keys[1] and keys[0]
    other = rule_keys("onnx-reference", "runtime", "shape_mismatch", {"system": "onnx-reference:ops", "rules": ["ReduceMin(float32)"]})
    assert set(other) != set(rule_keys("onnx-reference", "runtime", "shape_mismatch",
                                       {"system": "onnx-reference:ops", "rules": ["ReduceMax(float32)"]}))


def test_an_initializer_shared_by_a_kept_and_a_converted_op_is_one_float16_defect():
    """Review 18's fa7b03 repeating 4417e7: the float16 converter keeps an initializer float32 when
    an op of its block list reads it (Resize, Min) and inserts no Cast for the converted op that
    reads it too (ConvTranspose, Sin); the checker names that reader in its own words."""
    from onnx import TensorProto as T
    from onnx import helper, numpy_helper

    from fuzzer.report.rootcause import SHARED_WITH_KEPT, model_traits, root_key

    w = numpy_helper.from_array(np.ones(1, np.float32), "w")
    y = [helper.make_tensor_value_info(n, T.FLOAT, [1]) for n in ("a", "b")]
    shared = helper.make_graph([helper.make_node("Sin", ["w"], ["a"]), helper.make_node("Min", ["w", "w"], ["b"])],
                               "g", [], y, [w])
    apart = helper.make_graph([helper.make_node("Sin", ["w"], ["a"]), helper.make_node("Cos", ["w"], ["b"])], "g", [], y, [w])
    assert SHARED_WITH_KEPT in model_traits(helper.make_model(shared))
    assert SHARED_WITH_KEPT not in model_traits(helper.make_model(apart))
    # an int64 initializer the converter leaves alone is no such defect
    n = numpy_helper.from_array(np.ones(1, np.int64), "w")
    ints = [helper.make_tensor_value_info(v, T.INT64, [1]) for v in ("a", "b")]
    whole = helper.make_graph([helper.make_node("Add", ["w", "w"], ["a"]), helper.make_node("Max", ["w", "w"], ["b"])],
                              "g", [], ints, [n])
    assert SHARED_WITH_KEPT not in model_traits(helper.make_model(whole))
    errors = ["InferenceError: [ShapeInferenceError] (op_type:ConvTranspose, node name: /ConvTranspose): W has "
              "inconsistent type tensor(float16)",
              "InferenceError: [ShapeInferenceError] Inference error(s): (op_type:Sin, node name: /Sin): "
              "[TypeInferenceError] Inferred elem type differs from existing elem type: (1) vs (10)"]
    assert len({root_key("float16", "transformer", "invalid_model", "check", e, "", [op], False, traits=(SHARED_WITH_KEPT,))
                for e, op in zip(errors, ("ConvTranspose", "Sin"))}) == 1
    assert len({root_key("float16", "transformer", "invalid_model", "check", e, "", [op], False)
                for e, op in zip(errors, ("ConvTranspose", "Sin"))}) == 2
