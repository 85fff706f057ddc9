"""onnxsim's rules (fuzzer.coverage.onnxsim): the passes and the constant folding that change
a model, each run alone through onnxsim's own skip lists."""
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

pytest.importorskip("onnxsim")


def _model(nodes, inits=()):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 4])], list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def test_a_transpose_pair_and_a_constant_subgraph():
    from fuzzer.coverage.onnxsim import FOLDING, inventory, rules_that_change

    two = numpy_helper.from_array(np.full([1], 2.0, np.float32), "two")
    model = _model([
        helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2]),
        helper.make_node("Transpose", ["t"], ["u"], perm=[1, 0, 2]),
        helper.make_node("Add", ["two", "two"], ["four"]),
        helper.make_node("Mul", ["u", "four"], ["y"]),
    ], [two])
    hits = rules_that_change(model)
    assert "fuse_consecutive_transposes" in hits and FOLDING in hits
    assert "fuse_bn_into_conv" not in hits
    rules = inventory()["rules"]
    assert set(hits) <= set(rules) and "fuse_bn_into_conv" in rules


def test_nothing_to_simplify_hits_nothing():
    from fuzzer.coverage.onnxsim import rules_that_change

    assert rules_that_change(_model([helper.make_node("Relu", ["x"], ["y"])])) == []


def test_the_plugin_records_sampled_models(monkeypatch):
    monkeypatch.setenv("ONNXFUZZ_COVERAGE", "1")
    from fuzzer import coverage
    from fuzzer.coverage import onnxsim as cov
    from fuzzer.plugin import load_plugin

    monkeypatch.setattr(cov, "_SAMPLER", cov._Sampler())  # this op type is new to the process
    # and the time share is this test's alone (earlier tests of the session may have spent it)
    monkeypatch.setattr(cov, "_BUDGET", coverage.Budget(cov._BUDGET.share))
    model = _model([helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2]),
                    helper.make_node("Transpose", ["t"], ["y"], perm=[1, 0, 2])])
    coverage.begin_case()
    load_plugin("converter", "onnxsim").transform(model.SerializeToString(), 17)
    hits, _ = coverage.take()
    assert "fuse_consecutive_transposes" in hits[cov.SYSTEM]
