"""onnxslim's rules (fuzzer.coverage.onnxslim): a slim() records the patterns it applied and
the passes that changed the graph, not those that found nothing to do."""
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

pytest.importorskip("onnxslim")


def _model(nodes, inits=()):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def _slim(model):
    import onnxslim

    from fuzzer import coverage
    from fuzzer.coverage import onnxslim as cov

    cov.instrument()
    cov.instrument()  # once per process
    coverage.begin_case()
    onnxslim.slim(model)
    hits, inventories = coverage.take()
    return hits.get(cov.SYSTEM, []), inventories


def test_a_transpose_pair_and_a_constant_subgraph_are_recorded(monkeypatch):
    monkeypatch.setenv("ONNXFUZZ_COVERAGE", "1")
    from fuzzer import coverage as _coverage

    # a fresh recorder: a system's inventory is handed on once per process, and an earlier test
    # in this process may have hit the system already
    monkeypatch.setattr(_coverage, "RECORDER", _coverage.Recorder())
    two = numpy_helper.from_array(np.full([1], 2.0, np.float32), "two")
    model = _model([
        helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2]),
        helper.make_node("Transpose", ["t"], ["u"], perm=[1, 0, 2]),
        helper.make_node("Add", ["two", "two"], ["four"]),  # folds to a constant
        helper.make_node("Mul", ["u", "four"], ["y"]),
    ], [two])
    hits, inventories = _slim(model)
    assert "EliminationTranspose" in hits
    assert "constant_folding" in hits
    assert "FusionConvBN" not in hits  # no Conv: a pattern is hit only when it rewrites
    from fuzzer.coverage.onnxslim import SYSTEM

    assert set(hits) <= set(inventories[SYSTEM]["rules"])
    assert {"FusionConvBN", "dead_node_elimination", "weight_tying"} <= set(inventories[SYSTEM]["rules"])


def test_a_model_with_nothing_to_slim_hits_no_rule(monkeypatch):
    monkeypatch.setenv("ONNXFUZZ_COVERAGE", "1")
    from fuzzer import coverage as _coverage

    # a fresh recorder: a system's inventory is handed on once per process, and an earlier test
    # in this process may have hit the system already
    monkeypatch.setattr(_coverage, "RECORDER", _coverage.Recorder())
    hits, _ = _slim(_model([helper.make_node("Relu", ["x"], ["y"])]))
    assert hits == []
