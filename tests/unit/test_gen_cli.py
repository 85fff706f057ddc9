"""`onnxfuzz gen --check`: validity and coverage figures, and how findings are counted."""
import json

import pytest

from fuzzer.cli import main
from fuzzer.convert.plugins.torchscript import TorchScriptExporter
from fuzzer.generate.validity import check_graph
from fuzzer.ir import DType, Graph, TensorType
from fuzzer.plugin import ENV_VAR
from fuzzer.probe import Capabilities


class BrokenTorchScript(TorchScriptExporter):
    """Stands in for TorchScript: every export crashes, as a buggy exporter would."""

    name = "torchscript"

    def export(self, request):
        raise RuntimeError("exporter fell over")


class AbortingTorchScript(TorchScriptExporter):
    """TorchScript, except that it kills its process on the one graph named by CRASH_GRAPH."""

    name = "torchscript"

    def export(self, request):
        import hashlib
        import os

        if hashlib.sha1(request.graph.dumps().encode()).hexdigest() == os.environ.get("CRASH_GRAPH"):
            os.abort()
        return super().export(request)


@pytest.fixture(autouse=True)
def fresh_probe():
    """Each test starts from the probe cache, whatever probe an earlier test installed."""
    from fuzzer.generate import validity

    validity._probe.clear()
    yield
    validity._probe.clear()


