"""Swarm configurations (fuzzer.generate.swarm): a graph drawn in a swarm holds only the swarm's
ops (and the few the generator adds itself), the swarm is a function of its seed, a case replays
from its recorded swarm and seed to the identical graph, and the CLI flags reach the generator."""
from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings

from fuzzer.campaign.schedule import FairShare
from fuzzer.choices import NumpyChoices
from fuzzer.cli import main, parser
from fuzzer.generate import GenConfig, generate
from fuzzer.generate.swarm import MAX_OPS, MIN_OPS, Swarm, SwarmSchedule, draw_swarm, for_seed, swarm_for
from fuzzer.ir import DType
from fuzzer.ops import get_spec
from fuzzer.strategies import graphs

#: ops the generator adds on its own, whatever the config: domain guards (Builder.guard) and the
#: fallback's cast (generator._fallback)
GENERATOR_OWN = {"abs", "add", "mul", "tanh", "cast"}
FRONTENDS = ("torch", "onnx")


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_a_swarm_is_a_small_consistent_subset_of_its_base(frontend):
    base = GenConfig(frontend=frontend)
    usable = {s.name for s in base.specs()}
    sizes = set()
    for stretch in range(40):
        swarm = swarm_for(7, stretch, base)
        sizes.add(len(swarm.ops))
        assert MIN_OPS <= len(swarm.ops) <= MAX_OPS and len(set(swarm.ops)) == len(swarm.ops)
        assert set(swarm.ops) <= usable and swarm.frontend == frontend
        dtypes = {DType(d) for d in swarm.dtypes}
        assert dtypes <= base.dtypes
        # some dtype (the primary) is taken by every op; every other dtype by some op
        assert any(all(d in get_spec(op).dtypes for op in swarm.ops) for d in dtypes)
        assert all(any(d in get_spec(op).dtypes for op in swarm.ops) for d in dtypes)
        assert 1 <= swarm.max_rank <= base.max_rank and 1 <= swarm.max_inputs <= base.max_inputs
        assert not swarm.control_flow and not swarm.dynamic  # the base allows neither
        config = swarm.config(base)
        assert {s.name for s in config.specs()} == set(swarm.ops)  # every drawn op is drawable
    assert len(sizes) > 3  # sizes vary between swarms


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_graphs_drawn_in_a_swarm_hold_only_its_ops(frontend):
    base = GenConfig(frontend=frontend)
    for seed in range(60):
        swarm = for_seed(seed, base)
        graph = generate(NumpyChoices(seed), swarm.config(base))
        assert len(graph) >= 1
        assert set(graph.op_types()) <= set(swarm.ops) | GENERATOR_OWN, (seed, swarm.ops)
        # the graph starts from an input of a swarm dtype (ops add index inputs of their own dtypes)
        assert not graph.inputs or {v.type.dtype.value for v in graph.inputs} & set(swarm.dtypes)


def test_the_swarm_respects_the_users_ops_and_the_steered_pairs():
    ops = ("relu", "add", "mul", "matmul", "sigmoid", "tanh", "exp")
    base = GenConfig(ops=ops, avoid=frozenset({("exp", "float32")}))
    for stretch in range(30):
        swarm = swarm_for(1, stretch, base)
        assert set(swarm.ops) <= set(ops)
        if swarm.dtypes == ("float32",):
            assert "exp" not in swarm.ops


def test_a_base_steered_away_from_every_pair_still_draws_a_swarm():
    base = GenConfig(ops=("relu", "add"), dtypes=frozenset({DType.float32}),
                     avoid=frozenset({("relu", "float32"), ("add", "float32")}))
    swarm = swarm_for(0, 0, base)
    assert swarm.ops == ("add", "relu") and swarm.dtypes == ("float32",)
    assert len(generate(NumpyChoices(0), swarm.config(base))) >= 1  # the generator's fallback builds it


