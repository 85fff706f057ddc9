"""fuzzer.run.alone: one model on one runtime in a process of its own."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper

from fuzzer.run.alone import run_alone


def _relu() -> bytes:
    node = helper.make_node("Relu", ["x"], ["y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()


def test_the_outputs_come_back_when_asked_for():
    pytest.importorskip("onnx.reference")
    x = np.array([-1.0, 0.5, 2.0], np.float32)
    ran = run_alone("onnx-reference", _relu(), {"x": x}, outputs=True)
    assert ran.raised == "" and not ran.died
    np.testing.assert_array_equal(ran.outputs[0], np.maximum(x, 0))
    assert run_alone("onnx-reference", _relu(), {"x": x}).outputs is None


def test_a_refusal_is_said_and_no_outputs_come_back():
    ran = run_alone("onnx-reference", b"not a model", {"x": np.zeros(3, np.float32)}, outputs=True)
    assert ran.raised and ran.outputs is None
