"""Every runtime plugin on a small graph, in-process, and each one's gap classification."""
import numpy as np
import pytest

from fuzzer.case import CaseSpec, run_case
from fuzzer.generate import GenConfig
from fuzzer.plugin import load_plugin, plugin_names
from oracles import Kind

SIMPLE = GenConfig(min_nodes=2, max_nodes=4, ops=("add", "relu", "matmul"), dtypes=frozenset({"float32"}))
#: from the registry (entry points, BUILTINS, ONNXFUZZ_PLUGINS): a new runtime is tested without a line here
RUNTIMES = plugin_names("runtime")


def test_the_registry_lists_the_builtin_runtimes():
    # a registry that lost its entry points would otherwise parametrize the tests below over nothing
    assert {"onnxruntime", "onnxruntime-noopt", "onnx-reference", "openvino", "tract"} <= set(RUNTIMES)


def model(nodes, inputs, outputs, opset=17, initializers=()):
    from onnx import helper

    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()


def tensor(name, elem, shape):
    from onnx import helper

    return helper.make_tensor_value_info(name, elem, shape)


@pytest.mark.parametrize("name", RUNTIMES)
def test_runtime_passes_a_simple_graph(name):
    r = run_case(CaseSpec(case_id=1, seed=5, config=SIMPLE, exporters=["torchscript"], runtimes=[name], opset=17))
    assert [(v.runtime, v.kind) for v in r.verdicts] == [(name, Kind.PASS)], r.verdicts


@pytest.mark.parametrize("name", RUNTIMES)
def test_unknown_op_is_unsupported_and_a_generic_error_is_not(name):
    from onnx import TensorProto, helper

    rt = load_plugin("runtime", name)
    bad = model([helper.make_node("FrobnicateXyz", ["x"], ["y"])], [tensor("x", TensorProto.FLOAT, [2])], [tensor("y", TensorProto.FLOAT, [2])])
    with pytest.raises(Exception) as info:
        rt.run(rt.load(bad), {"x": np.ones(2, np.float32)})
    assert rt.is_unsupported(info.value), str(info.value)
    assert not rt.is_unsupported(RuntimeError("Segmentation fault in node /Add_3"))


@pytest.mark.parametrize("name", RUNTIMES)
def test_outputs_keep_graph_order_and_dtypes(name):
    from onnx import TensorProto, helper

    rt = load_plugin("runtime", name)
    nodes = [
        helper.make_node("Cast", ["x"], ["i"], to=TensorProto.INT64),
        helper.make_node("Relu", ["x"], ["r"]),
        helper.make_node("Greater", ["x", "x"], ["b"]),
    ]
    outputs = [tensor("i", TensorProto.INT64, [2, 3]), tensor("r", TensorProto.FLOAT, [2, 3]), tensor("b", TensorProto.BOOL, [2, 3])]
    session = rt.load(model(nodes, [tensor("x", TensorProto.FLOAT, [2, 3])], outputs))
    x = np.array([[1.5, -2.5, 3.0], [-4.0, 5.25, 0.0]], np.float32)
    i, r, b = rt.run(session, {"x": x})
    assert i.dtype == np.int64 and np.array_equal(i, x.astype(np.int64))
    assert r.dtype == np.float32 and np.array_equal(r, np.maximum(x, 0))
    assert b.dtype == np.bool_ and not b.any()


def test_openvino_computes_float32_in_float32():
    # On CPUs with bf16 support OpenVINO computes a float32 MatMul in bfloat16 by default:
    # 1 + 2**-10 rounds to 1 in bf16, so the sum below would come out as exactly 4.
    from onnx import TensorProto, helper, numpy_helper

    rt = load_plugin("runtime", "openvino")
    w = numpy_helper.from_array(np.ones((4, 1), np.float32), "w")
    m = model([helper.make_node("MatMul", ["x", "w"], ["y"])], [tensor("x", TensorProto.FLOAT, [1, 4])], [tensor("y", TensorProto.FLOAT, [1, 1])], initializers=[w])
    session = rt.load(m)
    assert "float32" in str(session.compiled.get_property("INFERENCE_PRECISION_HINT"))
    x = np.full((1, 4), 1 + 2.0 ** -10, np.float32)
    (y,) = rt.run(session, {"x": x})
    assert y[0, 0] == np.float32(4 + 4 * 2.0 ** -10)