def _gen(capsys, *extra):
    code = main(["gen", "--count", "10", "--seed", "3", "--check", "--json", "--workers", "1", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_check_reports_every_figure_and_they_add_up(capsys):
    code, r = _gen(capsys)
    assert r["total"] == 10 and r["frontends"] == {"torch": 5, "onnx": 5}
    assert r["valid"] + r["invalid"] + r["kernel_gaps_unprobed"] + r["crashed"] == 10
    assert code == (1 if r["invalid"] else 0)
    assert r["onnx_op_types"] == len(r["onnx_ops"]) > 0
    assert r["ir_op_types"] == len(r["ir_ops"]) > 0 and r["diversity"] is True
    assert set(r["dtypes"]) <= {d.value for d in DType}
    assert r["paths_2op"] > 0 and r["graphs_per_second"] > 0
    assert r["exporter_findings"]["count"] <= r["frontends"]["torch"]
    assert 0 <= r["discarded"] <= 10 and r["judged_on_direct_model"] >= r["frontends"]["onnx"]
    # findings in systems under test are counted apart from the graphs' validity
    assert len(r["runtime_findings"]["examples"]) == min(r["runtime_findings"]["count"], 10)
    assert r["crash_findings"] == {"count": 0, "examples": []}
    assert sum(r["kernel_gaps_unprobed_kernels"].values()) == r["kernel_gaps_unprobed"]


def test_an_exporter_crash_is_a_finding_not_an_invalid_graph(capsys, monkeypatch):
    _, before = _gen(capsys)
    monkeypatch.setenv(ENV_VAR, "converter:torchscript=tests.unit.test_gen_cli:BrokenTorchScript")
    _, after = _gen(capsys)
    assert after["exporter_findings"]["count"] == after["frontends"]["torch"] == 5
    assert all("exporter fell over" in e["why"] for e in after["exporter_findings"]["examples"])
    # the graphs are the same, and so is their validity
    assert (after["valid"], after["invalid"]) == (before["valid"], before["invalid"])


def _relu_graph() -> Graph:
    g = Graph()
    t = TensorType(DType.float32, (2, 3))
    x = g.add_input(t)
    g.outputs = [g.add_node("relu", [x], {}, [t]).outputs[0]]
    return g


def test_a_direct_model_the_checker_rejects_makes_the_graph_invalid(monkeypatch):
    from fuzzer.ops import get_spec

    assert check_graph(_relu_graph().dumps(), 0, "onnx").status == "valid"

    def wrong_type(self, ctx, attrs, args, outs):  # declares float32, computes int64
        ctx.node("Cast", args, outs, to=ctx.elem(DType.int64))

    monkeypatch.setattr(type(get_spec("relu")), "onnx", wrong_type)
    result = check_graph(_relu_graph().dumps(), 0, "onnx")
    assert result.status == "invalid" and result.why.startswith("direct model:")
    assert result.judged_on == "direct" and "Cast" in result.onnx_ops


def test_without_check_each_graph_depends_on_its_seed_alone(capsys):
    assert main(["gen", "--count", "3", "--seed", "7", "--json"]) == 0
    three = json.loads(capsys.readouterr().out)
    assert three["diversity"] is False
    assert main(["gen", "--count", "1", "--seed", "9", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["graphs"][0] == three["graphs"][2]


@pytest.mark.parametrize("argv", [["--frontends", "jax"], ["--dtypes", "float128"], ["--ops", "nope"]])
def test_bad_options_are_usage_errors(argv, capsys):
    assert main(["gen", "--count", "2", "--check", *argv]) == 2
    assert "error" in capsys.readouterr().err


def test_a_missing_ort_kernel_is_valid_only_when_the_probe_records_it(monkeypatch):
    """ORT has no float64 AveragePool kernel: unprobed, that gap is counted apart; once the
    probe records (AveragePool, float64) as unsupported, the graph is valid."""
    import re

    from fuzzer.generate import validity

    g, seed, gap = _unprobed_float64_pool_gap()
    op = re.search(r"implementation for (\w+)\(", gap.why).group(1)
    assert gap.gap["op"] == op and "float64" in gap.gap["dtypes"]
    record = {"case": "x", "op": op, "dtype": "float64", "opset": 18, "since": 18, "status": "unsupported"}
    validity.use_probe(Capabilities("onnxruntime-noopt", "runtime", {}, [record]))
    probed = check_graph(g, seed, "onnx")
    assert probed.status == "valid" and probed.probed_gap.startswith(f"{op}(")
    assert probed.probed_gap.endswith("/float64")


def test_a_gap_the_probe_met_inside_another_case_makes_the_graph_valid():
    """The probe learns the exact kernel (op, schema version, type binding) from any case whose
    model reached it: the same missing kernel in a generated graph is then a probed gap."""
    from fuzzer.generate import validity

    g, seed, gap = _unprobed_float64_pool_gap()
    learned = {"case": "spec:other:float64", "op": "spec:other", "dtype": "float64", "opset": 18, "since": 18,
               "status": "unsupported", "gap": gap.gap}
    validity.use_probe(Capabilities("onnxruntime-noopt", "runtime", {}, [learned]))
    assert check_graph(g, seed, "onnx").status == "valid"


def test_an_error_only_with_ort_optimizations_on_is_a_runtime_finding(monkeypatch):
    """ORT's optimizers can throw on a valid model (relu_clip_fusion.cc once did): the plain load
    judges the graph, the optimized one can only add a finding."""
    from fuzzer.generate import validity

    def optimizer_throws(model, optimize):
        return RuntimeError("Exception during initialization: relu_clip_fusion.cc:83 Unexpected data type") if optimize else None

    monkeypatch.setattr(validity, "_ort_load", optimizer_throws)
    found = check_graph(_relu_graph().dumps(), 0, "onnx")
    assert found.status == "valid" and "relu_clip_fusion" in found.runtime_finding
    assert check_graph(_relu_graph().dumps(), 0, "onnx", skip=("ort-optimized",)).runtime_finding is None

    def plain_load_fails(model, optimize):
        return RuntimeError("INVALID_GRAPH: broken")

    monkeypatch.setattr(validity, "_ort_load", plain_load_fails)
    broken = check_graph(_relu_graph().dumps(), 0, "onnx")
    assert broken.status == "invalid" and broken.runtime_finding is None
    with pytest.raises(ValueError, match="unknown check steps"):
        check_graph(_relu_graph().dumps(), 0, "onnx", skip=("nope",))


def test_a_graph_that_kills_its_checking_process_is_recorded_and_the_rest_go_on(capsys, monkeypatch):
    import hashlib

    from fuzzer.choices import NumpyChoices
    from fuzzer.generate import GenConfig, generate

    config = GenConfig(max_nodes=3, frontend="torch")
    fatal = generate(NumpyChoices(12), config).dumps()
    monkeypatch.setenv("CRASH_GRAPH", hashlib.sha1(fatal.encode()).hexdigest())
    monkeypatch.setenv(ENV_VAR, "converter:torchscript=tests.unit.test_gen_cli:AbortingTorchScript")
    argv = ["gen", "--count", "10", "--seed", "8", "--check", "--json", "--workers", "2",
            "--frontends", "torch", "--no-diversity", "--max-nodes", "3"]
    main(argv)
    r = json.loads(capsys.readouterr().out)
    # the exporter killed the process: a finding about it; the graph is judged without the export
    assert r["crashed"] == 0 and r["crash_findings"]["count"] == 1
    (example,) = r["crash_findings"]["examples"]
    assert example["seed"] == 12 and "TorchScript" in example["why"]
    assert r["valid"] + r["invalid"] + r["kernel_gaps_unprobed"] == 10


def _unprobed_float64_pool_gap():
    """(graph JSON, seed, GraphCheck) of a direct graph that meets ORT's missing float64
    AveragePool kernel while the probe knows nothing (an empty probe result)."""
    from fuzzer.choices import NumpyChoices
    from fuzzer.generate import GenConfig, generate, validity

    config = GenConfig(ops=("adaptive_avg_pool1d",), dtypes=frozenset({DType.float64}), frontend="onnx", max_nodes=2)
    validity.use_probe(Capabilities("onnxruntime-noopt", "runtime", {}, []))
    for seed in range(40):
        g = generate(NumpyChoices(seed), config).dumps()
        gap = check_graph(g, seed, "onnx")
        if gap.status == "gap_unprobed":
            return g, seed, gap
    pytest.fail("no graph met ORT's missing float64 AveragePool kernel")