def test_control_flow_and_dynamic_only_where_the_base_allows_them():
    allowed = GenConfig(control_flow=True, dynamic=True)
    swarms = [swarm_for(3, k, allowed) for k in range(40)]
    assert any(s.control_flow for s in swarms) and any(not s.control_flow for s in swarms)
    assert any(s.dynamic for s in swarms) and any(not s.dynamic for s in swarms)
    for s in swarms:
        if not s.control_flow:
            assert not any(get_spec(op).control_flow for op in s.ops)


def test_the_plugin_subsets_are_never_empty_and_keep_their_order():
    base = GenConfig()
    for k in range(30):
        s = swarm_for(0, k, base, ["torchscript", "dynamo"], ["onnxoptimizer", "onnxsim"],
                      ["onnxruntime", "onnxruntime-noopt", "onnx-reference"])
        assert s.exporters and set(s.exporters) <= {"torchscript", "dynamo"}
        assert s.transformers and len(s.runtimes) >= 2
        assert list(s.runtimes) == [r for r in ("onnxruntime", "onnxruntime-noopt", "onnx-reference") if r in s.runtimes]


def test_the_same_seed_draws_the_same_swarm_and_others_differ():
    base = GenConfig()
    assert swarm_for(5, 2, base) == swarm_for(5, 2, base)
    assert len({swarm_for(5, k, base).ops for k in range(10)}) > 5
    # the ops come first in the stream: passing plugins does not change them
    assert swarm_for(5, 2, base, ["torchscript"], [], ["onnxruntime", "onnx-reference"]).ops == swarm_for(5, 2, base).ops


def test_a_swarm_round_trips_through_json():
    swarm = swarm_for(9, 4, GenConfig(control_flow=True), ["dynamo"], [], ["onnxruntime", "onnx-reference"])
    assert Swarm.from_json(json.loads(json.dumps(swarm.to_json()))) == swarm
    with pytest.raises(ValueError):
        Swarm.from_json({"frontend": "torch"})


def test_a_swarm_case_replays_from_its_recorded_swarm_and_seed_to_the_identical_graph(tmp_path):
    """What a campaign records of a failing case (case.json: seed and swarm) regenerates its graph."""
    from fuzzer.case import CaseResult
    from fuzzer.store import Store

    base = GenConfig()
    schedule = SwarmSchedule(11, base, {"torch": ["torchscript"]}, [], ["onnxruntime", "onnx-reference"])
    swarm = schedule.for_case(3, "torch")
    seed = 123456789
    graph = generate(NumpyChoices(seed), swarm.config(base))
    result = CaseResult(3, seed, "judged", graph_json=graph.dumps(), swarm=swarm.to_json())
    store = Store.open(tmp_path)
    try:
        store._write_artifacts(result)
    finally:
        store.close()
    meta = json.loads((tmp_path / "artifacts" / "case-3" / "case.json").read_text())
    recorded = Swarm.from_json(meta["swarm"])
    assert recorded == swarm
    again = generate(NumpyChoices(meta["seed"]), recorded.config(base))
    assert again.dumps() == graph.dumps()
    # and the swarm itself is re-derived from (campaign seed, case id) alone
    assert SwarmSchedule(11, base, {"torch": ["torchscript"]}, [], ["onnxruntime", "onnx-reference"]).for_case(3, "torch") == swarm


def test_cases_of_one_stretch_share_a_swarm_and_the_next_stretch_draws_anew():
    schedule = SwarmSchedule(0, GenConfig(), {"torch": ["torchscript"], "onnx": ["onnx-direct"]}, stretch=4)
    assert schedule.for_case(4, "torch") == schedule.for_case(7, "torch")
    assert schedule.for_case(4, "torch") != schedule.for_case(8, "torch")
    assert schedule.for_case(4, "onnx").frontend == "onnx"
    assert schedule.frontend_of("onnx-direct") == "onnx"
    with pytest.raises(ValueError):
        SwarmSchedule(0, GenConfig(), {}, stretch=0)
    with pytest.raises(ValueError):
        SwarmSchedule(0, GenConfig(), {}, pairing_stretch=0)


