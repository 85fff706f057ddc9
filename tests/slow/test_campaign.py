"""End-to-end campaigns on real worker processes."""
import json
import sqlite3

import pytest

from fuzzer.campaign.campaign import CampaignOptions, run_campaign
from fuzzer.generate import GenConfig
from fuzzer.plugin import ENV_VAR
from tests.plugins.faulty import PLUGINS

pytestmark = pytest.mark.slow


def verdict_rows(workdir):
    conn = sqlite3.connect(workdir / "onnxfuzz.sqlite")
    rows = conn.execute("SELECT case_id, path, runtime, kind, stage, signature, error FROM verdicts").fetchall()
    conn.close()
    return rows


def test_short_campaign_records_everything_and_resumes(tmp_path):
    opts = CampaignOptions(workdir=tmp_path, minutes=2, seed=3, workers=2, max_cases=40, exporters=["torchscript", "dynamo"])
    stats = run_campaign(opts)
    assert stats["tests"] == 40
    assert stats["judged"] >= 30  # a few may be discarded (no finite ground truth) or unstable
    assert stats["verdicts"].get("pass", 0) > 0
    assert {"torchscript", "dynamo"} <= set(stats["per_plugin"])  # fair sharing gives dynamo cases too
    assert stats["session"]["worker_restarts"] == 0
    # a second run on the same workdir continues the case numbering and keeps the first run's data
    stats2 = run_campaign(CampaignOptions(workdir=tmp_path, minutes=2, seed=3, workers=1, max_cases=5, exporters=["torchscript"]))
    assert stats2["tests"] == 45 and stats2["sessions"] == 2
    # every failing verdict left its evidence on disk
    for case_id, _path, _runtime, _kind, _stage, sig, _error in verdict_rows(tmp_path):
        if sig is not None:
            assert (tmp_path / "artifacts" / f"case-{case_id}" / "graph.json").exists()


def test_sign_flipping_converter_is_caught_with_its_signature(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, PLUGINS)
    cfg = GenConfig(max_nodes=4, ops=("tanh", "add", "mul"), dtypes=frozenset({"float32"}))
    opts = CampaignOptions(workdir=tmp_path, minutes=2, seed=1, workers=1, max_cases=12, config=cfg,
                           exporters=["signflip", "torchscript"], runtimes=["onnxruntime"])
    run_campaign(opts)
    rows = verdict_rows(tmp_path)
    flipped = [r for r in rows if r[1].startswith("signflip")]
    honest = [r for r in rows if r[1].startswith("torchscript")]
    assert flipped and honest
    mismatches = [r for r in flipped if r[3] == "value_mismatch"]
    assert mismatches, "the sign flip went unnoticed"
    assert all(r[3] == "pass" for r in honest), "the honest exporter must not be blamed"
    conn = sqlite3.connect(tmp_path / "onnxfuzz.sqlite")
    sigs = conn.execute("SELECT kind, path, runtime, ops FROM signatures").fetchall()
    assert sigs and all(s[0] == "value_mismatch" and s[1].startswith("signflip") for s in sigs)
    assert all("tanh" in json.loads(s[3]) for s in sigs)


