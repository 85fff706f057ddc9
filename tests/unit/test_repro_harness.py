"""The ONNX-level repro (fuzzer.report.onnx_repro): the maintainer's idiom, and plumbing that
never reports a reproduction it did not see."""
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from fuzzer.report.onnx_repro import OnnxBug, Run, plain_model, repro_source


def _neg_model():
    """y = Neg(x), with an initializer nothing reads and an exporter-style value name."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])
    nodes = [helper.make_node("Identity", ["x"], ["/Identity_output_0"], name="/Identity"),
             helper.make_node("Neg", ["/Identity_output_0"], ["y"], name="/Neg")]
    dead = helper.make_tensor("unused_weight", TensorProto.FLOAT, [2], [1.0, 2.0])
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y], [dead]), opset_imports=[helper.make_opsetid("", 17)])
    model.producer_name = "some exporter"
    return model


def _run(tmp_path, source: str, files: dict) -> subprocess.CompletedProcess:
    (tmp_path / "repro.py").write_text(source)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return subprocess.run([sys.executable, "repro.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)


def _bug(**kw) -> OnnxBug:
    return OnnxBug(**{"title": "Neg is wrong", "reason": "onnxruntime-noopt computes it right", "kind": "value_mismatch",
                      "runtime": "onnx-reference", "versions": {"onnx": onnx.__version__}, **kw})


def test_plain_model_drops_what_a_maintainer_need_not_read():
    m = plain_model(_neg_model())
    assert [t.name for t in m.graph.initializer] == [], "a dead initializer stays out of the model file"
    assert [n.output[0] for n in m.graph.node] == ["t1", "y"] and not any(n.name for n in m.graph.node)
    assert m.producer_name == "" and [v.name for v in m.graph.input] == ["x"]


def test_a_wrong_result_exits_1_printing_expected_and_actual_and_a_right_one_exits_0(tmp_path):
    x = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    wrong = _bug()
    source, files = repro_source(wrong, plain_model(_neg_model()), [Run({"x": x}, [x.copy()])])  # expects x, Neg gives -x
    assert "import torch" not in source and "onnx.parser.parse_model" in source and files == {}
    assert "ONNX Runtime with graph optimizations disabled computes it right" in source, "plugin names are explained"
    p = _run(tmp_path, source, files)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "ACTUAL" in p.stdout and "DESIRED" in p.stdout
    source, files = repro_source(_bug(), plain_model(_neg_model()), [Run({"x": x}, [-x])])
    p = _run(tmp_path, source, files)
    assert p.returncode == 0 and "fixed" in p.stdout, p.stdout + p.stderr


def test_a_failure_of_another_step_exits_2_not_1(tmp_path):
    x = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    source, files = repro_source(_bug(), plain_model(_neg_model()), [Run({"x": x}, [x.copy()])])
    source = source.replace("def run_model(model_bytes, feeds):", "def run_model(model_bytes, feeds):\n    raise OSError('plumbing')")
    p = _run(tmp_path, source, files)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "another step failed" in p.stdout


@pytest.mark.parametrize("error, code", [("ValueError: the error the campaign saw here", 1),
                                         ("ValueError: some quite different complaint", 2)])
def test_a_crash_reproduces_only_with_the_error_first_seen(tmp_path, error, code):
    x = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    source, files = repro_source(_bug(kind="run_crash", error=error), plain_model(_neg_model()), [Run({"x": x})])
    source = source.replace("def run_model(model_bytes, feeds):",
                            "def run_model(model_bytes, feeds):\n    raise ValueError('the error the campaign saw here')")
    assert _run(tmp_path, source, files).returncode == code


def test_large_inputs_and_expected_values_travel_in_npz_files(tmp_path):
    x = np.linspace(-1, 1, 100, dtype=np.float32)
    model = helper.make_model(helper.make_graph([helper.make_node("Neg", ["x"], ["y"])], "g",
                                                [helper.make_tensor_value_info("x", TensorProto.FLOAT, [100])],
                                                [helper.make_tensor_value_info("y", TensorProto.FLOAT, [100])]),
                              opset_imports=[helper.make_opsetid("", 17)])
    source, files = repro_source(_bug(), plain_model(model), [Run({"x": x}, [x.copy()])])
    assert set(files) == {"inputs.npz", "expected.npz"}
    assert _run(tmp_path, source, files).returncode == 1


def test_a_nan_among_the_expected_values_is_not_a_mismatch_of_the_others(tmp_path):
    """Review 10: an expected NaN (0/0 at its exact value too) made the absolute tolerance NaN, so
    every other element failed and a model no runtime got wrong exited 1."""
    x = np.array([np.nan, -2.0, 0.5], dtype=np.float32)
    y = -x
    y[1] += 1e-4  # within the tolerance
    source, files = repro_source(_bug(), plain_model(_neg_model()), [Run({"x": x}, [y])])
    p = _run(tmp_path, source, files)
    assert p.returncode == 0 and "fixed" in p.stdout, p.stdout + p.stderr
