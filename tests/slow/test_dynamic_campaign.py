"""A campaign with dynamic shapes on real worker processes: dynamic cases get judged at
several sizes, and none of its failures comes from onnxfuzz declaring dims wrongly."""
import json
import sqlite3

import pytest

from fuzzer.campaign.campaign import CampaignOptions, run_campaign
from fuzzer.generate import GenConfig

pytestmark = pytest.mark.slow

# What a runtime says when a model declares a dim static that the feeds change: had the
# exporters been asked for dynamic dims and not given them, or the plan been wrong about
# which dims it sent at other sizes, it would show up as this.
_FIXED_DIM = ("Got invalid dimensions for input", "input shape mismatch", "Wrong shape for input")


def test_dynamic_campaign_judges_cases_at_several_sizes(tmp_path):
    opts = CampaignOptions(workdir=tmp_path, minutes=5, seed=11, workers=2, max_cases=40,
                           config=GenConfig(dynamic=True), exporters=["torchscript", "dynamo", "onnx-direct"],
                           runtimes=["onnxruntime", "onnx-reference"])
    stats = run_campaign(opts)
    assert stats["tests"] == 40
    assert stats["cases_with"]["dynamic"] > 0 and "control_flow" in stats["cases_with"]
    assert stats["verdicts_at_several_sizes"] > 0
    session = stats["cases_with_by_session"]
    assert sum(s["dynamic"] for s in session.values()) == stats["cases_with"]["dynamic"]

    conn = sqlite3.connect(tmp_path / "onnxfuzz.sqlite")
    plans = [json.loads(p) for (p,) in conn.execute("SELECT dynamic FROM cases WHERE dynamic IS NOT NULL")]
    rows = conn.execute("SELECT case_id, kind, error, stats FROM verdicts").fetchall()
    conn.close()
    for p in plans:  # every stored plan is one a rerun can replay
        assert p["dims"] and p["sizes"] and all(set(s) == set(p["base"]) for s in p["sizes"])
    at_other_size = [r for r in rows if "size" in json.loads(r[3])]
    for case_id, kind, error, _ in at_other_size:
        assert not any(t in error for t in _FIXED_DIM), f"case {case_id}: a dim declared dynamic was fixed: {error}"
        assert error.splitlines()[-1].startswith("at size "), "the verdict names the size it failed at"
        # the evidence of every size is kept: a rerun uses the same inputs
        assert (tmp_path / "artifacts" / f"case-{case_id}" / "case.json").exists()
        assert "dynamic" in json.loads((tmp_path / "artifacts" / f"case-{case_id}" / "case.json").read_text())


def test_dynamic_control_flow_campaign_runs_clean_and_judges_those_cases(tmp_path):
    """--dynamic --control-flow: control-flow cases get dynamic dims and are judged at several
    sizes, and onnxfuzz itself fails on none of them."""
    control = {"cond", "onnx_if", "while_loop", "onnx_loop", "scan", "onnx_scan"}
    cfg = GenConfig(dynamic=True, control_flow=True, max_nodes=4,
                    ops=("cond", "while_loop", "scan", "onnx_if", "onnx_loop", "onnx_scan", "add", "tanh", "mul"))
    # every case on the dynamic, control-flow config (a swarm turns each of the two on for half its cases)
    opts = CampaignOptions(workdir=tmp_path, minutes=5, seed=5, workers=2, max_cases=30, config=cfg,
                           exporters=["dynamo", "onnx-direct"], runtimes=["onnxruntime", "onnx-reference"],
                           swarm=False, guided=False)
    stats = run_campaign(opts)
    assert stats["tests"] == 30
    assert stats["cases_by_status"].get("error", 0) == 0
    assert stats["cases_with"]["dynamic"] > 0 and stats["cases_with"]["control_flow"] > 0
    assert stats["session"]["paths_2op"] > 0

    conn = sqlite3.connect(tmp_path / "onnxfuzz.sqlite")
    cases = conn.execute("SELECT id, ops FROM cases WHERE dynamic IS NOT NULL AND status IN ('judged', 'unstable')").fetchall()
    flowing = {cid for cid, ops in cases if control & set(json.loads(ops))}
    several = {cid for cid, st in conn.execute("SELECT case_id, stats FROM verdicts") if "sizes" in json.loads(st)}
    conn.close()
    assert flowing & several, "some control-flow case with dynamic dims was judged at more than one size"
