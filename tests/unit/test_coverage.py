"""White-box coverage: rule inventories and hits per system, their store, and `onnxfuzz coverage`."""
import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from fuzzer import coverage
from fuzzer.coverage import onnxoptimizer as opt_cov
from fuzzer.coverage import onnxruntime as ort_cov
from fuzzer.coverage import runtimes as run_cov
from fuzzer.coverage import version_converter as vc_cov


def model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, elem=TensorProto.FLOAT, shape=(2, 3)):
    return helper.make_tensor_value_info(name, elem, list(shape))


def foldable():
    """x + (c1 + c2): ORT's ConstantFolding folds c1 + c2, at every level from basic up."""
    c = [helper.make_tensor(n, TensorProto.FLOAT, [3], [1.0, 2.0, 3.0]) for n in ("c1", "c2")]
    nodes = [helper.make_node("Add", ["c1", "c2"], ["c"]), helper.make_node("Add", ["x", "c"], ["y"])]
    return model(nodes, [vi("x")], [vi("y")], c)


@pytest.fixture
def recorder(monkeypatch):
    """A fresh process-wide recorder, and samplers that capture every time."""
    fresh = coverage.Recorder()
    monkeypatch.setattr(coverage, "RECORDER", fresh)
    monkeypatch.setenv("ONNXFUZZ_COVERAGE", "1")
    monkeypatch.setattr(ort_cov, "_SAMPLER", ort_cov._Sampler())
    monkeypatch.setattr(ort_cov, "_BUDGET", coverage.Budget(1.0, head_start=10.0))
    monkeypatch.setattr(opt_cov, "_SAMPLER", opt_cov._Sampler())
    monkeypatch.setattr(opt_cov, "_BUDGET", coverage.Budget(1.0, head_start=10.0))
    monkeypatch.setattr(run_cov, "_BUDGET", coverage.Budget(1.0, head_start=10.0))
    return fresh


def test_recorder_hands_on_each_inventory_once_and_hits_per_case(recorder):
    asked = []

    def inventory():
        asked.append(1)
        return {"version": "1", "rules": ["a", "b"]}

    coverage.begin_case()
    coverage.hit("s", ["a"], inventory)
    hits, inv = coverage.take()
    assert hits == {"s": ["a"]} and inv == {"s": {"version": "1", "rules": ["a", "b"]}}
    coverage.begin_case()
    coverage.hit("s", ["b"], inventory)
    hits, inv = coverage.take()
    assert hits == {"s": ["b"]} and inv == {} and len(asked) == 1


def test_an_inventory_not_known_yet_is_asked_again_later(recorder):
    known = []
    coverage.hit("s", ["a"], lambda: known[0] if known else None)
    assert coverage.take()[1] == {}
    known.append({"version": "2", "rules": ["a"]})
    coverage.hit("s", ["a"], lambda: known[0] if known else None)
    assert coverage.take()[1] == {"s": {"version": "2", "rules": ["a"]}}


def test_coverage_off_records_nothing(recorder, monkeypatch):
    monkeypatch.setenv("ONNXFUZZ_COVERAGE", "0")
    coverage.hit("s", ["a"])
    assert coverage.take() == ({}, {})


def test_ort_session_records_the_transformers_that_modified_the_graph(recorder):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    opts.log_severity_level = 3
    session = ort_cov.create_session(foldable().SerializeToString(), opts, "ORT_ENABLE_BASIC")
    out = session.run(None, {"x": np.zeros((2, 3), np.float32)})[0]
    np.testing.assert_allclose(out, np.tile([2.0, 4.0, 6.0], (2, 1)))
    assert opts.log_severity_level == 3  # the caller's options are left as they were
    hits, inv = coverage.take()
    system = "onnxruntime:transformers@basic"
    assert "ConstantFolding" in hits[system]
    assert "ConstantFolding" in inv[system]["rules"] and len(inv[system]["rules"]) > 5
    assert not set(hits[system]) - set(inv[system]["rules"])


def test_ort_sampler_captures_new_ops_then_every_nth():
    s = ort_cov._Sampler()
    s.every = 3
    assert s.wants("L", {"Add"})
    assert [s.wants("L", {"Add"}) for _ in range(6)] == [False, False, True, False, False, True]
    assert s.wants("L", {"Add", "Relu"}) and s.wants("M", {"Add"})