def test_segfaulting_and_hanging_runtimes_do_not_stop_the_campaign(tmp_path, monkeypatch):
    """Deterministic under load: the aborter dies on every Sigmoid model; the hanger hangs on
    every Exp model (caught within its own 1 s stage_timeout, counted from its load's
    announcement) and refuses the others at once; every other stage has the campaign's
    default limit, which no legitimate stage reaches."""
    monkeypatch.setenv(ENV_VAR, PLUGINS)
    cfg = GenConfig(max_nodes=3, ops=("sigmoid", "exp", "add", "neg"), dtypes=frozenset({"float32"}))
    opts = CampaignOptions(workdir=tmp_path, minutes=10, seed=2, workers=2, max_cases=10, config=cfg,
                           exporters=["torchscript"], runtimes=["aborter", "hanger", "onnxruntime"])
    stats = run_campaign(opts)
    assert stats["tests"] == 10, "every case must be recorded despite dead workers"
    assert stats["session"]["worker_restarts"] > 0
    rows = verdict_rows(tmp_path)
    aborts = [r for r in rows if r[2] == "aborter" and r[3] == "run_crash"]
    hangs = [r for r in rows if r[2] == "hanger" and r[3] == "hang"]
    assert aborts and all("SIGABRT" in r[6] for r in aborts)
    assert hangs and all(r[4] == "load" and "no progress for 1 s in stage load" in r[6] for r in hangs)
    assert {r[3] for r in rows if r[2] == "hanger"} == {"hang", "unsupported"}, "nothing else happens in the hanger"
    conn = sqlite3.connect(tmp_path / "onnxfuzz.sqlite")
    with_exp = {c for (c, ops) in conn.execute("SELECT id, ops FROM cases") if "exp" in json.loads(ops)}
    conn.close()
    # fair sharing gives each case at least two of the three runtimes: those the hanger was given
    given = {r[0] for r in rows if r[2] == "hanger"}
    assert {r[0] for r in hangs} == with_exp & given, "every case with an Exp hung the hanger, and only those"
    # the surviving runtime still judged the cases that killed the others
    killed = {r[0] for r in aborts + hangs}
    assert {r[0] for r in rows if r[2] == "onnxruntime" and r[3] == "pass"} & killed


def test_runaway_allocation_is_an_oom_verdict(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, PLUGINS)
    cfg = GenConfig(max_nodes=2, ops=("neg", "abs"), dtypes=frozenset({"float32"}))
    opts = CampaignOptions(workdir=tmp_path, minutes=3, seed=4, workers=1, max_cases=4, config=cfg,
                           exporters=["torchscript"], runtimes=["hog", "onnxruntime"], memory_limit_mb=1500)
    stats = run_campaign(opts)
    assert stats["tests"] == 4
    rows = verdict_rows(tmp_path)
    ooms = [r for r in rows if r[2] == "hog" and r[3] == "oom"]
    assert ooms and all(r[4] == "run" and "MiB" in r[6] for r in ooms)


def test_the_last_case_killing_its_worker_is_still_recorded_whole(tmp_path, monkeypatch):
    """Regression: with no new work left, a case queued for retry after a death used to be dropped."""
    import time

    from fuzzer.campaign.supervisor import Supervisor
    from fuzzer.case import CaseSpec

    monkeypatch.setenv(ENV_VAR, PLUGINS)
    cfg = GenConfig(min_nodes=1, max_nodes=1, ops=("sigmoid",), dtypes=frozenset({"float32"}))
    spec = CaseSpec(case_id=7, seed=1, config=cfg, exporters=["torchscript"], runtimes=["aborter", "onnxruntime"], opset=17)
    sup = Supervisor(1, tmp_path)
    sup.start()
    pending = [spec]
    try:
        results = list(sup.run(lambda: pending.pop() if pending else None, time.monotonic() + 120))
    finally:
        sup.stop()
    assert [r.case_id for r in results] == [7]
    kinds = {(v.runtime, v.kind.value) for v in results[0].verdicts}
    assert ("aborter", "run_crash") in kinds and ("onnxruntime", "pass") in kinds
    assert results[0].graph_json is not None, "the retry keeps the evidence of the fatal pair"


def test_sigterm_ends_a_campaign_cleanly_and_keeps_its_results(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "fuzzer", "run", "--minutes", "5", "--workers", "1", "--workdir", str(tmp_path),
         "--converters", "torchscript", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    db = tmp_path / "onnxfuzz.sqlite"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # wait until some cases are committed
        time.sleep(1)
        if db.exists():
            with sqlite3.connect(db) as conn:
                if conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0] >= 5:
                    break
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    with sqlite3.connect(db) as conn:
        cases = conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
        ended = conn.execute("SELECT ended FROM sessions").fetchone()[0]
    assert cases >= 5 and ended is not None
    assert json.loads(proc.stdout.read())["tests"] == cases
