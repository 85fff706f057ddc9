"""Naming the rule at fault: ORT transformers by bisecting disabled_optimizers, onnxoptimizer passes singly."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from fuzzer.coverage.localize import (
    differs,
    onnxoptimizer_pass_at_fault,
    ort_attempt,
    ort_transformer_at_fault,
    raises,
)


def fusable() -> bytes:
    """Identity -> MatMul(W) -> Add(B + 0): at the extended level ORT folds B + 0 (ConstantFolding),
    drops the Identity (a rule-based transformer) and fuses MatMul + Add into Gemm (MatMulAddFusion)."""
    w = helper.make_tensor("w", TensorProto.FLOAT, [3, 4], np.arange(12, dtype=np.float32) / 7)
    b = helper.make_tensor("b", TensorProto.FLOAT, [4], [1, 2, 3, 4])
    z = helper.make_tensor("z", TensorProto.FLOAT, [4], [0, 0, 0, 0])
    nodes = [
        helper.make_node("Identity", ["x"], ["i"]),
        helper.make_node("Add", ["b", "z"], ["bias"]),
        helper.make_node("MatMul", ["i", "w"], ["m"]),
        helper.make_node("Add", ["m", "bias"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])], [w, b, z])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m.SerializeToString()


def optimized_ops(attempt) -> set[str]:
    return {n.op_type for n in onnx.load_model_from_string(attempt.optimized).graph.node} if attempt.optimized else set()


class GemmMiscomputes:
    """A fake runtime fault: wrong outputs whenever ORT ran the model through a Gemm (the fused node)."""

    def __call__(self, attempt) -> bool:
        return "Gemm" in optimized_ops(attempt)


def test_several_transformers_modify_the_model():
    attempt = ort_attempt(fusable(), "ORT_ENABLE_EXTENDED", [])
    assert attempt.error is None
    assert {"ConstantFolding", "MatMulAddFusion"} <= set(attempt.modified) and len(attempt.modified) >= 3


def test_bisection_names_the_transformer_behind_an_injected_fault():
    loc = ort_transformer_at_fault(fusable(), GemmMiscomputes(), "ORT_ENABLE_EXTENDED")
    assert loc.rules == ["MatMulAddFusion"], loc
    assert "bisection" in loc.note
    assert loc.system == "onnxruntime:transformers@extended"
    assert "MatMulAddFusion" in loc.candidates and len(loc.candidates) >= 3


def test_of_transformers_each_of_which_clears_it_alone_the_last_to_rewrite_is_named():
    """bugs/onnxruntime-basic-load-crash-2c0e46: CommonSubexpressionElimination merges two Casts
    and LayerNormFusion then absorbs one into the fused node; disabling either clears it."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "bugs" / "onnxruntime-basic-load-crash-2c0e46"
    if not folder.is_dir():
        pytest.skip("the folder is gone")
    import json

    from fuzzer.coverage.localize import error_pattern

    error = json.loads((folder / "case.json").read_text())["bug"]["error"].strip().splitlines()[0]
    loc = ort_transformer_at_fault((folder / "model.onnx").read_bytes(), raises(error_pattern(error)), "ORT_ENABLE_BASIC")
    assert loc.rules == ["LayerNormFusionL1"] and "CommonSubexpressionElimination" in loc.note, loc


def test_a_fault_every_session_shows_is_no_transformers():
    loc = ort_transformer_at_fault(fusable(), lambda attempt: True, "ORT_ENABLE_EXTENDED")
    assert loc.rules == [] and "not a transformer's fault" in loc.note


def test_a_check_that_passes_names_nothing():
    loc = ort_transformer_at_fault(fusable(), GemmMiscomputes(), "ORT_DISABLE_ALL")  # nothing fuses
    assert loc.rules == [] and loc.attempts == 1


def test_differs_compares_outputs_with_expected_ones():
    x = np.ones((2, 3), np.float32)
    right = ort_attempt(fusable(), "ORT_DISABLE_ALL", [])
    expected = right.session.run(None, {"x": x})
    assert not differs({"x": x}, expected)(ort_attempt(fusable(), "ORT_ENABLE_ALL", []))
    assert differs({"x": x}, [e + 1 for e in expected])(right)


def test_a_real_load_crash_is_localized_to_the_rule_based_transformer():
    """Relu -> Clip on double: FuseReluClip (a rewrite rule of level 1) has no double case
    (microsoft/onnxruntime#11836, filed in bugs/ as onnxruntime-load-crash-951596)."""
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Constant", [], ["lo"], value=helper.make_tensor("v", TensorProto.DOUBLE, [], [-1.0])),
             helper.make_node("Clip", ["r", "lo"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [])],
                              [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [])])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    m.ir_version = 8
    crash = raises("Unexpected data type for Clip")
    if not crash(ort_attempt(m.SerializeToString(), "ORT_ENABLE_ALL", [])):
        pytest.skip("this ONNX Runtime no longer crashes on Relu -> Clip in double")
    loc = ort_transformer_at_fault(m.SerializeToString(), crash, "ORT_ENABLE_ALL")
    assert loc.rules == ["Level1_RuleBasedTransformer"], loc