def test_onnxoptimizer_hits_are_the_passes_that_change_the_model_alone(recorder):
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 1]), helper.make_node("Relu", ["t"], ["y"])]
    m = model(nodes, [vi("x")], [vi("y")])
    passes = ["eliminate_nop_transpose", "eliminate_identity", "fuse_bn_into_conv"]
    assert opt_cov.passes_that_change(m, passes) == ["eliminate_nop_transpose"]
    opt_cov.record(m, passes)
    hits, inv = coverage.take()
    assert hits == {"onnxoptimizer:passes": ["eliminate_nop_transpose"]}
    assert len(inv["onnxoptimizer:passes"]["rules"]) == len(__import__("onnxoptimizer").get_available_passes())


def test_version_converter_adapters_follow_the_ops_schema_history():
    m = model([helper.make_node("Add", ["x", "x"], ["y"]), helper.make_node("Relu", ["y"], ["z"])], [vi("x")], [vi("z")], opset=13)
    # Add changed at 14, Relu at 14 too; neither between 14 and 15
    assert vc_cov.adapters(m, 13, 15) == ["Add:13->14", "Relu:13->14"]
    assert vc_cov.adapters(m, 15, 13) == ["Add:14->13", "Relu:14->13"]
    rules = set(vc_cov.inventory()["rules"])
    assert {"Add:13->14", "Add:14->13"} <= rules and "Add:6->7" not in rules


def test_runtime_ops_name_op_schema_version_and_dtype():
    m = model([helper.make_node("Add", ["x", "c"], ["y"]), helper.make_node("Cast", ["y"], ["z"], to=TensorProto.INT64)],
              [vi("x", TensorProto.FLOAT16)], [vi("z", TensorProto.INT64)],
              [helper.make_tensor("c", TensorProto.FLOAT16, [3], [0, 0, 0])])
    # y's type is not declared: it is inferred
    assert run_cov.executed(m) == ["Add-14:float16", "Cast-13:float16"]
    assert set(run_cov.executed(m)) <= set(run_cov.inventory()["rules"])


def test_torchscript_exporter_records_the_symbolic_functions_it_ran(recorder):
    import io

    import torch

    from fuzzer.coverage import torch_exporters

    torch_exporters.instrument_torchscript()
    torch_exporters.instrument_torchscript()  # a second call does not wrap twice

    class M(torch.nn.Module):
        def forward(self, x):
            return torch.relu(x).sum()

    with torch.no_grad():
        torch.onnx.export(M(), (torch.randn(2, 3),), io.BytesIO(), dynamo=False, opset_version=17)
    hits, inv = coverage.take()
    got = set(hits[torch_exporters.TORCHSCRIPT])
    assert {"aten::relu", "aten::sum"} <= got
    from torch.onnx._internal.torchscript_exporter import registration

    assert inv[torch_exporters.TORCHSCRIPT]["rules"] == sorted(registration.registry.all_functions())
    assert got <= set(inv[torch_exporters.TORCHSCRIPT]["rules"])


