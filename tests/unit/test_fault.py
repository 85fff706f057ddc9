"""The rule at fault in a bug folder (fuzzer.coverage.fault), on folders of bugs/ and on
synthetic ones."""
import json
import re
import shutil
from pathlib import Path

import pytest
from onnx import TensorProto, helper

from fuzzer.coverage.fault import Fault, _from_order, _names_op, rule_at_fault

BUGS = Path(__file__).resolve().parents[2] / "bugs"


def _copy(name, tmp_path):
    if not (BUGS / name).is_dir():
        pytest.skip(f"bugs/{name} is gone")
    return Path(shutil.copytree(BUGS / name, tmp_path / name))


def test_a_crash_is_the_rule_that_was_running_and_a_wrong_model_the_one_real_rule():
    order = [("torchscript:symbolic", "prim::Constant"), ("torchscript:symbolic", "aten::sum"),
             ("dynamo:aten", "aten::sum.dim_IntList")]
    crash = _from_order(order, RuntimeError("boom"), ("torchscript:symbolic",), "torchscript:symbolic", "the export")
    assert (crash.system, crash.rules) == ("torchscript:symbolic", ["aten::sum"])
    wrong = _from_order(order, None, ("torchscript:symbolic",), "torchscript:symbolic", "the export")
    assert wrong.rules == ["aten::sum"] and "prim::Constant" in wrong.candidates
    two = _from_order(order + [("torchscript:symbolic", "aten::mul")], None, ("torchscript:symbolic",), "x", "the export")
    assert two.rules == [] and two.candidates == ["aten::sum", "aten::mul"]
    assert _from_order([], None, ("torchscript:symbolic",), "x", "the export").rules == []