def test_tract_errors_lose_the_rust_backtrace():
    from fuzzer.run.plugins.tract import _clean

    e = _clean(RuntimeError("Unimplemented(Foo)\n\nStack backtrace:\n   0: anyhow::msg\n   1: tract"))
    assert str(e) == "Unimplemented(Foo)"


def test_ort_levels_and_threads():
    levels = {n: (load_plugin("runtime", n).level, load_plugin("runtime", n).threads) for n in RUNTIMES if n.startswith("onnxruntime")}
    assert levels == {
        "onnxruntime": ("ORT_ENABLE_ALL", 1), "onnxruntime-noopt": ("ORT_DISABLE_ALL", 1),
        "onnxruntime-basic": ("ORT_ENABLE_BASIC", 1), "onnxruntime-extended": ("ORT_ENABLE_EXTENDED", 1),
        "onnxruntime-mt": ("ORT_ENABLE_ALL", 2),
    }


@pytest.mark.parametrize("name", RUNTIMES)
def test_every_runtime_has_a_standalone_repro_source(name):
    from onnx import TensorProto, helper

    rt = load_plugin("runtime", name)
    namespace = {}
    exec(rt.repro_source(), namespace)
    nodes = [helper.make_node("Cast", ["x"], ["i"], to=TensorProto.INT64), helper.make_node("Tanh", ["x"], ["t"])]
    m = model(nodes, [tensor("x", TensorProto.FLOAT, [3])], [tensor("i", TensorProto.INT64, [3]), tensor("t", TensorProto.FLOAT, [3])])
    feeds = {"x": np.array([-1.5, 0.25, 2.0], np.float32)}
    for ours, theirs in zip(rt.run(rt.load(m), feeds), namespace["run_model"](m, feeds)):
        np.testing.assert_array_equal(ours, theirs)


def test_ort_batchwise_rnn_is_a_documented_gap():
    # ORT's stated limit for RNN/GRU/LSTM with layout=1: unsupported, not a crash to report
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])  # layout 1: [batch, seq, input]
    w = helper.make_tensor("w", TensorProto.FLOAT, [1, 2, 4], [0.1] * 8)
    r = helper.make_tensor("r", TensorProto.FLOAT, [1, 2, 2], [0.1] * 4)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    node = helper.make_node("RNN", ["x", "w", "r"], ["y"], hidden_size=2, layout=1)
    graph = helper.make_graph([node], "g", [x], [y], initializer=[w, r])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    rt = load_plugin("runtime", "onnxruntime")
    with pytest.raises(Exception) as info:
        rt.load(model.SerializeToString())
    assert rt.is_unsupported(info.value), str(info.value)


def test_ort_resize_rank_limits_are_a_documented_gap():
    # ORT's cubic Resize takes 2-D inputs or 4-D ones resized on the inner two axes; ONNX any rank
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    scales = helper.make_tensor("s", TensorProto.FLOAT, [3], [1.0, 2.0, 2.0])
    node = helper.make_node("Resize", ["x", "", "s"], ["y"], mode="cubic")
    graph = helper.make_graph([node], "g", [x], [y], initializer=[scales])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
    rt = load_plugin("runtime", "onnxruntime")
    with pytest.raises(Exception) as info:
        rt.load(model.SerializeToString())
    assert rt.is_unsupported(info.value), str(info.value)


