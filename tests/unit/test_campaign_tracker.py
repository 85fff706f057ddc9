"""Campaign workers keep a PathTracker, and a case retried after a worker death runs the same graph.

These start a real (spawned) worker: what is tested is the pipe protocol between
worker and supervisor, which only exists across processes.
"""
import time

import pytest

from fuzzer.case import CaseSpec
from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, PathTracker, generate
from fuzzer.ir import Graph
from fuzzer.plugin import ENV_VAR
from tests.plugins.faulty import PLUGINS

# sigmoid is what the aborting runtime dies on; the other ops give the tracker choices to steer
CONFIG = GenConfig(min_nodes=3, max_nodes=5, ops=("sigmoid", "tanh", "neg", "abs", "exp", "add", "mul"),
                   dtypes=frozenset({"float32"}))


def _run(sup, specs, seconds=240):
    pending = list(reversed(specs))
    sup.start()
    try:
        return list(sup.run(lambda: pending.pop() if pending else None, time.monotonic() + seconds))
    finally:
        sup.stop()


def _seeds_where_the_tracker_matters():
    """(first seed, second seed): the second case's graph after the first differs from its
    graph in a fresh worker, and contains sigmoid (so the aborting runtime kills it)."""
    for first in range(1, 40):
        for second in range(first + 1, first + 40):
            tracker = PathTracker()
            generate(NumpyChoices(first), CONFIG, tracker)
            guided = generate(NumpyChoices(second), CONFIG, tracker)
            fresh = generate(NumpyChoices(second), CONFIG, PathTracker())
            if "sigmoid" in guided.op_types() and guided.to_json() != fresh.to_json():
                return first, second, guided
    pytest.fail("no seed pair where the tracker changes the graph")


def test_a_retry_after_a_worker_death_runs_the_graph_the_dead_worker_generated(tmp_path, monkeypatch):
    from fuzzer.campaign import Supervisor

    monkeypatch.setenv(ENV_VAR, PLUGINS)
    first, second, guided = _seeds_where_the_tracker_matters()
    specs = [
        CaseSpec(case_id=1, seed=first, config=CONFIG, exporters=["torchscript"], runtimes=["onnxruntime"], opset=17),
        CaseSpec(case_id=2, seed=second, config=CONFIG, exporters=["torchscript"], runtimes=["aborter", "onnxruntime"],
                 opset=17),
    ]
    sup = Supervisor(1, tmp_path)
    results = {r.case_id: r for r in _run(sup, specs)}
    assert set(results) == {1, 2}
    assert sup.restarts >= 1, "the aborting runtime must have killed the worker"
    crashed = results[2]
    kinds = {(v.runtime, v.kind.value) for v in crashed.verdicts}
    assert ("aborter", "run_crash") in kinds and ("onnxruntime", "pass") in kinds
    # the fresh worker's tracker was empty: had it regenerated from the seed, the graph would differ
    assert Graph.loads(crashed.graph_json).to_json() == guided.to_json()
    assert crashed.ops == guided.op_types()
    # the supervisor counted the judged graphs' paths
    assert sup.paths2 and all(len(p) == 2 for p in sup.paths2)


def test_the_final_crash_result_carries_the_graph_when_every_retry_dies(tmp_path, monkeypatch):
    """Only the aborting runtime: after the last retry the supervisor makes up the result itself."""
    from fuzzer.campaign import Supervisor
    from fuzzer.campaign import supervisor as sup_mod

    monkeypatch.setenv(ENV_VAR, PLUGINS)
    monkeypatch.setattr(sup_mod, "MAX_RETRIES", 0)  # the first death is the last
    first, second, guided = _seeds_where_the_tracker_matters()
    specs = [
        CaseSpec(case_id=1, seed=first, config=CONFIG, exporters=["torchscript"], runtimes=["onnxruntime"], opset=17),
        CaseSpec(case_id=2, seed=second, config=CONFIG, exporters=["torchscript"], runtimes=["aborter"], opset=17),
    ]
    results = {r.case_id: r for r in _run(Supervisor(1, tmp_path), specs)}
    crashed = results[2]
    assert [v.kind.value for v in crashed.verdicts] == ["run_crash"]
    assert crashed.graph_json is not None
    assert Graph.loads(crashed.graph_json).to_json() == guided.to_json()
    assert "sigmoid" in crashed.ops


def test_without_diversity_workers_generate_from_the_seed_alone(tmp_path):
    from fuzzer.campaign import Supervisor

    specs = [CaseSpec(case_id=i, seed=10 + i, config=CONFIG, exporters=["torchscript"], runtimes=["onnxruntime"],
                      opset=17) for i in (1, 2, 3)]
    sup = Supervisor(1, tmp_path, diversity=False)
    results = {r.case_id: r for r in _run(sup, specs)}
    for i in (1, 2, 3):
        assert results[i].ops == generate(NumpyChoices(10 + i), CONFIG).op_types()
        assert "generate" in results[i].timings
