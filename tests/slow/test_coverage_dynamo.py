"""The dynamo exporter's coverage: each aten overload it dispatched and the torchlib function it got."""
import pytest

from fuzzer import coverage

pytestmark = pytest.mark.slow


def test_dynamo_export_records_aten_overloads_and_torchlib_functions(monkeypatch):
    from fuzzer.case import CaseSpec, run_case
    from fuzzer.coverage import torch_exporters
    from fuzzer.generate import GenConfig

    monkeypatch.setattr(coverage, "RECORDER", coverage.Recorder())
    monkeypatch.setenv("ONNXFUZZ_COVERAGE", "1")
    config = GenConfig(min_nodes=1, max_nodes=2, ops=("tanh",), dtypes=frozenset({"float32"}))
    r = run_case(CaseSpec(case_id=1, seed=3, config=config, exporters=["dynamo"], runtimes=["onnx-reference"], opset=18))
    assert "aten::tanh" in r.rule_hits[torch_exporters.DYNAMO_ATEN]
    assert "aten_tanh" in r.rule_hits[torch_exporters.DYNAMO_TORCHLIB]
    aten = r.rule_inventory[torch_exporters.DYNAMO_ATEN]["rules"]
    assert "aten::tanh" in aten and len(aten) > 400
    assert set(r.rule_hits[torch_exporters.DYNAMO_TORCHLIB]) <= set(r.rule_inventory[torch_exporters.DYNAMO_TORCHLIB]["rules"])