def test_ort_conv_integer_per_channel_zero_point_is_a_documented_gap():
    # ONNX lets ConvInteger's w_zero_point hold one value per output channel; ORT refuses at run time
    import numpy as np
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.INT32, None)
    w = helper.make_tensor("w", TensorProto.UINT8, [2, 1, 2], [1, 2, 3, 4])
    x_zp = helper.make_tensor("xz", TensorProto.UINT8, [], [0])
    w_zp = helper.make_tensor("wz", TensorProto.UINT8, [2], [1, 2])
    node = helper.make_node("ConvInteger", ["x", "w", "xz", "wz"], ["y"])
    graph = helper.make_graph([node], "g", [x], [y], initializer=[w, x_zp, w_zp])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    rt = load_plugin("runtime", "onnxruntime")
    with pytest.raises(Exception) as info:
        rt.run(rt.load(model.SerializeToString()), {"x": np.arange(4, dtype=np.uint8).reshape(1, 1, 4)})
    assert rt.is_unsupported(info.value), str(info.value)


def test_reference_evaluator_refuses_a_feed_of_another_type_than_declared():
    """onnx.reference computes on whatever it is fed; fed bfloat16 into an input declared
    float16 it "ran correctly" a model whose declared type was the bug, and so blamed the
    runtime that refused the feed (ONNX Runtime). It refuses such a feed now, as a failure."""
    import ml_dtypes
    from onnx import TensorProto, helper

    def relu(elem):
        graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                                  [helper.make_tensor_value_info("x", elem, [2])],
                                  [helper.make_tensor_value_info("y", elem, [2])])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()

    rt = load_plugin("runtime", "onnx-reference")
    x = np.array([1, -1], dtype=ml_dtypes.bfloat16)
    with pytest.raises(TypeError, match="declared TensorProto.FLOAT16 but is fed bfloat16") as caught:
        rt.run(rt.load(relu(TensorProto.FLOAT16)), {"x": x})
    assert not rt.is_unsupported(caught.value)
    (y,) = rt.run(rt.load(relu(TensorProto.BFLOAT16)), {"x": x})
    assert y.dtype == x.dtype and y.astype(np.float32).tolist() == [1.0, 0.0]
    repro: dict = {}  # the standalone run_model of a bug's repro.py refuses it the same way
    exec(rt.repro_source(), repro)
    with pytest.raises(TypeError, match="declared TensorProto.FLOAT16 but is fed bfloat16"):
        repro["run_model"](relu(TensorProto.FLOAT16), {"x": x})
    (y,) = repro["run_model"](relu(TensorProto.BFLOAT16), {"x": x})
    assert y.astype(np.float32).tolist() == [1.0, 0.0]