def test_a_runtime_kernel_is_named_by_op_and_element_type(tmp_path):
    graph = helper.make_graph([helper.make_node("Softsign", ["x"], ["y"], name="n0")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    (tmp_path / "model.onnx").write_bytes(model.SerializeToString())
    (tmp_path / "case.json").write_text(json.dumps({"bug": {
        "system": "onnx-reference", "role": "runtime", "kind": "run_crash", "stage": "run", "path": "onnx-direct@17",
        "error": "IndexError: tuple index out of range"}, "graph": {}}))
    fault = rule_at_fault(tmp_path)
    assert fault == Fault("onnx-reference:ops", ["Softsign(float32)"], ["Softsign(float32)"], "the model's only op type")


def test_a_runtime_failure_the_error_does_not_place_is_placed_by_cutting_the_model(tmp_path):
    """Relu -> Reshape (to a size that does not hold the data) -> Neg on the reference evaluator:
    numpy's words name no op; the model cut after the Reshape already fails the same way."""
    import numpy as np

    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Reshape", ["r", "s"], ["t"]),
             helper.make_node("Neg", ["t"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [helper.make_tensor("s", TensorProto.INT64, [1], [5])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    (tmp_path / "model.onnx").write_bytes(model.SerializeToString())
    np.savez(tmp_path / "inputs.npz", x=np.ones((2, 3), np.float32))
    (tmp_path / "case.json").write_text(json.dumps({"bug": {
        "system": "onnx-reference", "role": "runtime", "kind": "run_crash", "stage": "run", "path": "onnx-direct@17",
        "runtime": "onnx-reference", "error": "ValueError: cannot reshape array of size 6 into shape (5,)"}, "graph": {}}))
    fault = rule_at_fault(tmp_path)
    assert fault.rules == ["Reshape(float32)"] and "cut after it" in fault.note, fault
    # another failure than the filed one names nothing
    case = json.loads((tmp_path / "case.json").read_text())
    case["bug"]["error"] = "ValueError: something else entirely"
    (tmp_path / "case.json").write_text(json.dumps(case))
    assert rule_at_fault(tmp_path).rules == []


def test_a_torchscript_export_crash_is_pinned_on_its_symbolic_function(tmp_path):
    pytest.importorskip("torch")
    fault = rule_at_fault(_copy("torchscript-export-crash-081d7d", tmp_path))
    assert (fault.system, fault.rules) == ("torchscript:symbolic", ["aten::any"])  # aten::all calls its function


def test_an_onnxslim_crash_outside_its_rules_says_so(tmp_path):
    pytest.importorskip("onnxslim")
    fault = rule_at_fault(_copy("onnxslim-convert-crash-cf8df1", tmp_path))
    # no rule of onnxslim's is at fault: the function of its own code it raised in is named
    assert fault.system == "onnxslim:code" and fault.rules == ["onnx_exporter.export_attributes"]
    assert "own model handling" in fault.note


def test_backfill_records_each_folder_and_rejects_a_missing_directory(tmp_path, capsys):
    from fuzzer.coverage.fault import main

    assert main([str(tmp_path / "nowhere")]) == 2
    folder = _copy("torchscript-export-crash-081d7d", tmp_path / "bugs")
    assert main([str(folder.parent)]) == 0
    recorded = json.loads((folder / "case.json").read_text())["bug"]["rule_at_fault"]
    assert recorded["rules"] == ["aten::any"]
    assert "aten::any" in capsys.readouterr().out


def test_filing_localizes_in_its_own_process_and_the_report_says_it(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    from fuzzer.report.writer import report_markdown, rule_at_fault_of

    folder = _copy("torchscript-export-crash-081d7d", tmp_path)
    monkeypatch.setenv("ONNXFUZZ_RULE_AT_FAULT", "0")
    assert rule_at_fault_of(folder) is None
    monkeypatch.setenv("ONNXFUZZ_RULE_AT_FAULT", "1")
    found = rule_at_fault_of(folder)
    assert found["rules"] == ["aten::any"]
    meta = json.loads((folder / "case.json").read_text())["bug"]
    assert meta["rule_at_fault"] == found
    meta.pop("rule", None)
    assert "| rule at fault | `aten::any` (torchscript:symbolic)" in report_markdown(meta, "graph", "output")


def test_a_localization_that_kills_its_process_names_the_rule_it_was_running(tmp_path):
    from fuzzer.coverage.fault import died

    folder = _copy("torchscript-export-crash-1ccc89", tmp_path)
    trace = ["torchscript:symbolic\tprim::Constant", "torchscript:symbolic\taten::std"]
    fault = died(folder, trace)
    assert fault.rules == ["aten::std"] and "died" in fault.note
    assert died(folder, []).rules == []


def test_a_value_mismatch_from_a_rewrite_that_approximates_by_design_is_no_bug():
    from fuzzer.coverage.fault import approximates_by_design

    qdq = {"kind": "value_mismatch", "rule_at_fault": {"rules": ["DoubleQDQPairsRemover"]}}
    assert "quantization step" in approximates_by_design(qdq)
    assert approximates_by_design({**qdq, "kind": "load_crash"}) == ""  # a crash there is still a bug
    assert approximates_by_design({**qdq, "rule_at_fault": {"rules": ["DoubleQDQPairsRemover", "FuseReluClip"]}}) == ""
    assert approximates_by_design({"kind": "value_mismatch", "rule_at_fault": None}) == ""


def _inner_helper():
    raise ValueError("inhomogeneous shape")


def _outer_helper():
    try:
        _inner_helper()
    except ValueError as e:
        raise RuntimeError("PassError: an error occurred when running the pass") from e


def test_a_crash_outside_recorded_rules_is_placed_in_the_tools_own_function():
    """The second review: onnxscript's optimizer raised in onnx_ir's CSE pass and in the
    min_max_to_clip rule's constant check, float16 in remove_unnecessary_cast_node; none of them
    records a rule. The innermost frame of the tool's own code, over the cause chain, names it."""
    from fuzzer.coverage.fault import _raised_in

    try:
        _outer_helper()
    except RuntimeError as e:
        assert _raised_in(e, ("/tests/unit/",)) == "test_fault._inner_helper"
        assert _raised_in(e, ("/no/such/package/",)) is None


def test_a_bug_of_the_component_an_exporter_runs_first_names_that_component(tmp_path):
    (tmp_path / "case.json").write_text(json.dumps({"bug": {
        "system": "torchscript", "role": "exporter", "kind": "export_crash", "stage": "export", "path": "torchscript@17",
        "component": "torch.jit.trace", "error": "RuntimeError: INTERNAL ASSERT FAILED"}, "graph": {}}))
    fault = rule_at_fault(tmp_path)
    assert (fault.system, fault.rules) == ("torchscript:component", ["torch.jit.trace"])


def test_a_dynamo_bug_of_its_last_fusions_names_them_and_says_they_run_after(tmp_path):
    """Blame's fusions verdict (the exporter without its optimization computes the result, and
    onnxscript's optimizer alone keeps it right): the component runs after the translation, and
    the record says so rather than "before"."""
    from fuzzer.convert.base import EXPORTERS_FUSIONS

    (tmp_path / "case.json").write_text(json.dumps({"bug": {
        "system": "dynamo", "role": "exporter", "kind": "value_mismatch", "stage": "judge", "path": "dynamo@18",
        "component": EXPORTERS_FUSIONS, "error": "output 0: 1/1 elements off"}, "graph": {}}))
    fault = rule_at_fault(tmp_path)
    assert (fault.system, fault.rules) == ("dynamo:component", [EXPORTERS_FUSIONS])
    assert "runs after" in fault.note and "before" not in fault.note


def test_a_version_converter_bug_is_the_adapter_of_the_first_failing_step(tmp_path):
    """The second review's version-up folder: an IR-3, opset-7 Pad converts validly to opsets 8,
    9 and 10; the step 10 -> 11 writes the pads initializer no IR-3 model may leave out of its inputs."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    model = helper.make_model(helper.make_graph([helper.make_node("Pad", ["x"], ["y"], pads=[0, 1, 0, 1])], "g", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 7)], ir_version=3)
    (tmp_path / "model.onnx").write_bytes(model.SerializeToString())
    (tmp_path / "case.json").write_text(json.dumps({"bug": {
        "system": "version-up", "role": "transformer", "kind": "invalid_model", "stage": "check",
        "path": "onnx-direct@7>version-up", "error": "ValidationError: _v_4 in initializer but not in graph input"},
        "graph": {}}))
    fault = rule_at_fault(tmp_path)
    assert (fault.system, fault.rules) == ("version-converter:adapters", ["Pad:10->11"]), fault


def test_an_error_pattern_ignores_the_names_a_filed_model_changed():
    from fuzzer.coverage.localize import error_pattern

    filed = "InvalidArgument: Invalid model. Node input '_motif_opt_where_not4' is not a graph input (node Where_2)"
    rx = re.compile(error_pattern(filed))
    assert rx.search("InvalidArgument: Invalid model. Node input 't4' is not a graph input (node n7)")
    assert not rx.search("InvalidArgument: Invalid model. Node output 't4' is not a graph input (node n7)")


def test_an_onnxoptimizer_output_that_fails_to_load_is_localized_by_loading_it(tmp_path):
    """bugs/onnxoptimizer-fuse-load-crash-f79987: fuse_pad_into_pool folds a Pad into MaxPool,
    and ONNX Runtime refuses the result; the transform itself never raises."""
    pytest.importorskip("onnxoptimizer")
    fault = rule_at_fault(_copy("onnxoptimizer-fuse-load-crash-f79987", tmp_path))
    assert fault.rules == ["fuse_pad_into_pool"], fault


def test_ort_offline_is_bisected_on_the_filed_model_whatever_its_names(tmp_path):
    """bugs/ort-offline-basic-convert-crash-21341d: the error quotes a node input name the filed
    model no longer has; NotWhereFusion is still found."""
    fault = rule_at_fault(_copy("ort-offline-basic-convert-crash-21341d", tmp_path))
    assert fault.rules == ["NotWhereFusion"], fault


# -- the folders that named no rule at the last stop, each localized by its own method ----------


def test_onnxslim_own_steps_are_tried_alone_when_every_rule_off_still_fails(tmp_path):
    """bugs/onnxslim-invalid-model-ebf997: freeze drops an IR-3 model's initializers from its
    inputs; bugs/onnxslim-run-crash-3c3d9a: its shape inference pins a dynamic dim, and shows
    only at the size the bug failed at (the folder's inputs "@0"), not at the base size."""
    pytest.importorskip("onnxslim")
    frozen = rule_at_fault(_copy("onnxslim-invalid-model-ebf997", tmp_path))
    assert (frozen.system, frozen.rules) == ("onnxslim:code", ["freeze"]), frozen
    pinned = rule_at_fault(_copy("onnxslim-run-crash-3c3d9a", tmp_path))
    assert (pinned.system, pinned.rules) == ("onnxslim:code", ["shape_infer"]), pinned


def test_filed_inputs_are_those_of_the_failing_size(tmp_path):
    import numpy as np

    from fuzzer.coverage.localize import filed_inputs

    np.savez(tmp_path / "inputs.npz", x=np.zeros((3, 1)), **{"x@0": np.zeros((1, 1)), "x@1": np.zeros((5, 1))})
    plan = {"dims": {"x": {"0": "d0"}}, "base": "x[0]=3", "sizes": ["x[0]=1", "x[0]=5"], "failing_size": "x[0]=5"}
    (tmp_path / "case.json").write_text(json.dumps({"bug": {"dynamic": plan}}))
    assert filed_inputs(tmp_path)["x"].shape == (5, 1)
    (tmp_path / "case.json").write_text(json.dumps({"bug": {}}))
    assert list(filed_inputs(tmp_path)) == ["x"] and filed_inputs(tmp_path)["x"].shape == (3, 1)


def test_an_onnxscript_optimizer_fault_with_no_rule_is_the_first_pass_that_shows_it(tmp_path):
    """Size at opset 9 folds to Constant(value_int=...), which exists from opset 12."""
    pytest.importorskip("onnxscript")
    model = helper.make_model(helper.make_graph(
        [helper.make_node("Size", ["x"], ["y"])], "g", [helper.make_tensor_value_info("x", TensorProto.UINT8, [])],
        [helper.make_tensor_value_info("y", TensorProto.INT64, [])]), opset_imports=[helper.make_opsetid("", 9)])
    model.ir_version = 4
    (tmp_path / "model.onnx").write_bytes(model.SerializeToString())
    (tmp_path / "case.json").write_text(json.dumps({"bug": {
        "system": "onnxscript-optimizer", "role": "transformer", "kind": "invalid_model", "stage": "check",
        "path": "onnx-direct@9>onnxscript-optimizer", "error": "ValidationError: Unrecognized attribute: value_int"},
        "graph": {}}))
    fault = rule_at_fault(tmp_path)
    assert (fault.system, fault.rules) == ("onnxscript-optimizer:passes", ["FoldConstantsPass"]), fault
    assert "InlinePass" in fault.candidates and "NameFixPass" in fault.candidates


def test_a_quantizer_fault_outside_its_op_quantizers_is_the_step_that_makes_it(tmp_path):
    """bugs/ort-quantize-invalid-model-57406d: an If that reads a value only inside its branches
    is sorted before the node that makes it."""
    pytest.importorskip("onnxruntime")
    fault = rule_at_fault(_copy("ort-quantize-invalid-model-57406d", tmp_path))
    assert (fault.system, fault.rules) == ("ort-quantize:code", ["onnx_model.ONNXModel.topological_sort"]), fault


def test_a_float16_fault_is_the_op_the_checker_names_or_its_input_output_handling(tmp_path):
    pytest.importorskip("onnxconverter_common")
    cast = rule_at_fault(_copy("float16-invalid-model-a7456d", tmp_path))
    assert (cast.system, cast.rules) == ("float16:ops", ["Cast"]), cast
    # a graph input read by two nodes gets two Casts of one name only with keep_io_types=True
    io = rule_at_fault(_copy("float16-invalid-model-f2abe8", tmp_path))
    assert (io.system, io.rules) == ("float16:code", ["keep_io_types"]), io


def test_an_exporter_fault_among_several_rules_is_found_by_cutting_the_graph(tmp_path):
    """bugs/torchscript-nan-inf-fdc1cf: narrow's negative start makes an empty slice, and the
    amax after it gives -inf; the cut after the slice already fails, so narrow is at fault."""
    pytest.importorskip("torch")
    fault = rule_at_fault(_copy("torchscript-nan-inf-fdc1cf", tmp_path))
    assert (fault.system, fault.rules) == ("torchscript:symbolic", ["aten::narrow"]), fault


def test_one_op_with_two_symbolic_functions_is_the_one_that_made_the_wrong_output(tmp_path):
    """bugs/torchscript-shape-mismatch-4c7764: torch.unique(return_inverse=True) runs _unique2 and
    index; the wrong output comes straight from the Unique node _unique2 returned."""
    pytest.importorskip("torch")
    fault = rule_at_fault(_copy("torchscript-shape-mismatch-4c7764", tmp_path))
    assert fault.rules == ["aten::_unique2"] and "made the node" in fault.note, fault


def test_a_torchscript_model_broken_by_its_declared_dim_names_names_the_shape_pass(tmp_path):
    """bugs/torchscript-run-crash-8e7f92: two unique outputs of different lengths share one dim
    name; with the names made distinct, ONNX Runtime runs the model."""
    pytest.importorskip("torch")
    fault = rule_at_fault(_copy("torchscript-run-crash-8e7f92", tmp_path))
    assert fault.rules == ["_jit_pass_onnx_graph_shape_type_inference"], fault


def test_relocalizing_keeps_a_reviewers_check_of_the_same_rule_only(tmp_path):
    from fuzzer.coverage.fault import _write

    checked = {"verdict": "CORRECT", "by": "code review", "where": "x"}
    (tmp_path / "case.json").write_text(json.dumps({"bug": {"rule_at_fault": {
        "system": "s", "rules": ["r"], "candidates": [], "note": "", "checked": checked}}}))
    _write(tmp_path, Fault("s", ["r"], [], "again", [["op", {}, ["float32"]]]))
    again = json.loads((tmp_path / "case.json").read_text())["bug"]["rule_at_fault"]
    assert again["checked"] == checked and again["core"] == [["op", {}, ["float32"]]]
    _write(tmp_path, Fault("s", ["other"], [], "another rule"))
    assert "checked" not in json.loads((tmp_path / "case.json").read_text())["bug"]["rule_at_fault"]


def test_a_tf2onnx_bug_is_the_optimizer_whose_absence_clears_it(tmp_path):
    """bugs/tf2onnx-value-mismatch-0f9c35: cast float -> int64 -> bool is merged into one Cast to
    bool by remove_back_to_back, which tf2onnx's coverage never sees set graph_been_opt."""
    pytest.importorskip("tf2onnx")
    fault = rule_at_fault(_copy("tf2onnx-value-mismatch-0f9c35", tmp_path))
    assert (fault.system, fault.rules) == ("tf2onnx:optimizers", ["remove_back_to_back"]), fault


def test_a_dynamo_bug_made_by_a_torch_decomposition_names_the_decomposed_overload(tmp_path):
    """bugs/dynamo-shape-mismatch-e2c762: adaptive_max_pool2d decomposes into a [1,1] max pool
    guarded on the dynamic dim being divisible by 5; the exporter drops the guard."""
    pytest.importorskip("torch")
    fault = rule_at_fault(_copy("dynamo-shape-mismatch-e2c762", tmp_path))
    assert (fault.system, fault.rules) == ("dynamo:decompositions", ["aten.adaptive_max_pool2d.default"]), fault


def test_a_torchscript_input_cast_no_symbolic_function_made_is_the_scalar_type_pass(tmp_path):
    """bugs/torchscript-dtype-mismatch-2c7d93: torch.mul of a float64 input and a 0-d float64
    buffer; aten::mul makes a plain Mul, and the input's Cast to float32 comes from the pass.
    bugs/torchscript-dtype-mismatch-4615d8 keeps its symbolic function: the Cast there promotes
    a symbolic function's result to the float32 constant that function chose."""
    pytest.importorskip("torch")
    fault = rule_at_fault(_copy("torchscript-dtype-mismatch-2c7d93", tmp_path))
    assert (fault.system, fault.rules) == ("torchscript:passes", ["_jit_pass_onnx_scalar_type_analysis"]), fault
    kept = rule_at_fault(_copy("torchscript-dtype-mismatch-4615d8", tmp_path))
    assert kept.rules == ["aten::pairwise_distance"], kept


def test_op_types_include_those_inside_subgraphs():
    """A float16 Cast the checker names inside an If's branch (a later campaign's twin of
    bugs/float16-invalid-model-a7456d) is still an op of the model."""
    from fuzzer.coverage.fault import _op_types

    branch = helper.make_graph([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT)], "then", [],
                               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    other = helper.make_graph([helper.make_node("Identity", ["x"], ["z"])], "else", [],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1])])
    graph = helper.make_graph([helper.make_node("If", ["c"], ["o"], then_branch=branch, else_branch=other)], "g",
                              [helper.make_tensor_value_info("c", TensorProto.BOOL, []),
                               helper.make_tensor_value_info("x", TensorProto.INT8, [1])],
                              [helper.make_tensor_value_info("o", TensorProto.FLOAT, [1])])
    assert _op_types(graph) == {"If", "Cast", "Identity"}


def test_a_float16_error_inside_an_if_names_the_op_inside(tmp_path):
    pytest.importorskip("onnxconverter_common")
    branch = helper.make_graph([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT)], "then", [],
                               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    other = helper.make_graph([helper.make_node("Cast", ["x"], ["z"], to=TensorProto.FLOAT)], "else", [],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1])])
    graph = helper.make_graph([helper.make_node("If", ["c"], ["o"], then_branch=branch, else_branch=other)], "g",
                              [helper.make_tensor_value_info("c", TensorProto.BOOL, []),
                               helper.make_tensor_value_info("x", TensorProto.INT8, [1])],
                              [helper.make_tensor_value_info("o", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    (tmp_path / "model.onnx").write_bytes(model.SerializeToString())
    error = ("InferenceError: [ShapeInferenceError] Inference error(s): (op_type:If, node name: n0): [ShapeInferenceError] "
             "Inference error(s): (op_type:Cast, node name: n1): [TypeInferenceError] Inferred elem type differs from "
             "existing elem type: (1) vs (10)")
    (tmp_path / "case.json").write_text(json.dumps({"bug": {
        "system": "float16", "role": "transformer", "kind": "invalid_model", "stage": "check",
        "path": "onnx-direct@17>float16", "error": error}, "graph": {}}))
    fault = rule_at_fault(tmp_path)
    assert (fault.system, fault.rules) == ("float16:ops", ["Cast"]), fault


def test_an_ort_kernel_refusing_what_a_transformer_made_is_the_transformer(tmp_path):
    """bugs/onnxruntime-run-crash-b1d718 (review 8): FastGeluFusion fuses the tanh GELU of a 0-d
    input into FastGelu, whose kernel wants rank >= 1. The session loads; the filed error comes
    when it runs, and disabling the fusion alone clears it (the Add kernel was named before)."""
    from fuzzer.coverage.localize import localize_bug

    found = localize_bug(_copy("onnxruntime-run-crash-b1d718", tmp_path))
    assert found.rules == ["FastGeluFusion"], found.note


def test_the_op_the_failure_names_yields_to_an_earlier_cut_that_already_fails(tmp_path):
    """bugs/torchscript-invalid-model-caf581: the checker names a Reciprocal, which only reads
    mean(dim=()) typed at the wrong rank; the cut after mean already fails, so mean is at fault
    (review 15)."""
    pytest.importorskip("torch")
    fault = rule_at_fault(_copy("torchscript-invalid-model-caf581", tmp_path))
    assert fault.rules == ["aten::mean"] and "only reads" in fault.note, fault


def test_a_bfloat16_case_is_localized(tmp_path):
    """bugs/dynamo-noopt-dtype-mismatch-2e6788: its inputs.npz holds bfloat16, which np.load
    gives back as raw records torch cannot take (review 15: localization failed)."""
    pytest.importorskip("torch")
    fault = rule_at_fault(_copy("dynamo-noopt-dtype-mismatch-2e6788", tmp_path))
    assert fault.system == "dynamo:torchlib" and fault.rules == ["aten_abs"], fault


def test_a_runtime_that_killed_its_process_is_localized_by_cutting_in_processes_of_their_own(tmp_path):
    """bugs/tract-load-crash-a45529: tract panics (divide by zero) typing a Range with a fractional
    delta; each cut runs in a process of its own, and the first to die so names Range (review 14:
    the death was left unlocalized, and filed apart from the Range refusal it repeats)."""
    pytest.importorskip("tract")
    fault = rule_at_fault(_copy("tract-load-crash-a45529", tmp_path))
    assert fault.rules == ["Range(float32)"], fault


def test_onnxslim_shape_inference_at_fault_names_the_handler_of_one_op(tmp_path):
    """Review 17: onnxslim's Resize handler ignores `axes`; it crashes in update_dim on the sizes
    form (bugs/onnxslim-convert-crash-e5b1ac) and folds a wrong shape on the scales form
    (bugs/onnxslim-invalid-model-d71ed8). Both clear when that handler alone is left out, and are
    then one place; before, one was "shape_infer" and the other the function it raised in."""
    pytest.importorskip("onnxslim")
    crash = rule_at_fault(_copy("onnxslim-convert-crash-e5b1ac", tmp_path))
    broken = rule_at_fault(_copy("onnxslim-invalid-model-d71ed8", tmp_path))
    assert (crash.system, crash.rules) == (broken.system, broken.rules) == ("onnxslim:shape-handlers", ["Resize"])
    split = rule_at_fault(_copy("onnxslim-invalid-model-465c43", tmp_path))
    assert (split.system, split.rules) == ("onnxslim:shape-handlers", ["Split"]), split


def test_an_op_that_fails_given_the_right_values_is_at_fault_though_an_earlier_cut_fails(tmp_path):
    """Review 18 (bugs/torchscript-load-crash-c1d2f9): addcmul's own wrong type made the earlier
    cut fail, yet the 0-d ArgMin the failure names fails just the same when fed the right
    values: argmin's symbolic is at fault. Review 15's mean(dim=()) before a Reciprocal
    (bugs/torchscript-invalid-model-caf581) passes when fed the right values: mean stays."""
    pytest.importorskip("torch")
    argmin = rule_at_fault(_copy("torchscript-load-crash-c1d2f9", tmp_path))
    assert argmin.rules == ["aten::argmin"], argmin
    mean = rule_at_fault(_copy("torchscript-invalid-model-caf581", tmp_path))
    assert mean.rules == ["aten::mean"], mean


def test_a_torchscript_symbolic_that_only_hands_on_its_arguments_is_the_one_it_calls():
    """Review 18: unsafe_split's symbolic is `return split(g, ...)`; a failure naming Split names
    it, and its function is split's. log1p's log(g, add(...)) computes something first: no."""
    pytest.importorskip("torch")
    from fuzzer.coverage.torch_exporters import delegate_of
    from fuzzer.report.rootcause import _function

    assert delegate_of("aten::unsafe_split", 17) == "split"
    assert _function("torchscript", "aten::unsafe_split", 17) == _function("torchscript", "aten::split", 17)
    assert delegate_of("aten::log1p", 9) == "" and delegate_of("aten::split", 17) == ""
    # a decorator that adds code (ne's negation around eq) is more than a hand-off
    assert delegate_of("aten::ne", 13) == ""
    assert _names_op("While validating ONNX node '<Node(Split): /Split>'", "aten::unsafe_split", 17)
    assert not _names_op("While validating ONNX node '<Node(Split): /Split>'", "aten::unsafe_split")


def test_a_hand_off_is_to_the_function_its_own_module_calls_not_the_one_the_opset_registers():
    """The maintainer review of stop 29: at opset 11 TorchScript runs symbolic_opset9's
    unsafe_split, whose `split` is symbolic_opset9's, while opset 11 registers its own split. The
    function key and the code are symbolic_opset9's split, as at opset 9; from opset 13 both are
    symbolic_opset13's."""
    pytest.importorskip("torch")
    from fuzzer.coverage.torch_exporters import delegate_code
    from fuzzer.report.rootcause import _function, exporter_function

    assert delegate_code("aten::unsafe_split", 11) == delegate_code("aten::unsafe_split", 9) == "symbolic_opset9.split"
    assert _function("torchscript", "aten::unsafe_split", 11) == _function("torchscript", "aten::split", 9)
    assert _function("torchscript", "aten::unsafe_split", 11) != _function("torchscript", "aten::split", 11)
    assert exporter_function("torchscript", "aten::unsafe_split", "torchscript@11") == "symbolic_opset9.split"
    assert exporter_function("torchscript", "aten::unsafe_split", "torchscript@17") == \
        exporter_function("torchscript", "aten::split", "torchscript@17") == "symbolic_opset13.split"
    assert delegate_code("aten::log1p", 9) == ""


def test_an_export_crash_in_a_function_that_only_met_an_earlier_cuts_wrong_shape_is_that_cuts(tmp_path):
    """Review 19 (bugs/torchscript-export-crash-d91b07): var(dim=None, keepdim=True) exports 0-d
    below opset 18, and slice's shape inference then asserts; fed the right var the export
    passes, so var's symbolic is at fault, not slice's where it raised."""
    pytest.importorskip("torch")
    fault = rule_at_fault(_copy("torchscript-export-crash-d91b07", tmp_path))
    assert fault.rules == ["aten::var"], fault


def test_a_runtime_crash_whose_kernel_already_gives_a_wrong_shape_records_it(tmp_path):
    """Review 18 (bugs/onnx-reference-run-crash-2c247c): onnx.reference's GlobalMaxPool on a 3-D
    input drops a dim, and a Squeeze after it refuses the axis; the cut after GlobalMaxPool gives
    the wrong shape, which is what the kernel's key is made of. A crash after wrong values keeps
    nothing (4b5b6d: MaxPool crashing on the NaN a BatchNormalization made)."""
    shape = rule_at_fault(_copy("onnx-reference-run-crash-2c247c", tmp_path))
    assert (shape.rules, shape.shown) == (["GlobalMaxPool(float32)"], "wrong shape"), shape
    assert shape.to_json()["shown"] == "wrong shape" and "it gives a wrong shape there" in shape.note
    values = rule_at_fault(_copy("onnx-reference-run-crash-4b5b6d", tmp_path))
    assert values.rules == ["BatchNormalization(float32)"] and values.shown == "" and "shown" not in values.to_json()


def _keys(name, fault):
    from fuzzer.report.rootcause import rule_keys

    bug = json.loads((BUGS / name / "case.json").read_text())["bug"]
    return {k for k in rule_keys(bug["system"], bug["role"], bug["kind"], fault.to_json(), bug.get("error") or "",
                                 bug.get("path") or "") if k.startswith("kernel-values:")}


def test_a_tract_refusing_an_element_type_is_localized_to_the_node_that_made_it(tmp_path):
    """Review 21 (bugs/tract-load-crash-80af28): tract's MatMul refuses to unify F64 with F32,
    but the F64 comes from tract's ConstantOfShape, whose spec type (no value: float32 zero) the
    schemas give; the cut after it already has another element type than the schemas, and that
    kernel is the one at fault, keyed as the wrong type its dtype_mismatch folder shows (7c0aa0)."""
    pytest.importorskip("tract")
    crash = rule_at_fault(_copy("tract-load-crash-80af28", tmp_path))
    assert (crash.rules, crash.shown) == (["ConstantOfShape(int64)"], "wrong type"), crash
    assert "another element type than the schemas" in crash.note
    alone = rule_at_fault(_copy("tract-dtype-mismatch-7c0aa0", tmp_path))
    assert _keys("tract-load-crash-80af28", crash) == _keys("tract-dtype-mismatch-7c0aa0", alone) != set()


def test_the_reference_refusing_an_element_type_is_localized_to_the_node_that_made_it(tmp_path):
    """onnx.reference's ReduceSumSquare widening int32 to int64 before a Min and before a Mul are
    one kernel's defect (review 16: 458330, 95e786), and so is its AffineGrid making float32 before
    a Div (review 21: 33dd74)."""
    first = rule_at_fault(_copy("onnx-reference-run-crash-458330", tmp_path))
    second = rule_at_fault(_copy("onnx-reference-run-crash-95e786", tmp_path))
    assert first.rules == second.rules == ["ReduceSumSquare(int32)"] and first.shown == second.shown == "wrong type"
    assert _keys("onnx-reference-run-crash-458330", first) == _keys("onnx-reference-run-crash-95e786", second) != set()
    grid = rule_at_fault(_copy("onnx-reference-run-crash-33dd74", tmp_path))
    assert (grid.rules, grid.shown) == (["AffineGrid(float16)"], "wrong type"), grid


def _two_branches(tmp_path, error: str, kind: str = "run_crash"):
    """A model whose one branch holds onnx.reference's ReduceSumSquare(int32), which widens to
    int64 (a wrong type), and whose other branch Neg -> Relu is unrelated to it; filed on
    onnx.reference with the given error."""
    import numpy as np
    import onnx

    d = tmp_path / "two-branches"
    d.mkdir()
    g = helper.make_graph(
        [helper.make_node("ReduceSumSquare", ["x", "ax"], ["a"], keepdims=0),
         helper.make_node("Neg", ["y"], ["b"]), helper.make_node("Relu", ["b"], ["c"], name="relu")], "g",
        [helper.make_tensor_value_info("x", TensorProto.INT32, [2, 3]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("a", TensorProto.INT32, None), helper.make_tensor_value_info("c", TensorProto.FLOAT, None)],
        [helper.make_tensor("ax", TensorProto.INT64, [1], [1])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.save(model, d / "model.onnx")
    np.savez(d / "inputs.npz", x=np.ones((2, 3), np.int32), y=np.ones(2, np.float32))
    bug = {"system": "onnx-reference", "role": "runtime", "kind": kind, "error": error, "path": "onnx-direct@18"}
    (d / "case.json").write_text(json.dumps({"bug": bug}))
    return d


def test_a_wrong_type_elsewhere_is_not_the_fault_of_another_failure(tmp_path):
    """The maintainer review of stop 31: a crash that names no type, and a type refusal by a node
    the wrong-typed one does not feed, are not put on that unrelated node."""
    crash = rule_at_fault(_two_branches(tmp_path, "ValueError: some failure of the kernel"))
    assert crash.shown != "wrong type" and crash.rules != ["ReduceSumSquare(int32)"], crash
    (tmp_path / "r").mkdir()
    refused = rule_at_fault(_two_branches(
        tmp_path / "r", "RuntimeTypeError: Input type mismatch: float32 != float16 (operator 'Relu', shapes (2,))."))
    assert refused.rules == ["Relu(float32)"] and refused.note == "the node the error names", refused


def test_a_cut_whose_model_declares_shapes_it_does_not_produce_already_fails(tmp_path):
    """Review 18 (bugs/torchscript-export-crash-3bc4fb): TorchScript's unbind at opset 10 declares
    its rank-1 outputs rank 2; ONNX Runtime runs the cut rightly (it only warns), and cat's
    symbolic then asserts on the ranks. The declaration makes the cut after unbind fail, and fed
    the right unbind the export passes: unbind is at fault, not cat where it raised."""
    pytest.importorskip("torch")
    fault = rule_at_fault(_copy("torchscript-export-crash-3bc4fb", tmp_path))
    assert fault.rules == ["aten::unbind"], fault
    assert "declares what it does not produce" in fault.note and "only reads what that cut gets wrong" in fault.note


def test_a_cut_the_checker_refuses_for_an_element_type_is_no_passing_cut(tmp_path):
    """Review 20 (bugs/torchscript-export-crash-dfe2b0): sin of uint8 exports as a Sin on uint8,
    which the checker refuses (a type the campaign counts as the format's gap), and hardshrink's
    symbolic then raises on that wrong type. The cut after sin is where it goes wrong: sin is at
    fault, not hardshrink where it raised."""
    pytest.importorskip("torch")
    fault = rule_at_fault(_copy("torchscript-export-crash-dfe2b0", tmp_path))
    assert fault.rules == ["aten::sin"], fault


def test_a_float16_node_ort_runs_in_float32_is_the_fallbacks_fault_when_the_merged_cast_decides(tmp_path):
    """bugs/onnxruntime-value-mismatch-6dddb1: ORT has no float16 Equal, runs it in float32 between
    the casts its mandatory transformers insert, and merges the model's Cast to float16 away with
    them (review 26 met the same defect through Less). bugs/onnxruntime-value-mismatch-56573a also
    loses such a Cast, but its failure (Where's -0.0) stays when that Cast's exact result is fed
    instead: its kernel stays at fault, and the two keep apart."""
    from fuzzer.coverage.fault import RUN_IN_FLOAT32, rule_at_fault
    from fuzzer.report.rootcause import rule_keys

    merged = rule_at_fault(_copy("onnxruntime-value-mismatch-6dddb1", tmp_path))
    assert (merged.system, merged.rules) == ("onnxruntime:transformers@mandatory", list(RUN_IN_FLOAT32))
    assert "(t4)" in merged.note
    kept = rule_at_fault(_copy("onnxruntime-value-mismatch-56573a", tmp_path))
    assert (kept.system, kept.rules) == ("onnxruntime:ops", ["Div(float16)"])
    key = lambda f: set(rule_keys("onnxruntime", "runtime", "value_mismatch", f.to_json()))
    assert key(merged) and not key(merged) & key(kept)


def test_a_half_precision_wrong_result_that_float32_shows_too_is_the_ops_code_for_every_type(tmp_path):
    """bugs/tract-nan-inf-33d290 (tract's Mod at float16) fails with its model made float32 too,
    so it is the Mod of bugs/tract-value-mismatch-8cd222 (at float32), which it repeats; review 26
    met tract's GlobalLpPool so, at float16 where bugs/ had it at float32. tract's float16 Div
    (81d841) computes right at float32: its half-precision code is its own defect's place."""
    from fuzzer.report.rootcause import rule_keys

    def keys(name):
        fault = rule_at_fault(_copy(name, tmp_path))
        bug = json.loads((BUGS / name / "case.json").read_text())["bug"]
        return fault, set(rule_keys(bug["system"], bug["role"], bug["kind"], fault.to_json(), bug["error"], bug["path"]))

    mod16, k16 = keys("tract-nan-inf-33d290")
    assert mod16.every_type and mod16.to_json()["every_type"] is True
    mod32, k32 = keys("tract-value-mismatch-8cd222")
    assert k16 & k32
    div16, _ = keys("tract-nan-inf-81d841")
    assert not div16.every_type and "every_type" not in div16.to_json()


def test_an_openvino_failure_that_goes_with_a_cpu_plugin_subsystem_off_is_placed_there(tmp_path):
    """Review 25 filed OpenVINO's low precision transformations throwing one check twice (through
    Mul, c7e1d9, and through Add, its record 1f9491); review 26 held a 0-d Min its snippets refuse
    to compile (095e37) as near a defect of its shape analysis of Min (dc800d, through its record
    599051), and it was new. Each failure names the subsystem that clears it; the two throws share
    a key, another LPT failure (6849a4, f64 refused by oneDNN) does not, and a subsystem's failure
    is near no shape analysis."""
    from fuzzer.report.likely import near_keys
    from fuzzer.report.rootcause import rule_keys

    def localized(name):
        fault = rule_at_fault(_copy(name, tmp_path))
        bug = json.loads((BUGS / name / "case.json").read_text())["bug"]
        keys = set(rule_keys(bug["system"], bug["role"], bug["kind"], fault.to_json(), bug["error"], bug["path"]))
        return fault, keys, {**bug, "rule_at_fault": fault.to_json()}

    mul, mul_keys, _ = localized("openvino-load-crash-c7e1d9")
    add, add_keys, _ = localized("openvino-load-crash-1f9491")
    f64, f64_keys, _ = localized("openvino-load-crash-6849a4")
    lpt = "the CPU plugin's low precision transformations"
    assert mul.subsystem == add.subsystem == f64.subsystem == lpt and mul.rules != add.rules
    assert any(k.startswith("subsystem:") for k in mul_keys & add_keys) and not (mul_keys & f64_keys)
    snippets, _, min_bug = localized("openvino-load-crash-095e37")
    assert snippets.subsystem == "the CPU plugin's snippets" and not near_keys(min_bug)
    plain, _, plain_bug = localized("openvino-shape-mismatch-599051")
    assert not plain.subsystem and near_keys(plain_bug)


def test_a_cut_onnx_reference_cannot_run_is_judged_against_onnx_runtime(tmp_path):
    """bugs/openvino-value-mismatch-6bea7f: a QuantizeLinear rounding a tie off by its zero point,
    at opset 16, where onnx.reference has no DequantizeLinear; its cuts were compared with nothing
    and it went unlocalized, which kept it from its live folder 0369e6 (review 26)."""
    from fuzzer.report.rootcause import rule_keys

    fault = rule_at_fault(_copy("openvino-value-mismatch-6bea7f", tmp_path))
    assert fault.rules == ["QuantizeLinear(float32)"]
    live = json.loads((BUGS / "openvino-value-mismatch-0369e6" / "case.json").read_text())["bug"]
    keys = lambda f: set(rule_keys("openvino", "runtime", "value_mismatch", f))
    assert keys(fault.to_json()) & keys(live["rule_at_fault"])
