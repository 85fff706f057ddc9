"""tf2onnx batched: graphs packed into one tf.function, converted once, split back; each part
computes what the graph's own conversion does, and a TF op tf2onnx leaves unconverted in one
graph is that graph's refusal alone."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tf2onnx")

from fuzzer.batch import BatchSpec, run_batch  # noqa: E402
from fuzzer.case import CaseSpec, run_case, start_case  # noqa: E402
from fuzzer.choices import NumpyChoices  # noqa: E402
from fuzzer.generate import GenConfig, generate  # noqa: E402
from fuzzer.plugin import load_plugin  # noqa: E402

CONFIG = GenConfig(min_nodes=2, max_nodes=4, ops=("neg", "abs", "add", "mul", "tanh"), dtypes=frozenset({"float32"}),
                   frontend="tf")


def _specs(n):
    return [CaseSpec(case_id=i, seed=300 + i, config=CONFIG, exporters=["tf2onnx"], runtimes=["onnxruntime"], opset=17,
                     graph_json=generate(NumpyChoices(300 + i), CONFIG).dumps()) for i in range(1, n + 1)]


def test_tf2onnx_split_models_compute_what_single_conversions_do():
    import onnx
    import onnxruntime as ort

    from fuzzer.convert.batch import PackedRequest

    exporter = load_plugin("converter", "tf2onnx")
    assert exporter.batchable
    cases = [start_case(s) for s in _specs(3)]
    packed = PackedRequest.of([c.request(exporter, 17) for c in cases], 17)
    parts = packed.split(exporter.export(packed))
    rng = np.random.default_rng(1)
    for case, part in zip(cases, parts):
        onnx.checker.check_model(part, full_check=True)
        assert [i.name for i in part.graph.input] == [v.name for v in case.graph.inputs]
        single = exporter.export(case.request(exporter, 17))
        a = ort.InferenceSession(part.SerializeToString(), providers=["CPUExecutionProvider"])
        b = ort.InferenceSession(single, providers=["CPUExecutionProvider"])
        feeds = {v.name: rng.standard_normal(v.type.shape).astype(np.float32) for v in case.graph.inputs}
        for x, y in zip(a.run(None, feeds), b.run(None, feeds)):
            np.testing.assert_array_equal(x, y)


def test_tf2onnx_batch_judges_each_case_as_alone(monkeypatch):
    from fuzzer.convert.plugins import tf2onnx as plugin

    specs = _specs(3)
    results = {m[1].case_id: m[1] for m in run_batch(BatchSpec(specs), lambda *a: None) if m[0] == "done"}
    for spec in specs:
        alone = run_case(spec)
        assert sorted((v.path, v.runtime, v.kind.value) for v in results[spec.case_id].verdicts) == \
            sorted((v.path, v.runtime, v.kind.value) for v in alone.verdicts)

    # a graph whose conversion keeps a TF op: only that case is refused, by check_split
    real = plugin.refuse_foreign

    def refuse_abs(model):
        if any(n.op_type == "Abs" for n in model.graph.node):
            raise plugin.Tf2OnnxUnsupported("tf2onnx left unsupported op(s) in the model: Abs")
        real(model)

    monkeypatch.setattr(plugin, "refuse_foreign", refuse_abs)
    results = {m[1].case_id: m[1] for m in run_batch(BatchSpec(specs), lambda *a: None) if m[0] == "done"}
    refused = {cid for cid, r in results.items() if {v.kind.value for v in r.verdicts} == {"unsupported"}}
    assert refused == {cid for cid, r in results.items() if "abs" in r.ops} and 0 < len(refused) < len(specs)
    assert len(results[1].notes["batch"]["exports"]) == 1  # one conversion for the three graphs