def test_ort_function_body_fallback_type_error_is_a_gap():
    """ORT has no bfloat16 Clip kernel below opset 16 and inlines Clip-13's function body, whose
    Where-9 takes no bfloat16: a valid model ORT cannot load, a kernel gap and not a bug."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Clip", ["x", "lo"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.BFLOAT16, [2])],
        [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, [2])],
        initializer=[helper.make_tensor("lo", TensorProto.BFLOAT16, [], [0.0])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model, full_check=True)
    rt = load_plugin("runtime", "onnxruntime")
    with pytest.raises(Exception) as caught:
        rt.load(model.SerializeToString())
    assert rt.is_unsupported(caught.value)


@pytest.mark.parametrize("case", ["scatter_float16_mul", "gru_double"])
def test_ort_kernels_that_refuse_their_type_at_run_time_are_gaps(case):
    """ORT registers these kernels for the type, so the model loads, and then refuses the type
    when it runs: still a missing kernel, not a bug."""
    from onnx import TensorProto, helper

    if case == "scatter_float16_mul":
        elem, np_type = TensorProto.FLOAT16, np.float16
        nodes = [helper.make_node("ScatterElements", ["x", "i", "u"], ["y"], axis=0, reduction="mul")]
        inits = [helper.make_tensor("i", TensorProto.INT64, [1], [0]), helper.make_tensor("u", elem, [1], [2.0])]
        shape, out_shape = [2], [2]
    else:
        elem, np_type = TensorProto.DOUBLE, np.float64
        nodes = [helper.make_node("GRU", ["x", "w", "r"], ["y"], hidden_size=1)]
        inits = [helper.make_tensor("w", elem, [1, 3, 1], [0.1] * 3), helper.make_tensor("r", elem, [1, 3, 1], [0.1] * 3)]
        shape, out_shape = [2, 1, 1], [2, 1, 1, 1]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", elem, shape)],
                              [helper.make_tensor_value_info("y", elem, out_shape)], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()
    rt = load_plugin("runtime", "onnxruntime")
    session = rt.load(model)
    with pytest.raises(Exception) as caught:
        rt.run(session, {"x": np.ones(shape, dtype=np_type)})
    assert rt.is_unsupported(caught.value), caught.value


def test_tract_pad_wrap_is_a_gap():
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Pad", ["x", "p"], ["y"], mode="wrap")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [5])],
        initializer=[helper.make_tensor("p", TensorProto.INT64, [2], [1, 1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)]).SerializeToString()
    rt = load_plugin("runtime", "tract")
    with pytest.raises(Exception) as caught:
        rt.run(rt.load(model), {"x": np.ones(3, dtype=np.float32)})
    assert rt.is_unsupported(caught.value), caught.value


def test_tract_elementwise_op_without_a_kernel_for_the_dtype_is_a_gap():
    """tract has IsNaN for float32 only: on float64 it refuses cleanly ("eval in-place not defined"),
    a kernel gap, never a bug to file (a campaign filed it as one)."""
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("IsNaN", ["x"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [3])],
        [helper.make_tensor_value_info("y", TensorProto.BOOL, [3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)]).SerializeToString()
    rt = load_plugin("runtime", "tract")
    with pytest.raises(Exception) as caught:
        rt.run(rt.load(model), {"x": np.array([1.0, np.nan, 2.0])})
    assert rt.is_unsupported(caught.value), caught.value


def test_tract_refuses_a_float64_isnan_read_downstream_as_a_gap_and_runs_float32():
    """Read by a Where, tract's float64 IsNaN (typed F64, not bool) fails as a type clash at load,
    under a new key each time (reviews 12, 14 and 15 filed it three ways): the plugin refuses
    the model knowingly. A float32 IsNaN, and a float64 model without one, run."""
    from onnx import TensorProto, helper

    def model(elem, op="IsNaN"):
        nodes = [helper.make_node(op, ["x"], ["m"]), helper.make_node("Where", ["m", "x", "z"], ["y"])]
        dtype = np.float64 if elem == TensorProto.DOUBLE else np.float32
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", elem, [3])],
                                  [helper.make_tensor_value_info("y", elem, [3])],
                                  initializer=[helper.make_tensor("z", elem, [], [0.0])])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)]).SerializeToString(), dtype

    rt = load_plugin("runtime", "tract")
    data, dtype = model(TensorProto.DOUBLE)
    with pytest.raises(NotImplementedError, match="IsNaN on float64") as caught:
        rt.load(data)
    assert rt.is_unsupported(caught.value)
    data, dtype = model(TensorProto.FLOAT)
    (y,) = rt.run(rt.load(data), {"x": np.array([1.0, np.nan, 2.0], dtype=dtype)})
    np.testing.assert_array_equal(y, np.array([0.0, np.nan, 0.0], dtype=dtype))  # x where it is NaN, else 0


def test_tract_fed_bfloat16_is_a_gap_whatever_the_declared_type():
    """tract has no bfloat16; fed one for an input tf2onnx declared float16, its binding failed
    building its own error message, which a campaign filed (review 15)."""
    import ml_dtypes
    from onnx import TensorProto, helper

    def identity(elem):
        graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                                  [helper.make_tensor_value_info("x", elem, [2])],
                                  [helper.make_tensor_value_info("y", elem, [2])])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()

    rt = load_plugin("runtime", "tract")
    x = np.array([1, 2], dtype=ml_dtypes.bfloat16)
    for elem in (TensorProto.FLOAT16, TensorProto.BFLOAT16):
        with pytest.raises(Exception) as caught:
            rt.run(rt.load(identity(elem)), {"x": x})
        assert rt.is_unsupported(caught.value), caught.value
    (y,) = rt.run(rt.load(identity(TensorProto.FLOAT16)), {"x": np.array([1, 2], dtype=np.float16)})
    assert y.tolist() == [1.0, 2.0]


def test_reference_does_not_ask_for_initializers_an_ir3_model_lists_as_inputs():
    # TorchScript below opset 9 writes IR 3, where every initializer is also a graph input
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from fuzzer.plugin import load_plugin
    from fuzzer.run.base import feeds_for

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    w = helper.make_tensor_value_info("w", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g", [x, w], [y],
                              initializer=[numpy_helper.from_array(np.array([1, 2], np.float32), "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 7)])
    model.ir_version = 3
    onnx.checker.check_model(model)
    runtime = load_plugin("runtime", "onnx-reference")
    session = runtime.load(model.SerializeToString())
    assert runtime.input_names(session) == ["x"]
    feeds = feeds_for(runtime.input_names(session), {"x": np.array([1, 1], np.float32)}, ["x"])
    np.testing.assert_array_equal(runtime.run(session, feeds)[0], [2, 3])


def test_ort_pool_pads_as_large_as_the_kernel_are_a_deliberate_gap():
    # ONNX allows any pad >= 0; ORT refuses pads >= the kernel on purpose (pool_attributes.h)
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 3, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[1, 1], pads=[1, 1, 1, 1], count_include_pad=1)
    model = helper.make_model(helper.make_graph([node], "g", [x], [y]), opset_imports=[helper.make_opsetid("", 19)])
    rt = load_plugin("runtime", "onnxruntime")
    with pytest.raises(Exception) as info:
        rt.load(model.SerializeToString())
    assert rt.is_unsupported(info.value), str(info.value)


def test_review_10s_refusals_are_kernel_gaps():
    """ORT's explicit refusal of bool ScatterElements with min, and tract's BatchNormalization that
    has one output where training mode asks three: support knowingly missing, not defects."""
    from fuzzer.run.plugins.onnxruntime import is_gap

    assert is_gap(RuntimeError("Non-zero status code returned while running ScatterElements node. Status Message: CPU "
                               "execution provider: bool data type is not supported with ScatterElements opset 18 when "
                               "reduction is 'min'."))
    from fuzzer.run.plugins.tract import TractRuntime

    tract = TractRuntime()
    assert tract.is_unsupported(RuntimeError('Failed analyse for node #7 "out0" BatchNorm\n\nCaused by:\n    Wrong number of outputs. Op says 1, node says 3.'))
    assert not tract.is_unsupported(RuntimeError("Wrong number of outputs. Op says 3, node says 1."))  # optional outputs left off
    assert not is_gap(RuntimeError("Non-zero status code returned while running Tile node: 'repeat' input tensor must be 1 dimensional"))


def test_ort_bfloat16_feeds_keep_a_0d_input_0d():
    """Review 23: the bfloat16 path fed a 0-d Gather index as [0] (np.ascontiguousarray makes
    0-d arrays 1-d), and ONNX Runtime's right [1, 1] for it looked like a wrong shape."""
    pytest.importorskip("onnxruntime")
    ml_dtypes = pytest.importorskip("ml_dtypes")
    import onnxruntime as ort
    from onnx import TensorProto, helper

    from fuzzer.run.plugins.onnxruntime import run_session

    g = helper.make_graph(
        [helper.make_node("Gather", ["data", "i"], ["y"], axis=0), helper.make_node("Identity", ["b"], ["c"])], "g",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 1]), helper.make_tensor_value_info("i", TensorProto.INT32, []),
         helper.make_tensor_value_info("b", TensorProto.BFLOAT16, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None), helper.make_tensor_value_info("c", TensorProto.BFLOAT16, None)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    y, c = run_session(session, {"data": np.ones((1, 1), np.float32), "i": np.array(0, np.int32),
                                 "b": np.ones(1, ml_dtypes.bfloat16)})
    assert y.shape == (1,) and c.shape == (1,)
