"""Triage while the campaign runs (fuzzer.campaign.triage_jobs), end to end on real workers.

Deterministic under load: every graph holds a Tanh, so every case fails on the faulty
plugin, and the first failing result is recorded before the campaign has handed out
its last case; the next worker that asks for work then gets the triage job, and the
campaign (whose time budget no run reaches) waits for the job before it ends.
"""
import json
import sqlite3
from collections import Counter

import pytest

from fuzzer.campaign.campaign import CampaignOptions, run_campaign
from fuzzer.cli import main as cli
from fuzzer.generate import GenConfig
from fuzzer.plugin import ENV_VAR
from tests.plugins.batchy import PLUGINS as BATCHABLE
from tests.plugins.faulty import PLUGINS
from tests.plugins.faulty_triage import PLUGINS as DIES_FILING

pytestmark = pytest.mark.slow

TANH_ONLY = GenConfig(max_nodes=3, ops=("tanh",), dtypes=frozenset({"float32"}))


def rows(db, sql):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_campaign_files_a_bug_folder_while_it_runs_and_the_rest_after_it(tmp_path, monkeypatch, capsys):
    from fuzzer.report.triage import choose
    from fuzzer.store import Store

    # the honest exporter is batchable: triage jobs and batches of cases share the workers
    monkeypatch.setenv(ENV_VAR, f"{PLUGINS},{BATCHABLE}")
    work, bugs = tmp_path / "work", tmp_path / "bugs"
    # (a batch's cases run the batchable exporters, the next job's the others: 12 cases reach both)
    assert cli(["run", "--minutes", "30", "--seed", "1", "--workers", "2", "--max-cases", "12", "--max-nodes", "3",
                "--ops", "tanh", "--dtypes", "float32", "--converters", "signflip,ts-batch", "--runtimes", "onnxruntime",
                "--workdir", str(work), "--file-bugs", str(bugs), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["tests"] == 12 and stats["session"]["batches"]["ts-batch"]["batches"] >= 1
    triage = stats["session"]["triage"]
    assert triage["folders"] >= 1 and triage["failed"] == [], triage
    db = work / "onnxfuzz.sqlite"
    [(ended,)] = rows(db, "SELECT ended FROM sessions")
    during = rows(db, "SELECT f.bug_id, f.folder, f.filed, f.first_hit, f.system FROM filed_bugs f JOIN triaged t "
                      "ON t.signature = f.signature WHERE t.during_campaign = 1")
    assert during
    for bug_id, folder, at, first_hit, system in during:
        assert system == "signflip"  # the honest exporter witnessed against it
        assert first_hit is not None and first_hit <= at < ended, "filed while the campaign ran"
        assert (bugs / bug_id / "repro.py").exists() and folder == str((bugs / bug_id).resolve())
    assert set(stats["bugs_filed"]) >= set(triage["bugs_filed"]) and stats["bugs_filed"]
    # everything the filer after a campaign chooses was triaged, during the campaign or after it
    store = Store.open(work, create=False)
    try:
        chosen = {r["signature"] for r in choose(store.signatures())}
        assert chosen and chosen <= store.triaged_signatures(bugs)
    finally:
        store.close()
    assert rows(db, "SELECT COUNT(*) FROM triaged WHERE during_campaign = 1")[0][0] == triage["jobs"]
    assert rows(db, "SELECT COUNT(*) FROM triaged WHERE during_campaign = 0")[0][0] == stats["filed_after_campaign"]
    # stats shows it, and measures it
    assert cli(["stats", "--workdir", str(work), "--json"]) == 0
    filing = json.loads(capsys.readouterr().out)["filing"]
    assert filing["folders_during_campaign"] == len(during) and filing["folders"] >= len(during)
    assert filing["first_hit_to_filed_seconds"]["n"] == filing["folders"]
    assert filing["first_hit_to_filed_seconds"]["median"] >= 0
    assert filing["signatures_per_minute"] > 0 and filing["folders_per_minute"] > 0
    assert cli(["stats", "--workdir", str(work)]) == 0
    assert "bug folders filed" in capsys.readouterr().out


def test_a_triage_job_that_kills_its_worker_does_not_end_the_campaign(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, DIES_FILING)
    work, bugs = tmp_path / "work", tmp_path / "bugs"
    opts = CampaignOptions(workdir=work, minutes=30, seed=2, workers=2, max_cases=6, config=TANH_ONLY,
                           exporters=["torchscript"], runtimes=["negate-dies-filing", "onnxruntime"], file_bugs=bugs)
    stats = run_campaign(opts)
    assert stats["tests"] == 6, "every case is recorded after the triage job killed its worker"
    assert stats["session"]["worker_restarts"] >= 1
    triage = stats["session"]["triage"]
    assert triage["jobs"] >= 1 and triage["folders"] == 0
    assert all("worker died: signal SIGABRT" in f["why"] for f in triage["failed"]) and triage["failed"]
    db = work / "onnxfuzz.sqlite"
    notes = rows(db, "SELECT note, during_campaign, bug_id FROM triaged")
    assert notes and all(n.startswith("triage failed: the worker died or stalled") and d == 1 and b is None
                         for n, d, b in notes)
    assert rows(db, "SELECT ended IS NOT NULL FROM sessions") == [(1,)]
    # and it is not triaged again after the campaign (that would run in the campaign's own process)
    from fuzzer.store import Store

    store = Store.open(work, create=False)
    try:
        assert store.triaged_signatures(bugs) == {r[0] for r in rows(db, "SELECT signature FROM triaged")}
    finally:
        store.close()


def test_a_job_that_stalls_its_worker_is_stopped_and_the_next_case_runs(tmp_path):
    """The supervisor's side of a hung triage job: no wall-clock race, the job never speaks."""
    from fuzzer.campaign.supervisor import Supervisor
    from fuzzer.case import CaseSpec
    from tests.plugins.faulty_triage import SilentJob

    sup = Supervisor(1, tmp_path / "logs")
    sup.start()
    jobs = [CaseSpec(case_id=1, seed=1, config=TANH_ONLY, exporters=["torchscript"], runtimes=["onnxruntime"]),
            SilentJob(-1)]
    try:
        results = list(sup.run(lambda: jobs.pop() if jobs else None, float("inf")))
    finally:
        sup.stop()
    assert [r.case_id for r in results] == [-1, 1]
    assert results[0].status == "triaged" and "no progress for 1 s in stage" in results[0].error
    assert results[1].status == "judged" and sup.restarts == 1


def test_a_filing_campaign_steers_cases_away_from_a_known_defects_system(tmp_path, monkeypatch, capsys):
    """A reviewed defect of TorchScript met in ten guises, every one holding a tanh: TorchScript,
    the campaign's only exporter, cannot be dropped from a case, so its swarms lose the tanh nine
    times in ten (fuzzer.campaign.known); --no-steer-known keeps them."""
    known = tmp_path / "known"
    for i in range(10):
        (known / f"k{i}").mkdir(parents=True)
        bug = {"system": "torchscript", "kind": "value_mismatch", **({"duplicate_of": "k0"} if i else {})}
        nodes = [{"id": 0, "op": "input", "attrs": {}, "inputs": [], "outputs": [{"dtype": "float32", "shape": [2]}]},
                 {"id": 1, "op": "tanh", "attrs": {}, "inputs": [[0, 0]], "outputs": [{"dtype": "float32", "shape": [2]}]}]
        graph = {"format": "onnxfuzz-graph/1", "nodes": nodes, "outputs": [[1, 0]]}
        (known / f"k{i}" / "case.json").write_text(json.dumps({"bug": bug, "graph": graph}))
    monkeypatch.setenv("ONNXFUZZ_KNOWN_BUGS", str(known))

    def campaign(name, *extra):
        work = tmp_path / name
        assert cli(["run", "--minutes", "30", "--seed", "3", "--workers", "2", "--max-cases", "40", "--max-nodes", "3",
                    "--ops", "tanh,relu,sigmoid", "--dtypes", "float32", "--converters", "torchscript",
                    "--runtimes", "onnxruntime", "--workdir", str(work), "--file-bugs", str(tmp_path / f"{name}-bugs"),
                    "--json", *extra]) == 0
        stats = json.loads(capsys.readouterr().out)
        return stats, sum("tanh" in ops for (ops,) in rows(work / "onnxfuzz.sqlite", "SELECT ops FROM cases"))

    stats, steered = campaign("steered")
    assert stats["tests"] == 40 and stats["session"]["known_defects"]["defects"] == 1
    assert stats["session"]["known_defects"]["cases_steered"] > 0
    unsteered_stats, unsteered = campaign("unsteered", "--no-steer-known")
    assert unsteered_stats["tests"] == 40 and "known_defects" not in unsteered_stats["session"]
    # nine in ten of the tanh swarms lose it (a swarm of tanh alone keeps it)
    assert unsteered >= 10 and steered <= unsteered / 3, (steered, unsteered)
