"""A runtime that dies only at another size than the base one: the death, found on a
supervised worker, keeps its dynamic plan through the store, minimization and filing, and
the repro says at which size the process died. Slow: each dying candidate costs a worker."""
import json

import pytest

from fuzzer.case import CaseSpec
from fuzzer.generate import GenConfig
from fuzzer.ir import Graph, TensorType
from oracles import Kind
from fuzzer.plugin import ENV_VAR
from tests.plugins.faulty import PLUGINS as FAULTY
from tests.unit.test_dynamic_repro import F32, PLUGINS, _node, batch_plan

pytestmark = pytest.mark.slow


@pytest.fixture
def firstsize(monkeypatch):
    monkeypatch.setenv(ENV_VAR, f"{FAULTY},{PLUGINS}")


def test_a_death_only_at_another_size_is_filed_with_a_repro_that_names_the_size(firstsize, tmp_path):
    from fuzzer.minimize.isolated import IsolatedEvaluator
    from fuzzer.report.triage import triage_workdir
    from fuzzer.report.writer import run_repro
    from fuzzer.store import Store

    # one op already: every candidate that dies costs a new worker, so keep them few
    g = Graph()
    x = g.add_input(TensorType(F32, (2, 1)))
    g.outputs = [_node(g, "relu", [x])]
    spec = CaseSpec(case_id=9, seed=3, config=GenConfig(dynamic=True), exporters=["torchscript"], runtimes=["firstsize-abort"],
                    graph_json=g.dumps(), dynamic=batch_plan(g, base=2), opset=17)
    with IsolatedEvaluator() as evaluate:  # as a campaign worker runs it: the death is seen from outside
        r = evaluate(spec)
    [death] = r.failures
    assert death.kind is Kind.RUN_CRASH and death.error.startswith("worker died"), death.error
    assert r.dynamic == batch_plan(g, base=2), "the retry after the death keeps the plan"
    store = Store.open(tmp_path / "work")
    try:
        store.record(r, 1, ["torchscript"])
    finally:
        store.close()
    [out] = triage_workdir(tmp_path / "work", tmp_path / "bugs", ["torchscript"], ["onnxruntime"])
    assert out.filed is not None and out.filed.new, out.note
    assert out.extra["dynamic"] is not None
    code, output = run_repro(out.filed.path)
    assert code == 1, output
    size = json.loads((out.filed.path / "case.json").read_text())["bug"]["dynamic"]["sizes"][0]
    assert f"running the model at size {size}" in output and "died with signal" in output
