"""A batch whose packed export kills the worker is bisected by the supervisor down to the one
case that does, which is then recorded like any case that kills a worker.

This starts a real (spawned) worker: the death and the pipe protocol only exist across processes.
"""
import time

from fuzzer.batch import BatchSpec
from fuzzer.case import CaseSpec
from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, generate
from fuzzer.plugin import ENV_VAR
from tests.plugins.batchy import PLUGINS

PLAIN = GenConfig(min_nodes=2, max_nodes=4, ops=("neg", "abs", "add", "mul", "relu"), dtypes=frozenset({"float32"}))
TANH = GenConfig(min_nodes=2, max_nodes=3, ops=("tanh",), dtypes=frozenset({"float32"}))


def test_a_death_in_a_packed_export_is_bisected_to_the_case_that_causes_it(tmp_path, monkeypatch):
    from fuzzer.campaign.supervisor import Supervisor

    monkeypatch.setenv(ENV_VAR, PLUGINS)
    configs = [PLAIN, PLAIN, PLAIN, TANH]
    specs = []
    for i, config in enumerate(configs, start=1):
        graph = generate(NumpyChoices(200 + i), config)
        specs.append(CaseSpec(case_id=i, seed=200 + i, config=config, exporters=["ts-batch-abort"],
                              runtimes=["onnxruntime"], opset=17, graph_json=graph.dumps()))
    jobs = [BatchSpec(specs)]
    sup = Supervisor(1, tmp_path)
    sup.start()
    try:
        results = list(sup.run(lambda: jobs.pop() if jobs else None, time.monotonic() + 300))
    finally:
        sup.stop()
    by_id = {r.case_id: r for r in results}
    assert sorted(by_id) == [1, 2, 3, 4] and len(results) == 4  # every case recorded once
    culprit = by_id[4]
    assert [(v.kind.value, v.stage.value, v.path) for v in culprit.verdicts] == [("export_crash", "export", "ts-batch-abort@17")]
    assert "worker died" in culprit.verdicts[0].error
    assert culprit.graph_json == specs[3].graph_json  # minimization and blame start from its own graph
    for cid in (1, 2, 3):
        assert [(v.kind.value, v.runtime) for v in by_id[cid].verdicts] == [("pass", "onnxruntime")]
    # the batch of 4 died, then the half holding the Tanh graph, then that graph alone
    assert sup.restarts == 3


def test_a_batched_campaign_records_every_case_on_its_own(tmp_path, monkeypatch):
    import json
    import sqlite3

    from fuzzer.campaign.campaign import CampaignOptions, run_campaign

    monkeypatch.setenv(ENV_VAR, PLUGINS)
    monkeypatch.setenv("ONNXFUZZ_EXPORT_GAPS", "0")
    stats = run_campaign(CampaignOptions(workdir=tmp_path, minutes=5, workers=1, exporters=["ts-batch"],
                                         runtimes=["onnxruntime", "onnx-reference"], config=PLAIN, max_cases=10,
                                         quiet=True, steer=False))
    assert stats["session"]["cases"] == 10
    assert stats["session"]["batches"]["ts-batch"]["cases"] == 10
    assert stats["session"]["batches"]["ts-batch"]["batches"] < 10
    conn = sqlite3.connect(tmp_path / "onnxfuzz.sqlite")
    rows = conn.execute("SELECT id, seed, exporters FROM cases ORDER BY id").fetchall()
    assert len(rows) == 10 and len({seed for _, seed, _ in rows}) == 10
    assert all(json.loads(exporters) == ["ts-batch"] for _, _, exporters in rows)
    # every judged case has its own verdicts, on each runtime
    per_case = dict(conn.execute("SELECT case_id, COUNT(*) FROM verdicts GROUP BY case_id").fetchall())
    judged = [cid for (cid,) in conn.execute("SELECT id FROM cases WHERE status IN ('judged', 'unstable')")]
    assert judged and all(per_case.get(cid) == 2 for cid in judged)


def test_a_worker_keeps_out_of_its_packs_the_ops_its_batch_says_failed_elsewhere(tmp_path, monkeypatch):
    from fuzzer.campaign.supervisor import Supervisor

    monkeypatch.setenv(ENV_VAR, PLUGINS)
    specs = []
    for i, config in enumerate([PLAIN, TANH, PLAIN], start=1):
        graph = generate(NumpyChoices(200 + i), config)
        specs.append(CaseSpec(case_id=i, seed=200 + i, config=config, exporters=["ts-batch-gap"],
                              runtimes=["onnxruntime"], opset=17, graph_json=graph.dumps()))
    # a fresh worker has learnt nothing: what the campaign learnt comes with the batch
    jobs = [BatchSpec(specs, keep_out={"ts-batch-gap": frozenset({"tanh"})})]
    sup = Supervisor(1, tmp_path)
    sup.start()
    try:
        results = list(sup.run(lambda: jobs.pop() if jobs else None, time.monotonic() + 300))
    finally:
        sup.stop()
    by_id = {r.case_id: r for r in results}
    assert sorted(by_id) == [1, 2, 3]
    # one packed export, of the two other graphs, which passed: the Tanh graph went alone
    assert [(e["size"], e["ok"]) for e in by_id[1].notes["batch"]["exports"]] == [(2, True)]
    assert [(v.kind.value, v.stage.value) for v in by_id[2].verdicts] == [("export_crash", "export")]
