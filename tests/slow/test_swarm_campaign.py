"""A swarm campaign on real workers: each failing case records the swarm it was drawn in, that
swarm is the one (campaign seed, case id) derives, and the case's graph holds only its ops."""
import json

import pytest

from fuzzer.campaign.campaign import CampaignOptions, run_campaign
from fuzzer.convert.base import Transformer
from fuzzer.generate import GenConfig
from fuzzer.generate.swarm import Swarm, SwarmSchedule
from fuzzer.ir import Graph
from fuzzer.plugin import ENV_VAR

pytestmark = pytest.mark.slow

#: ops the generator adds on its own (domain guards, the fallback's cast)
GENERATOR_OWN = {"abs", "add", "mul", "tanh", "cast"}


class AlwaysCrashes(Transformer):
    """An "optimizer" that raises on every model: every judged case fails, and keeps its evidence."""

    name = "alwayscrashes"

    def transform(self, model, opset):
        raise RuntimeError("alwayscrashes: refuses every model")


def test_failing_cases_record_their_swarm_and_hold_only_its_ops(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "converter:alwayscrashes=tests.slow.test_swarm_campaign:AlwaysCrashes")
    # more ops than a swarm holds at most, so that each swarm is a real subset
    ops = ("tanh", "sin", "neg", "exp", "relu", "sigmoid", "floor", "ceil", "softplus", "elu", "selu", "silu",
           "hardtanh")
    cfg = GenConfig(max_nodes=5, ops=ops, dtypes=frozenset({"float32"}))
    exporters, transformers, runtimes = ["torchscript"], ["alwayscrashes"], ["onnxruntime", "onnx-reference"]
    opts = CampaignOptions(workdir=tmp_path, minutes=3, seed=5, workers=1, max_cases=10, config=cfg,
                           exporters=exporters, transformers=transformers, runtimes=runtimes, swarm=True)
    stats = run_campaign(opts)
    assert stats["tests"] == 10 and stats["session"]["swarm"] and stats["session"]["swarms_drawn"] == 10
    schedule = SwarmSchedule(5, cfg, {"torch": exporters}, transformers, runtimes)
    seen = set()
    for case_json in sorted((tmp_path / "artifacts").glob("case-*/case.json")):
        meta = json.loads(case_json.read_text())
        swarm = Swarm.from_json(meta["swarm"])
        assert swarm == schedule.for_case(meta["case_id"], "torch")
        graph = Graph.loads((case_json.parent / "graph.json").read_text())
        assert set(graph.op_types()) <= set(swarm.ops) | GENERATOR_OWN
        seen.add(swarm.ops)
    assert len(seen) >= 5, "every judged case fails: most of the ten swarms must show"
