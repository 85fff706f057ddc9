"""The TensorFlow frontend computes the same function as the torch truth, and the tf2onnx
exporter plugin turns it into a valid ONNX model with the campaign's input/output names.

For every op whose spec has a `tf` hook, graphs drawn for the "tf" frontend (the op plus cast/add,
in the default dtype mix and in every dtype) are run in TF and judged by the campaign's
own judge against the torch float64 truth: shapes and dtypes exact, values within the
per-element tolerance.
"""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from fuzzer.choices import NumpyChoices  # noqa: E402
from fuzzer.generate import GenConfig, generate  # noqa: E402
from fuzzer.ir import FLOATS, INTS, DType  # noqa: E402
from fuzzer.materialize.tf_model import run_tf  # noqa: E402
from fuzzer.ops import all_specs, get_spec  # noqa: E402
from fuzzer.run.eager import reference  # noqa: E402
from oracles import judge_outputs  # noqa: E402
from oracles.verdict import Kind  # noqa: E402

ALL_DTYPES = frozenset(FLOATS | INTS | {DType.bool})
SEEDS = range(3)
TF_OPS = sorted(s.name for s in all_specs() if s.has_tf)


@pytest.fixture(scope="module")
def tf():
    # one import for the module: TensorFlow takes seconds to load
    from fuzzer.materialize.tf_model import import_tf

    return import_tf()


def _config(name: str, dtypes) -> GenConfig:
    ops = (name,) + tuple(h for h in ("cast", "add") if h != name)
    return GenConfig(ops=ops, max_nodes=4, dtypes=dtypes, frontend="tf")


def test_the_op_layer_lowers_to_tf_without_importing_tensorflow():
    import subprocess
    import sys

    code = ("import sys; from fuzzer.ops import all_specs; "
            "n = sum(s.serves('tf') for s in all_specs()); "
            "assert 'tensorflow' not in sys.modules; print(n)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) == len(TF_OPS) >= 60


def test_the_tf_frontend_serves_exactly_the_specs_with_a_tf_hook():
    served = {s.name for s in all_specs() if s.serves("tf")}
    assert served == set(TF_OPS)
    assert not get_spec("tile").serves("tf") and get_spec("repeat").serves("tf")  # an opt-out is honoured


@pytest.mark.parametrize("name", TF_OPS)
def test_tf_lowering_matches_torch_truth(tf, name):
    seen = judged = 0
    for dtypes in (GenConfig().dtypes, ALL_DTYPES):
        for seed in SEEDS:
            g = generate(NumpyChoices(seed), _config(name, dtypes))
            if name not in g.op_types():
                continue
            seen += 1
            got = reference(g, NumpyChoices(seed + 3000), special=False)  # TF flushes subnormals: ordinary values
            if got is None:  # no finite draw: the campaign discards such a case too
                continue
            ref, inputs = got
            try:
                outs = run_tf(g, inputs)
            except Exception as e:
                raise AssertionError(f"op {name}, seed {seed}:\n{g.summary()}") from e
            verdict = judge_outputs(ref, outs, "tf", "tensorflow")
            if verdict.kind == Kind.UNSTABLE:
                continue
            assert verdict.kind == Kind.PASS, f"op {name}, seed {seed}: {verdict.kind}: {verdict.error}\n{g.summary()}"
            judged += 1
    assert seen > 0, f"op {name} never appeared in a generated tf graph"
    assert judged > 0, f"op {name}: no generated graph had a stable truth to judge against"


# -- the tf2onnx exporter plugin ---------------------------------------------------------
def _export(g, opset, inputs):
    from fuzzer.convert.base import ExportRequest
    from fuzzer.convert.plugins.tf2onnx import Tf2OnnxExporter

    names = [v.name for v in g.inputs]
    outs = [f"out{i}" for i in range(len(g.outputs))]
    return Tf2OnnxExporter().export(ExportRequest(g, inputs, names, outs, opset))


def _conv_graph():
    """conv2d (NCHW, grouped, padded) -> relu, with the input also returned as an output."""
    from fuzzer.ir import Graph, TensorType

    g = Graph()
    x = g.add_input(TensorType(DType.float32, (1, 4, 5, 5)))
    w = g.add_const(np.random.default_rng(0).standard_normal((6, 2, 3, 3)).astype(np.float32), DType.float32)
    y = g.add_node("conv2d", [x, w], {"padding": 1, "groups": 2}, [TensorType(DType.float32, (1, 6, 5, 5))]).outputs[0]
    z = g.add_node("relu", [y], {}, [TensorType(DType.float32, (1, 6, 5, 5))]).outputs[0]
    g.outputs = [z, x]
    return g


@pytest.mark.parametrize("opset", [13, 18])
def test_tf2onnx_exports_valid_model_with_campaign_names(tf, opset):
    import onnx
    import onnxruntime as ort

    g = _conv_graph()
    got = reference(g, NumpyChoices(1))
    assert got is not None
    ref, inputs = got
    model = onnx.load_from_string(_export(g, opset, inputs))
    onnx.checker.check_model(model, full_check=True)
    assert [i.name for i in model.graph.input] == [v.name for v in g.inputs]
    assert [o.name for o in model.graph.output] == ["out0", "out1"]
    assert model.opset_import[0].version == opset
    # what tf2onnx must see through: TF's NHWC conv between transposes becomes an ONNX Conv
    assert "Conv" in {n.op_type for n in model.graph.node}
    outs = ort.InferenceSession(model.SerializeToString()).run(None, inputs)
    assert judge_outputs(ref, outs, f"tf2onnx@{opset}", "onnxruntime").kind == Kind.PASS


def test_tf2onnx_reports_unconverted_tf_ops_as_unsupported():
    import onnx
    from onnx import TensorProto, helper

    from fuzzer.convert.plugins.tf2onnx import Tf2OnnxExporter, Tf2OnnxUnsupported, refuse_foreign, rename_io

    node = helper.make_node("Bucketize", ["x:0"], ["y:0"])  # a TF op left as is, in TF's name
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x:0", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y:0", TensorProto.FLOAT, [2])])
    with pytest.raises(Tf2OnnxUnsupported, match="Bucketize") as info:
        refuse_foreign(helper.make_model(graph))
    assert Tf2OnnxExporter().is_unsupported(info.value)
    assert not Tf2OnnxExporter().is_unsupported(ValueError("shape mismatch in Conv"))
    # a well-formed model gets the campaign names, outputs through Identity
    ok = helper.make_graph([helper.make_node("Relu", ["x:0"], ["y:0"])], "g",
                           [helper.make_tensor_value_info("x:0", TensorProto.FLOAT, [2])],
                           [helper.make_tensor_value_info("y:0", TensorProto.FLOAT, [2])])
    m = rename_io(helper.make_model(ok), ["x0"], ["out0"])
    onnx.checker.check_model(m, full_check=True)
    assert [n.op_type for n in m.graph.node] == ["Relu", "Identity"]
    assert m.graph.node[0].input[0] == "x0" and m.graph.output[0].name == "out0"


def test_tf2onnx_plugin_declares_frontend_and_versions():
    from fuzzer.convert.plugins.tf2onnx import Tf2OnnxExporter

    p = Tf2OnnxExporter()
    assert p.frontend == "tf" and p.kind == "exporter"
    assert p.unavailable() is None
    assert p.versions()["tf2onnx"] != "missing"
    assert set(p.opsets) == set(range(13, 19))
