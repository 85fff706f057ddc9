"""onnxfuzz is never a system under test: a failure of its direct ONNX builder, its lowerings or
its ground truth, or a blame that names it, is recorded as its own defect (the store's
own_defects list, shown by `onnxfuzz stats`) and never written as a bug folder."""
from __future__ import annotations

import json

import pytest

from fuzzer.cli import main
from fuzzer.ir import DType, Graph, TensorType
from fuzzer.ops import get_spec
from fuzzer.report import triage as triage_module
from fuzzer.report.blame import Blame
from fuzzer.report.triage import CaseArtifacts, record_outcome, triage
from fuzzer.store import Store
from oracles import Kind, Stage, Verdict
from tests.unit.test_minimize import failing_case


def _tanh_graph() -> Graph:
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (2,)))
    g.outputs = [g.add_node("tanh", [x], {}, get_spec("tanh").infer([x.type], {})).outputs[0]]
    return g


def _case(tmp_path, graph, verdicts, seed=1) -> CaseArtifacts:
    d = tmp_path / "work" / "artifacts" / "case-3"
    d.mkdir(parents=True)
    return CaseArtifacts(d, graph, {}, verdicts, seed, 3)


def test_a_failure_of_the_direct_builder_is_recorded_as_onnxfuzzs_own_not_filed(tmp_path, capsys):
    bad = Verdict(Kind.INVALID_MODEL, Stage.CHECK, "onnx-direct@21", "", ["Tanh"],
                  "InferenceError: [ShapeInferenceError] (op_type:Tanh, node name: _n2): bad")
    bugs = tmp_path / "bugs"
    case = _case(tmp_path, _tanh_graph(), [bad])
    out = triage(case, bad, bugs, ["torchscript"], ["onnxruntime"])
    assert out.filed is None and out.status == "own" and "direct ONNX builder" in out.own["what"]
    assert not bugs.exists() or not any(bugs.iterdir()), "never a bug folder"

    store = Store.open(tmp_path / "work")
    try:
        record_outcome(store, out)
        record_outcome(store, triage(case, bad, bugs, ["torchscript"], ["onnxruntime"]))  # met again
        own = store.own_defects()
    finally:
        store.close()
    assert len(own) == 1 and own[0]["hits"] == 2 and own[0]["path"] == "onnx-direct@21" and own[0]["first_case"] == 3

    assert main(["stats", "--workdir", str(tmp_path / "work"), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert [d["kind"] for d in stats["own_defects"]] == ["invalid_model"] and stats["own_defects"][0]["hits"] == 2
    assert main(["stats", "--workdir", str(tmp_path / "work")]) == 0
    assert "defects of onnxfuzz itself" in capsys.readouterr().out


def test_a_transformers_invalid_output_of_a_direct_model_is_not_onnxfuzzs():
    from fuzzer.report.triage import own_failure

    said = "InferenceError: [ShapeInferenceError] (op_type:Cast, node name: _n3): bad"
    assert own_failure(Verdict(Kind.INVALID_MODEL, Stage.CHECK, "onnx-direct@16", "", [], said), _tanh_graph())
    assert own_failure(Verdict(Kind.INVALID_MODEL, Stage.CHECK, "onnx-direct@16>float16", "", [], said), _tanh_graph()) is None
    assert own_failure(Verdict(Kind.RUN_CRASH, Stage.RUN, "onnx-direct@16", "onnxruntime", [], said), _tanh_graph()) is None


@pytest.mark.parametrize("system, role", [("onnxfuzz", "own"), ("onnx-direct", "exporter")])
def test_a_blame_that_names_onnxfuzz_is_its_own_defect(faulty, tmp_path, monkeypatch, system, role):
    """A blame naming onnxfuzz (the ground truth, a lowering), or today's blame naming its direct
    builder as an exporter, is recorded and not filed, though the failure reduces."""
    g, seed, inputs, verdict = failing_case()
    monkeypatch.setattr(triage_module, "blame", lambda *a, **k: Blame(system, role, "every path disagrees with the truth", []))
    bugs = tmp_path / "bugs"
    case = _case(tmp_path, g, [verdict], seed)
    case.inputs = inputs
    out = triage(case, verdict, bugs, ["torchscript"], ["onnxruntime"])
    assert out.status == "own" and out.filed is None and out.own["reduced"] and out.own["ops"] == 1, out.note
    assert not bugs.exists() or not any(bugs.iterdir())


def test_an_older_database_reads_as_having_no_own_defects(tmp_path):
    store = Store.open(tmp_path)
    try:
        store.conn.execute("DROP TABLE own_defects")
        assert store.own_defects() == []
    finally:
        store.close()


def test_a_minimal_case_whose_witness_changed_is_not_filed(faulty, tmp_path, monkeypatch):
    """The campaign saw onnx-reference pass on the case; if it fails on the minimal case the
    reduction changed what fails, and nothing is filed (the outcome says why)."""
    g, seed, inputs, verdict = failing_case()
    campaign = [verdict, Verdict(Kind.PASS, Stage.JUDGE, verdict.path, "onnx-reference")]
    witnesses = [(verdict.path, verdict.runtime, verdict.kind.value), (verdict.path, "onnx-reference", "run_crash")]
    monkeypatch.setattr(triage_module, "blame", lambda *a, **k: Blame("signflip", "exporter", "injected", witnesses))
    case = _case(tmp_path, g, [verdict], seed)
    case.inputs, case.campaign = inputs, campaign
    out = triage(case, verdict, tmp_path / "bugs", ["torchscript"], ["onnxruntime"])
    assert out.status == "differs" and out.filed is None and "onnx-reference passed in the campaign" in out.note
    assert not (tmp_path / "bugs").exists() or not any((tmp_path / "bugs").iterdir())


def test_campaign_verdicts_come_from_the_store_passes_included(tmp_path):
    from fuzzer.case import CaseResult
    from fuzzer.report.triage import campaign_verdicts

    store = Store.open(tmp_path)
    try:
        session = store.begin_session(1, 1, {})
        r = CaseResult(5, 1, "judged", ops=["tanh"], op_dtypes=[])
        r.verdicts = [Verdict(Kind.PASS, Stage.JUDGE, "torchscript@17", "onnxruntime"),
                      Verdict(Kind.VALUE_MISMATCH, Stage.JUDGE, "torchscript@17", "tract", ["tanh"], "output 0: off")]
        r.graph_json, r.inputs_npz = _tanh_graph().dumps(), None
        store.record(r, session, ["torchscript"])
    finally:
        store.close()
    got = campaign_verdicts(tmp_path, 5)
    assert sorted((v.runtime, v.kind.value) for v in got) == [("onnxruntime", "pass"), ("tract", "value_mismatch")]
    assert campaign_verdicts(tmp_path, 6) is None and campaign_verdicts(tmp_path / "nowhere", 5) is None