def test_a_plugin_pairing_lasts_its_own_longer_stretch():
    """Consecutive cases keep their exporters for a whole pairing stretch: the campaign batches
    consecutive cases of equal exporters (fuzzer.campaign.batching)."""
    runtimes = ["onnxruntime", "onnxruntime-noopt", "onnx-reference", "tract"]
    schedule = SwarmSchedule(2, GenConfig(), {"torch": ["torchscript", "dynamo", "dynamo-noopt"]},
                             ["onnxoptimizer", "onnxsim", "onnxslim"], runtimes, stretch=1, pairing_stretch=16)

    def pairing(s: Swarm):
        return s.exporters, s.transformers, s.runtimes

    first = [schedule.for_case(i, "torch") for i in range(16)]
    assert len({pairing(s) for s in first}) == 1 and len({s.ops for s in first}) > 8
    later = {pairing(schedule.for_case(16 * k, "torch")) for k in range(1, 12)}
    assert len(later) > 3


def test_fair_share_picks_the_least_used_among_the_swarms_plugins():
    share = FairShare(["a", "b", "c"], quantum=0.1)
    share.charge("b", 5.0)
    share.charge("c", 9.0)
    assert share.pick() == ["a"]
    assert share.pick(among=("b", "c")) == ["b"]
    assert share.pick(at_least=2, among=("b", "c")) == ["b", "c"]
    assert share.pick(among=()) == ["a"]  # no restriction


@pytest.mark.parametrize("command", ["gen", "run"])
def test_the_swarm_flag_parses_on_by_default(command):
    assert parser().parse_args([command]).swarm is True
    assert parser().parse_args([command, "--no-swarm"]).swarm is False
    assert parser().parse_args([command, "--swarm"]).swarm is True


@pytest.mark.parametrize("argv", [["gen", "--swarm=yes"], ["run", "--no-swarm=1"], ["gen", "--swarms"]])
def test_a_bad_swarm_flag_is_one_line_and_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "swarm" in err and len(err.splitlines()) == 1


def test_gen_draws_each_graph_in_its_seeds_swarm(capsys):
    assert main(["gen", "--count", "3", "--seed", "40", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["swarm"] is True
    for g in report["graphs"]:
        swarm = for_seed(g["seed"], GenConfig())
        ops = {n["op"] for n in g["graph"]["nodes"]}
        assert ops <= set(swarm.ops) | GENERATOR_OWN | {"input", "const"}, (ops, swarm.ops)
        assert json.dumps(g["graph"], sort_keys=True) == json.dumps(
            generate(NumpyChoices(g["seed"]), swarm.config(GenConfig())).to_json(), sort_keys=True)
    assert main(["gen", "--count", "1", "--seed", "40", "--json", "--no-swarm"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["swarm"] is False
    assert plain["graphs"][0]["graph"] == generate(NumpyChoices(40), GenConfig()).to_json()


def test_run_passes_the_swarm_flag_to_the_campaign(monkeypatch, tmp_path):
    import fuzzer.campaign.campaign as campaign

    seen = {}

    def fake(opts):
        seen["swarm"] = opts.swarm
        return {"session": {}}

    monkeypatch.setattr(campaign, "run_campaign", fake)
    monkeypatch.setattr("fuzzer.cli.stats.print_summary", lambda *a, **k: None)
    for flag, want in (("--no-swarm", False), ("--swarm", True)):
        args = ["run", "--workdir", str(tmp_path), "--converters", "onnx-direct",
                "--runtimes", "onnxruntime,onnx-reference", flag]
        assert main(args) == 0
        assert seen["swarm"] is want


@settings(max_examples=20, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(graphs(swarm=True, min_nodes=16, max_nodes=20))
def test_the_hypothesis_strategy_draws_swarm_graphs_of_few_op_types(g):
    assert len(g) <= 20
    # a swarm holds at most MAX_OPS specs (the generator adds a few of its own): sixteen ops or
    # more drawn from all ~180 would nearly always be of more types than that
    assert len(set(g.op_types()) - GENERATOR_OWN) <= MAX_OPS
