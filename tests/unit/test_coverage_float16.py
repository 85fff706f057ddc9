"""The float16 converter's rules (fuzzer.coverage.float16): op types converted to float16 and
op types kept float32, read off the converted model."""
import pytest
from onnx import TensorProto, helper

pytest.importorskip("onnxconverter_common")


def test_converted_and_kept_op_types(monkeypatch):
    monkeypatch.setenv("ONNXFUZZ_COVERAGE", "1")
    from fuzzer import coverage as _coverage

    # a fresh recorder: a system's inventory is handed on once per process, and an earlier test
    # in this process may have hit the system already
    monkeypatch.setattr(_coverage, "RECORDER", _coverage.Recorder())
    from fuzzer import coverage
    from fuzzer.coverage.float16 import SYSTEM
    from fuzzer.plugin import load_plugin

    graph = helper.make_graph([
        helper.make_node("Relu", ["x"], ["r"]),
        helper.make_node("CumSum", ["r", "axis"], ["y"]),  # on the converter's block list
    ], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor("axis", TensorProto.INT64, [], [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    coverage.begin_case()
    load_plugin("converter", "float16").transform(model.SerializeToString(), 17)
    hits, inventories = coverage.take()
    assert hits[SYSTEM] == ["Relu", "kept:CumSum"]
    rules = set(inventories[SYSTEM]["rules"])
    assert {"Relu", "CumSum", "kept:CumSum", "kept:Resize"} <= rules and "kept:ZipMap" not in rules
