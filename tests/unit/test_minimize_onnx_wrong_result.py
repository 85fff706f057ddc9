"""regenerate --reduce-model on a runtime's wrong result: the model an exporter made loses the ops
around the one at fault, with a witness runtime's output standing for the exact result."""
from __future__ import annotations

import json

import numpy as np
import pytest

from fuzzer.ir import DType, Graph, TensorType
from fuzzer.ops import get_spec


def _folder(tmp_path):
    """A bug folder of the bc0804 shape: the reference evaluator's MaxPool indices are wrong past
    the first batch item; the model adds a Cast after them, which plays no part."""
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper

    g = Graph()
    x = g.add_input(TensorType(DType.float32, (2, 1, 3, 2)))
    g.outputs = [g.add_node("relu", [x], {}, get_spec("relu").infer([x.type], {})).outputs[0]]
    nodes = [helper.make_node("MaxPool", ["x0"], ["y", "i"], kernel_shape=[1, 1]),
             helper.make_node("Cast", ["i"], ["out0"], to=TensorProto.FLOAT)]
    model = helper.make_model(helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x0", TensorProto.FLOAT, [2, 1, 3, 2])],
                                                [helper.make_tensor_value_info("out0", TensorProto.FLOAT, [2, 1, 3, 2])]),
                              opset_imports=[helper.make_opsetid("", 17)])
    path = "onnx-direct@17"
    meta = {"id": "t", "title": "", "system": "onnx-reference", "role": "runtime", "blame_reason": "r", "kind": "value_mismatch",
            "stage": "judge", "path": path, "runtime": "onnx-reference", "hits": 1, "versions": {"onnx": onnx.__version__},
            "error": "x", "stats": {}, "minimized": {"ops": 1, "original_ops": 1}, "model_path": path, "filed": "now",
            "witnesses": [[path, "onnx-reference", "value_mismatch"], [path, "onnxruntime", "pass"]]}
    d = tmp_path / "bug"
    d.mkdir()
    (d / "case.json").write_text(json.dumps({"bug": meta, "graph": g.to_json()}))
    rng = np.random.default_rng(0)
    np.savez(d / "inputs.npz", x0=rng.standard_normal((2, 1, 3, 2)).astype(np.float32))
    (d / "model.onnx").write_bytes(model.SerializeToString())
    return d


def test_a_wrong_result_model_is_reduced_against_a_witness(tmp_path):
    import onnx

    from fuzzer.report.regenerate import reduce_model_of

    d = _folder(tmp_path)
    case = json.loads((d / "case.json").read_text())
    said = reduce_model_of(d, case, max_seconds=120)
    assert said.startswith("model reduced: 2 -> 1 nodes"), said
    meta = case["bug"]
    assert meta["expected_by"] == "onnxruntime"
    assert [n.op_type for n in onnx.load(str(d / "model.onnx")).graph.node] == ["MaxPool"]
    assert meta["stats"]["mismatched"] > 0 and "elements off" in meta["error"]


def test_outputs_that_differ_only_below_the_absolute_floor_show_no_failure():
    """Review 16: reduced against ONNX Runtime's output, a float16 model kept only tract's -0
    against ORT's -1.2e-38 (ORT skips the float16 rounding around a MaxPool): no difference the
    reduction may keep, however the repro's comparison, with no absolute floor, reads it."""
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("tract")
    from onnx import TensorProto, helper

    from fuzzer.plugin import load_plugin
    from fuzzer.report.regenerate import NO_DIFFERENCE, _wrong_result_words

    nodes = [helper.make_node("Cast", ["x"], ["h"], to=TensorProto.FLOAT16),
             helper.make_node("MaxPool", ["h"], ["p"], kernel_shape=[1]),
             helper.make_node("Cast", ["p"], ["y"], to=TensorProto.FLOAT)]
    model = helper.make_model(helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2])],
                                                [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 2])]),
                              opset_imports=[helper.make_opsetid("", 12)], ir_version=7)
    tiny = {"x": np.array([[[-1.1754942e-38, 0.5]]], dtype=np.float32)}
    outs = [load_plugin("runtime", r) for r in ("tract", "onnxruntime")]
    got = [p.run(p.load(model.SerializeToString()), tiny)[0] for p in outs]
    assert got[0][0, 0, 0] != got[1][0, 0, 0]  # -0 and -1.2e-38: the two runtimes do differ
    assert _wrong_result_words(model, "tract", "onnxruntime", tiny)[0] == NO_DIFFERENCE
