"""Campaigns on a Dask LocalCluster: per-case isolation inside Dask workers, the client's store, resume.

Graphs here are drawn with diversity off, so each case's graph follows from its
seed alone whichever Dask worker runs it: which cases hit a faulty plugin is
fixed, and the assertions name them exactly.
"""
import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from fuzzer.campaign.campaign import CampaignOptions, run_campaign
from fuzzer.generate import GenConfig

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    """One LocalCluster for the tests that connect to an existing scheduler: its workers keep
    their supervisors warm from test to test, as a long-lived cluster would."""
    from fuzzer.campaign.cluster import start_local_cluster

    c = start_local_cluster(2)
    yield c
    c.close()


def rows(workdir, sql):
    with sqlite3.connect(workdir / "onnxfuzz.sqlite") as conn:
        return conn.execute(sql).fetchall()


def test_local_cluster_campaign_survives_a_segfaulting_runtime(tmp_path, faulty):
    cfg = GenConfig(max_nodes=2, ops=("sigmoid", "add", "neg"), dtypes=frozenset({"float32"}))
    opts = CampaignOptions(workdir=tmp_path, minutes=3, seed=5, max_cases=10, config=cfg, diversity=False,
                           exporters=["torchscript"], runtimes=["aborter", "onnxruntime"], scheduler="local:2")
    stats = run_campaign(opts)
    assert stats["tests"] == 10 and stats["session"]["scheduler"] == {"address": "local:2", "threads": 2, "lost_chunks": 0}
    cases = dict(rows(tmp_path, "SELECT id, ops FROM cases WHERE status = 'judged'"))
    assert len(cases) >= 8
    verdicts = {(c, rt): (kind, err) for c, rt, kind, err in rows(tmp_path, "SELECT case_id, runtime, kind, error FROM verdicts")}
    with_sigmoid = {c for c, ops in cases.items() if "sigmoid" in json.loads(ops)}
    assert with_sigmoid and with_sigmoid != set(cases), "the seeds must give cases on both sides"
    for c in cases:
        kind, error = verdicts[(c, "aborter")]
        if c in with_sigmoid:  # the aborter killed its case process: a verdict, and the case goes on
            assert kind == "run_crash" and "SIGABRT" in error
        else:
            assert kind == "pass"
        # the surviving runtime judged every case, those that killed a process included
        assert verdicts[(c, "onnxruntime")][0] == "pass"
    assert stats["session"]["worker_restarts"] >= len(with_sigmoid)


def run_on(cluster, tmp_path, ops, runtimes, cases, **kw):
    """A campaign on the module's cluster; returns ({case id: ops} of judged cases, {(case, runtime): (kind, stage)})."""
    cfg = GenConfig(max_nodes=2, ops=ops, dtypes=frozenset({"float32"}))
    opts = CampaignOptions(workdir=tmp_path, minutes=3, seed=2, max_cases=cases, config=cfg, diversity=False,
                           exporters=["torchscript"], runtimes=runtimes, scheduler=cluster.scheduler_address, **kw)
    stats = run_campaign(opts)
    assert stats["tests"] == cases and stats["session"]["scheduler"]["lost_chunks"] == 0
    judged = {c: set(json.loads(ops)) for c, ops in rows(tmp_path, "SELECT id, ops FROM cases WHERE status = 'judged'")}
    verdicts = {(c, rt): (kind, stage) for c, rt, kind, stage in rows(tmp_path, "SELECT case_id, runtime, kind, stage FROM verdicts")}
    return judged, verdicts


def test_a_hang_on_an_existing_cluster_is_a_verdict(tmp_path, faulty, cluster):
    judged, verdicts = run_on(cluster, tmp_path, ("exp", "neg"), ["hanger", "onnxruntime"], 4, stage_timeout=5)
    with_exp = {c for c, ops in judged.items() if "exp" in ops}
    assert with_exp
    for c in with_exp:
        assert verdicts[(c, "hanger")] == ("hang", "load")
    for c in judged:  # the surviving runtime judged every case, those that hung included
        assert verdicts[(c, "onnxruntime")][0] == "pass"


def test_a_runaway_allocation_on_an_existing_cluster_is_a_verdict(tmp_path, faulty, cluster):
    judged, verdicts = run_on(cluster, tmp_path, ("neg", "abs"), ["hog", "onnxruntime"], 3, memory_limit_mb=1500)
    with_neg = {c for c, ops in judged.items() if "neg" in ops}
    assert with_neg
    for c in with_neg:
        assert verdicts[(c, "hog")] == ("oom", "run")
    for c in judged:
        assert verdicts[(c, "onnxruntime")][0] == "pass"


def test_a_killed_client_resumes_on_the_same_workdir(tmp_path, cluster):
    argv = [sys.executable, "-m", "fuzzer", "run", "--scheduler", cluster.scheduler_address, "--workdir", str(tmp_path),
            "--converters", "torchscript", "--runtimes", "onnxruntime,onnx-reference", "--max-nodes", "3", "--json"]
    proc = subprocess.Popen(argv + ["--minutes", "5"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    db = tmp_path / "onnxfuzz.sqlite"
    deadline = time.monotonic() + 120
    stored = 0
    while stored < 4 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.5)
        try:
            stored = rows(tmp_path, "SELECT COUNT(*) FROM cases")[0][0] if db.exists() else 0
        except sqlite3.OperationalError:  # the file is there, its schema not yet (a loaded machine shows the gap)
            stored = 0
    assert stored >= 4, proc.stderr.read().decode()[-2000:] if proc.poll() is not None else "no case stored in 120 s"
    proc.send_signal(signal.SIGKILL)  # no chance to close anything: only what is committed survives
    proc.wait(timeout=30)
    before = rows(tmp_path, "SELECT id, seed, status FROM cases ORDER BY id")
    assert rows(tmp_path, "SELECT ended FROM sessions") == [(None,)]

    again = subprocess.run(argv + ["--minutes", "3", "--max-cases", "3"], capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout)["tests"] == len(before) + 3
    after = rows(tmp_path, "SELECT id, seed, status, session FROM cases ORDER BY id")
    assert [r[:3] for r in after[: len(before)]] == before, "everything stored before the kill is kept as it was"
    new = [r for r in after if r[3] == 2]
    assert len(new) == 3 and min(r[0] for r in new) > max(r[0] for r in before), "no stored case is redone"


def test_an_unreachable_scheduler_is_a_usage_error(monkeypatch):
    from fuzzer.campaign import cluster
    from fuzzer.errors import UsageError

    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 2)
    pool = cluster.DaskPool("tcp://127.0.0.1:9", cluster.isolation_for(10, 1000, False, None))
    with pytest.raises(UsageError, match="cannot reach the Dask scheduler"):
        pool.start()


def test_a_daemonic_dask_worker_refuses_to_run_cases_unisolated():
    """Dask's default nanny makes workers daemonic; they could not start case processes."""
    from distributed import Client, LocalCluster

    from fuzzer.campaign.cluster import isolation_for, run_chunk
    from fuzzer.errors import UsageError

    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0") as c, Client(c, set_as_default=False) as client:
        future = client.submit(run_chunk, [], isolation_for(10, 1000, False, None), time.time() + 60, 1.0)
        with pytest.raises(UsageError, match="DASK_DISTRIBUTED__WORKER__DAEMON=False"):
            future.result()
