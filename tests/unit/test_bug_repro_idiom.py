"""A campaign bug's repro and title in the idiom of the system at fault (fuzzer.report.bug_repro)."""
from __future__ import annotations

import numpy as np
import pytest

from fuzzer.ir import DType, Graph, TensorType
from fuzzer.ops import get_spec
from fuzzer.report.bug_repro import title_for
from fuzzer.report.torch_repro import _statements, module_source
from fuzzer.report.vocabulary import explain, path_words


def _node(g: Graph, op: str, inputs: list, attrs: dict | None = None):
    attrs = attrs or {}
    return g.add_node(op, inputs, attrs, get_spec(op).infer([v.type for v in inputs], attrs)).outputs[0]


def _floordiv_graph() -> Graph:
    g = Graph()
    x = g.add_input(TensorType(DType.int8, (3,)))
    c = g.add_const(np.array([2], dtype=np.int8))
    g.outputs = [_node(g, "div", [x, c], {"rounding_mode": "floor"})]
    return g


def test_titles_name_systems_and_ops_in_their_own_words():
    import onnx
    from onnx import helper

    model = helper.make_model(helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "g", [helper.make_tensor_value_info("x", onnx.TensorProto.DOUBLE, [2])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.DOUBLE, [2])]))
    meta = {"system": "onnxruntime-noopt", "role": "runtime", "kind": "value_mismatch", "stage": "judge",
            "path": "onnx-direct@17", "runtime": "onnxruntime-noopt"}
    assert title_for(meta, Graph(), model) == \
        "ONNX Runtime with graph optimizations disabled computes wrong values: Relu on float64 (opset 17)"
    g = _floordiv_graph()
    meta = {"system": "torchscript", "role": "exporter", "kind": "export_crash", "stage": "export", "path": "torchscript@17"}
    title = title_for(meta, g)
    assert title.startswith("torch.onnx.export (TorchScript exporter, dynamo=False) raises: torch.div(")
    assert "[2]" in title and "self." not in title, "a small constant shows as its value"
    assert explain("onnx-reference passes; version-down fails") == \
        "the ONNX reference evaluator (onnx.reference) passes; the ONNX version converter (converting to an older opset) fails"
    assert path_words("onnx-direct@20>onnxsim", "tract") == \
        "written directly in ONNX at opset 20, then converted by onnx-simplifier (onnxsim); run on tract"


def test_the_torch_model_is_plain_torch():
    src = module_source(_floordiv_graph())
    assert "torch.div(" in src and "register_buffer" in src and "trace" not in src and "consts" not in src
    assert _statements(["v1", "v2"], "(lambda u: (u[1], u[2][u[1]]))(torch.unique(x, return_counts=True))") == \
        ["v1_u = torch.unique(x, return_counts=True)", "v1, v2 = v1_u[1], v1_u[2][v1_u[1]]"]


def test_the_tensorflow_function_is_the_calls_the_lowerings_make():
    pytest.importorskip("tensorflow")
    from fuzzer.materialize.tf_model import import_tf, run_tf
    from fuzzer.report.tf_repro import tf_function_source, tf_trigger

    g = _floordiv_graph()
    x = np.array([-7, 5, 3], dtype=np.int8)
    src = tf_function_source(g, {g.inputs[0].name: x})
    assert "tf.math.floordiv(" in src and tf_trigger(src) == "tf.math.floordiv"
    tf = import_tf()
    namespace = {"tf": tf, "np": np}
    exec(src, namespace)
    got = [t.numpy() for t in namespace["compute"](tf.constant(x))]
    np.testing.assert_array_equal(got[0], run_tf(g, {g.inputs[0].name: x})[0])


def test_a_module_of_buffers_alone_can_take_them_as_inputs():
    from fuzzer.report.bug_repro import consts_as_inputs

    g = Graph()
    y = g.add_const(np.array(0.0, dtype=np.float32))
    x = g.add_const(np.array([-1.5], dtype=np.float32))
    g.outputs = [_node(g, "atan2", [y, x])]
    made, feeds = consts_as_inputs(g)
    assert not made.consts and len(made.inputs) == 2
    assert sorted(float(np.asarray(a).ravel()[0]) for a in feeds.values()) == [-1.5, 0.0]
    assert set(feeds) == {made.value_name(v) for v in made.inputs}
    assert "register_buffer" not in module_source(made) and "torch.atan2" in module_source(made)


def test_a_load_crash_repro_feeds_inputs_by_shape_not_by_value():
    from onnx import TensorProto, helper

    from fuzzer.report.onnx_repro import OnnxBug, Run, repro_source

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 6, 6])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    bug = OnnxBug("t", "r", "load_crash", error="Fail: bad model here", runtime="onnxruntime", opset=17)
    source, files = repro_source(bug, model, [Run({"x": np.zeros((4, 6, 6), np.float32)})])
    assert "np.ones((4, 6, 6), dtype=np.float32)" in source and "inputs.npz" not in files


@pytest.mark.parametrize("runtime", ["onnx-reference", "onnxruntime"])
def test_a_bfloat16_repro_reads_its_npz_files_back_as_bfloat16(tmp_path, runtime):
    """np.savez keeps bfloat16 as raw 2-byte records: the repro reads inputs.npz and expected.npz
    back as bfloat16, so it runs and shows the wrong value (a dynamo bfloat16 prod could not be
    filed: campaign seed 33), and a load crash's placeholder inputs are bfloat16 too."""
    import subprocess
    import sys

    import ml_dtypes
    from onnx import TensorProto, helper

    from fuzzer.report.onnx_repro import OnnxBug, Run, repro_source

    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.BFLOAT16, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    x = np.array([1.5, -2.0], dtype=ml_dtypes.bfloat16)
    wrong = OnnxBug("t", "r", "value_mismatch", runtime=runtime, opset=17)
    source, files = repro_source(wrong, model, [Run({"x": x}, [-x])])  # x is not -x: the repro must exit 1
    assert "import ml_dtypes" in source and set(files) == {"inputs.npz", "expected.npz"}
    (tmp_path / "repro.py").write_text(source)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    done = subprocess.run([sys.executable, "repro.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "another step failed" not in done.stdout, done.stdout + done.stderr
    crash = OnnxBug("t", "r", "load_crash", error="Fail: bad model here", runtime=runtime, opset=17)
    source, _ = repro_source(crash, model, [Run({"x": x})])
    assert "np.ones((2,), dtype=ml_dtypes.bfloat16)" in source