def test_store_keeps_first_case_per_rule_and_cli_reports_it(tmp_path, capsys):
    from fuzzer.case import CaseResult
    from fuzzer.cli import main
    from fuzzer.store import Store

    store = Store.open(tmp_path)
    session = store.begin_session(0, 1, {})
    first = CaseResult(1, 0, "judged", rule_hits={"s": ["a"]}, rule_inventory={"s": {"version": "9", "rules": ["a", "b", "c"]}})
    second = CaseResult(2, 0, "judged", rule_hits={"s": ["a", "b", "zz"]})
    store.record(first, session, [])
    store.record(second, session, [])
    store.close()

    assert main(["coverage", "--workdir", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["s"]
    assert (report["covered"], report["total"], report["version"]) == (2, 3, "9")
    assert report["hits"] == {"a": {"first_case": 1, "cases": 2}, "b": {"first_case": 2, "cases": 1}}
    assert report["uncovered"] == ["c"] and list(report["outside_inventory"]) == ["zz"]

    assert main(["coverage", "--workdir", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "2 / 3 covered" in text and "a (case 1)" in text and "uncovered (1): c" in text

    assert main(["stats", "--workdir", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rule_coverage"] == {"s": {"covered": 2, "total": 3}}


def test_coverage_of_a_missing_workdir_is_a_usage_error(tmp_path, capsys):
    from fuzzer.cli import main

    assert main(["coverage", "--workdir", str(tmp_path / "nothing")]) == 2
    assert "no campaign database" in capsys.readouterr().err


def test_a_case_carries_its_rule_hits(recorder):
    from fuzzer.case import CaseSpec, run_case
    from fuzzer.generate import GenConfig

    config = GenConfig(min_nodes=2, max_nodes=3, ops=("tanh",), dtypes=frozenset({"float32"}))
    r = run_case(CaseSpec(case_id=1, seed=11, config=config, exporters=["torchscript"], runtimes=["onnx-reference"], opset=17))
    assert r.status == "judged"
    assert "aten::tanh" in r.rule_hits["torchscript:symbolic"]
    assert any(rule.startswith("Tanh-13:") for rule in r.rule_hits["onnx-reference:ops"])


def test_bookkeeping_that_fails_never_fails_the_case(recorder):
    class Unreadable:
        graph = None  # what a model the bookkeeping cannot read looks like to it

    assert vc_cov.record(Unreadable(), 13, 15) is None
    hits, _ = coverage.take()
    assert hits == {coverage.ERRORS: ["fuzzer.coverage.version_converter.record: AttributeError"]}


def test_budget_keeps_a_measurement_to_its_share_of_the_time():
    budget = coverage.Budget(0.1, head_start=0.0)
    assert budget.allows()  # nothing spent yet
    budget.spent = 1.0  # as if a measurement took 1 s right at the start
    assert not budget.allows()
    budget.start -= 20.0  # 20 s later: 10% of it is 2 s, more than was spent
    assert budget.allows()


def test_ort_quantizer_hits_are_the_op_types_it_rewrote(recorder):
    from fuzzer.coverage import ort_quantizer
    from fuzzer.plugin import load_plugin

    w = helper.make_tensor("w", TensorProto.FLOAT, [3, 4], np.linspace(-1, 1, 12, dtype=np.float32))
    m = model([helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Relu", ["m"], ["y"])],
              [vi("x")], [vi("y", shape=(2, 4))], [w])
    out = load_plugin("converter", "ort-quantize").transform(m.SerializeToString(), 17)
    assert "MatMulInteger" in {n.op_type for n in onnx.load_model_from_string(out).graph.node}
    hits, inv = coverage.take()
    assert hits == {ort_quantizer.SYSTEM: ["MatMul"]}
    assert "MatMul" in inv[ort_quantizer.SYSTEM]["rules"] and "Relu" not in inv[ort_quantizer.SYSTEM]["rules"]


def test_onnxscript_optimizer_records_the_rewrite_rules_that_fired(recorder):
    from fuzzer.coverage import onnxscript_rewriter
    from fuzzer.plugin import load_plugin

    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0]), helper.make_node("Transpose", ["t"], ["u"], perm=[1, 0]),
             helper.make_node("Relu", ["u"], ["y"])]
    m = model(nodes, [vi("x")], [vi("y")])
    out = load_plugin("converter", "onnxscript-optimizer").transform(m.SerializeToString(), 17)
    assert "Transpose" not in {n.op_type for n in onnx.load_model_from_string(out).graph.node}
    hits, inv = coverage.take()
    fired = hits[onnxscript_rewriter.SYSTEM]
    assert "TransposeTranspose" in fired
    rules = inv[onnxscript_rewriter.SYSTEM]["rules"]
    assert set(fired) <= set(rules) and len(rules) == len(set(rules))


def test_a_model_the_budget_turns_away_keeps_its_op_types_new(recorder, monkeypatch):
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 1]), helper.make_node("Relu", ["t"], ["y"])]
    m = model(nodes, [vi("x")], [vi("y")])
    monkeypatch.setattr(opt_cov, "_BUDGET", coverage.Budget(0.0, head_start=-1.0))  # spent out
    opt_cov.record(m, ["eliminate_nop_transpose"])
    assert coverage.take()[0] == {}
    monkeypatch.setattr(opt_cov, "_BUDGET", coverage.Budget(1.0, head_start=10.0))
    opt_cov.record(m, ["eliminate_nop_transpose"])  # its ops are still new: recorded now
    assert coverage.take()[0] == {"onnxoptimizer:passes": ["eliminate_nop_transpose"]}
