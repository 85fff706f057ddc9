"""`onnxfuzz gen --check`: validity and coverage figures, and how findings are counted."""
import json

import pytest

from fuzzer.cli import main
from fuzzer.convert.plugins.torchscript import TorchScriptExporter
from fuzzer.generate.validity import check_graph
from fuzzer.ir import DType, Graph, TensorType
from fuzzer.plugin import ENV_VAR


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
def empty_probe_cache(tmp_path, monkeypatch):
    """A fresh install: no probe result cached. A judgment must not depend on one."""
    import fuzzer.probe as probe_mod

    monkeypatch.setenv(probe_mod.ENV_CACHE, str(tmp_path / "empty-cache"))
    monkeypatch.setattr(probe_mod, "_MEMORY", {})


def _gen(capsys, *extra):
    code = main(["gen", "--count", "10", "--seed", "3", "--check", "--json", "--workers", "1", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_check_reports_every_figure_and_they_add_up(capsys):
    code, r = _gen(capsys)
    assert r["total"] == 10 and r["frontends"] == {"torch": 5, "onnx": 5}
    assert r["valid"] + r["invalid"] + r["crashed"] == 10
    # the generator promises valid graphs: any invalid one is a generator or op-spec bug
    assert r["invalid"] == 0 and r["crashed"] == 0, r["invalid_examples"] + r["crashed_examples"]
    assert code == 0
    assert r["onnx_op_types"] == len(r["onnx_ops"]) > 0
    assert r["ir_op_types"] == len(r["ir_ops"]) > 0 and r["diversity"] is True
    assert set(r["dtypes"]) <= {d.value for d in DType}
    assert r["paths_2op"] > 0 and r["graphs_per_second"] > 0
    assert r["exporter_findings"]["count"] <= r["frontends"]["torch"]
    assert 0 <= r["discarded"] <= 10 and r["judged_on_direct_model"] >= r["frontends"]["onnx"]
    # findings in systems under test are counted apart from the graphs' validity
    assert len(r["runtime_findings"]["examples"]) == min(r["runtime_findings"]["count"], 10)
    assert r["crash_findings"] == {"count": 0, "examples": []}
    assert sum(r["kernel_gaps_by_kernel"].values()) == r["kernel_gaps"] <= r["valid"]
    # the opsets drawn: every direct model and every TorchScript export counted once, the lowest named
    assert sum(r["direct_opsets"].values()) == r["judged_on_direct_model"]
    assert sum(r["export_opsets"].values()) == r["frontends"]["torch"]
    drawn = [int(o) for o in (*r["direct_opsets"], *r["export_opsets"])]
    assert r["lowest_opset"] == min(drawn) >= 7


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


def test_a_missing_ort_kernel_is_read_from_orts_own_error_with_no_probe_cached():
    """ORT has no float64 AveragePool kernel: the graph is valid, as a campaign judges that load
    (the runtime plugin's is_unsupported), and the missing kernel is named, with an empty probe
    cache (the autouse fixture): a fresh install judges as a probed one does."""
    import os
    import re
    from pathlib import Path

    from fuzzer.probe import ENV_CACHE

    g, seed, gap = _float64_pool_gap()
    op = re.search(r"^(\w+)\(", gap.kernel_gap).group(1)
    assert gap.status == "valid" and gap.gap["op"] == op and "float64" in gap.gap["dtypes"]
    assert gap.kernel_gap.endswith("/float64")
    assert not Path(os.environ[ENV_CACHE]).exists(), "judging built no probe cache behind the user's back"


def test_gen_check_and_a_campaign_judge_an_exported_model_alike():
    """One judgment (oracles.judge_model): TorchScript exports an int8 MatMul that ONNX's MatMul
    does not accept. A type gap: `unsupported` in a campaign, and an excused exporter finding in
    gen --check (it used to be an exporter bug there)."""
    from fuzzer.case import CaseSpec, run_case
    from fuzzer.generate import GenConfig
    from fuzzer.ops import get_spec

    g = Graph()
    a, b = g.add_input(TensorType(DType.int8, (2, 3))), g.add_input(TensorType(DType.int8, (3, 2)))
    g.outputs = [g.add_node("matmul", [a, b], {}, get_spec("matmul").infer([a.type, b.type], {})).outputs[0]]
    # at opsets 10-11 TorchScript exports it another way, as a valid model: a seed drawing 13 or later
    checked = next(c for seed in range(20) for c in [check_graph(g.dumps(), seed, "torch")] if c.export_opset >= 13)
    assert checked.status == "valid" and "unsupported type: tensor(int8)" in checked.exporter_finding
    assert checked.exporter_unsupported
    r = run_case(CaseSpec(case_id=1, seed=0, config=GenConfig(), exporters=["torchscript"], runtimes=["onnxruntime"],
                          graph_json=g.dumps(), opset=17))
    assert [(v.kind.value, v.stage.value) for v in r.verdicts] == [("unsupported", "check")]


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
            "--frontends", "torch", "--no-diversity", "--no-swarm", "--max-nodes", "3"]
    main(argv)
    r = json.loads(capsys.readouterr().out)
    # the exporter killed the process: a finding about it; the graph is judged without the export
    assert r["crashed"] == 0 and r["crash_findings"]["count"] == 1
    (example,) = r["crash_findings"]["examples"]
    assert example["seed"] == 12 and "TorchScript" in example["why"]
    assert r["valid"] + r["invalid"] == 10


def _float64_pool_gap():
    """(graph JSON, seed, GraphCheck) of a direct graph that meets ORT's missing float64
    AveragePool kernel."""
    from fuzzer.choices import NumpyChoices
    from fuzzer.generate import GenConfig, generate

    config = GenConfig(ops=("adaptive_avg_pool1d",), dtypes=frozenset({DType.float64}), frontend="onnx", max_nodes=2)
    for seed in range(40):
        g = generate(NumpyChoices(seed), config).dumps()
        gap = check_graph(g, seed, "onnx")
        if gap.kernel_gap:
            return g, seed, gap
    pytest.fail("no graph met ORT's missing float64 AveragePool kernel")


def test_gen_reports_the_motifs_registered_and_the_distinct_ones_drawn(capsys):
    from fuzzer.ops import all_specs
    from fuzzer.ops.motif import is_motif

    motifs = {s.name for s in all_specs() if is_motif(s)}
    assert main(["gen", "--count", "40", "--seed", "1", "--json", "--frontends", "onnx"]) == 0
    r = json.loads(capsys.readouterr().out)
    drawn = motifs & set(r["ir_ops"])
    assert r["motifs"] == len(motifs) > 0
    assert r["motifs_drawn"] == len(drawn) > 0