def transposes() -> bytes:
    nodes = [helper.make_node("Identity", ["x"], ["i"]), helper.make_node("Transpose", ["i"], ["t"], perm=[0, 1]),
             helper.make_node("Relu", ["t"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def ops_of(out) -> set[str]:
    return {n.op_type for n in onnx.load_model_from_string(out).graph.node}


PASSES = ["eliminate_identity", "fuse_bn_into_conv", "eliminate_nop_transpose", "eliminate_deadend"]


def test_a_pass_that_fails_alone_is_named():
    # a fake fault: the optimized model is wrong once its Transpose is gone
    loc = onnxoptimizer_pass_at_fault(transposes(), PASSES, lambda out: "Transpose" not in ops_of(out))
    assert loc.rules == ["eliminate_nop_transpose"] and loc.system == "onnxoptimizer:passes"


def test_passes_that_fail_only_together_are_all_named_and_no_other():
    # wrong only once both the Identity and the Transpose are gone: no pass alone does it, and
    # fuse_bn_into_conv, in the shortest failing prefix, is not needed
    loc = onnxoptimizer_pass_at_fault(transposes(), PASSES, lambda out: not {"Identity", "Transpose"} & ops_of(out))
    assert loc.rules == ["eliminate_identity", "eliminate_nop_transpose"] and "together" in loc.note


def test_a_pass_that_raises_is_named_by_a_crash_check():
    loc = onnxoptimizer_pass_at_fault(transposes(), ["eliminate_identity", "no_such_pass"], raises("no_such_pass|not found|Unrecognized"))
    assert loc.rules == ["no_such_pass"], loc


def test_error_pattern_ignores_node_names_and_numbers():
    from fuzzer.coverage.localize import error_pattern
    import re

    filed = "Fail: [ONNXRuntimeError] : 1 : FAIL : Node (_reshape7_q) Op (QuantizeLinear) output_dtype INT8 does not match"
    again = "Fail: [ONNXRuntimeError] : 1 : FAIL : Node (t5_q) Op (QuantizeLinear) output_dtype INT8 does not match"
    assert re.search(error_pattern(filed), again)
    assert not re.search(error_pattern(filed), again.replace("does not match", "matches"))
    # tract puts node names in double quotes
    assert re.search(error_pattern('TractError: Failed analyse for node #6 "_n9" Squeeze13'),
                     'TractError: Failed analyse for node #6 "t7" Squeeze13')


def test_a_pass_whose_output_crashes_only_on_the_filed_runtime_is_named():
    """bugs/onnxoptimizer-run-crash-cf3845: eliminate_consecutive_idempotent_ops makes a Reshape
    whose shape cannot hold its data; the reference evaluator, the runtime it was filed on, refuses
    it. The check runs the filed runtime, not ONNX Runtime with optimizations off."""
    from pathlib import Path

    from fuzzer.coverage.localize import localize_bug

    folder = Path(__file__).resolve().parents[2] / "bugs" / "onnxoptimizer-run-crash-cf3845"
    if not folder.is_dir():
        pytest.skip("the folder is gone")
    loc = localize_bug(folder)
    assert loc.rules == ["eliminate_consecutive_idempotent_ops"], loc


def relu_clip_double() -> bytes:
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Constant", [], ["lo"], value=helper.make_tensor("v", TensorProto.DOUBLE, [], [-1.0])),
             helper.make_node("Clip", ["r", "lo"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [])],
                              [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [])])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    m.ir_version = 8
    return m.SerializeToString()


def test_a_bug_folder_of_onnx_runtime_is_localized_and_one_of_an_exporter_is_not(tmp_path):
    import json

    from fuzzer.coverage.localize import localize_bug

    crash = ort_attempt(relu_clip_double(), "ORT_ENABLE_ALL", []).error
    if crash is None:
        pytest.skip("this ONNX Runtime no longer crashes on Relu -> Clip in double")
    ort_bug = tmp_path / "ort"
    ort_bug.mkdir()
    (ort_bug / "model.onnx").write_bytes(relu_clip_double())
    error = f"{type(crash).__name__}: {crash}"  # as a campaign files it
    (ort_bug / "case.json").write_text(json.dumps({"bug": {"system": "onnxruntime", "role": "runtime", "kind": "load_crash",
                                                           "error": error}}))
    found = localize_bug(ort_bug)
    assert found is not None and found.rules == ["Level1_RuleBasedTransformer"]
    exporter_bug = tmp_path / "exporter"
    exporter_bug.mkdir()
    (exporter_bug / "case.json").write_text(json.dumps({"bug": {"system": "torchscript", "role": "exporter",
                                                                "kind": "export_crash", "error": "x"}}))
    assert localize_bug(exporter_bug) is None


def test_an_invalid_output_is_localized_by_the_checker_not_by_values():
    """bugs/onnxoptimizer-invalid-model-c9fece: eliminate_consecutive_idempotent_ops then
    eliminate_nop_reshape rewrite the graph input's declared shape to rank 0; the model still
    runs, so only the checker shows it."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "bugs" / "onnxoptimizer-invalid-model-c9fece"
    if not folder.is_dir():
        pytest.skip("the folder is gone")
    from fuzzer.coverage.localize import localize_bug

    loc = localize_bug(folder)
    assert loc.rules == ["eliminate_consecutive_idempotent_ops", "eliminate_nop_reshape"], loc


def test_the_passes_named_together_are_each_needed_even_the_last_of_the_prefix(monkeypatch):
    # a stand-in optimizer whose "model" is the pass list it ran: it fails with A, B, D together
    # (the shortest failing prefix) and with B, D alone, so neither A nor C is needed
    import onnxoptimizer

    class Ran:
        def __init__(self, names):
            self.names = names

        def SerializeToString(self):
            return ",".join(self.names).encode()

    monkeypatch.setattr(onnxoptimizer, "optimize", lambda proto, names, fixed_point=False: Ran(names))
    failing = {"A,B,C,D", "A,B,D", "B,D", "A,B,C,D,E"}
    loc = onnxoptimizer_pass_at_fault(transposes(), list("ABCDE"), lambda out: out.decode() in failing)
    assert loc.rules == ["B", "D"] and "together" in loc.note, loc
