"""A tf2onnx repro's function without the casts the TF lowerings add around narrow dtypes."""
import numpy as np
import pytest

from fuzzer.ir import DType, Graph, TensorType
from fuzzer.ops import get_spec

pytest.importorskip("tensorflow")


def _graph(op: str, dtype: DType) -> Graph:
    g = Graph()
    x, y = g.add_input(TensorType(dtype, ())), g.add_input(TensorType(dtype, ()))
    g.outputs = [g.add_node(op, [x, y], {}, get_spec(op).infer([x.type, y.type], {})).outputs[0]]
    return g


def test_an_int8_floormod_loses_its_int64_round_trip():
    from fuzzer.report.tf_repro import narrow_tf_source, tf_function_source

    g = _graph("remainder", DType.int8)
    feeds = {g.inputs[0].name: np.array(-8, np.int8), g.inputs[1].name: np.array(3, np.int8)}
    assert "tf.cast" in tf_function_source(g, feeds)
    narrow = narrow_tf_source(g, feeds)
    assert narrow is not None and "tf.cast" not in narrow and "tf.math.floormod" in narrow


def test_a_function_without_widening_casts_has_no_narrow_form():
    from fuzzer.report.tf_repro import narrow_tf_source

    g = _graph("remainder", DType.float32)
    feeds = {g.inputs[0].name: np.array(-8, np.float32), g.inputs[1].name: np.array(3, np.float32)}
    assert narrow_tf_source(g, feeds) is None
