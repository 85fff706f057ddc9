"""Campaign workers keep a PathTracker, and a case retried after a worker death runs the same graph.

These start a real (spawned) worker: what is tested is the pipe protocol between
worker and supervisor, which only exists across processes.
"""
import dataclasses
import time
from collections import deque

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
    from fuzzer.campaign.supervisor import Supervisor

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
    from fuzzer.campaign.supervisor import Supervisor
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
    from fuzzer.campaign.supervisor import Supervisor

    specs = [CaseSpec(case_id=i, seed=10 + i, config=CONFIG, exporters=["torchscript"], runtimes=["onnxruntime"],
                      opset=17) for i in (1, 2, 3)]
    sup = Supervisor(1, tmp_path, diversity=False)
    results = {r.case_id: r for r in _run(sup, specs)}
    for i in (1, 2, 3):
        assert results[i].ops == generate(NumpyChoices(10 + i), CONFIG).op_types()
        assert "generate" in results[i].timings


class _Recorded(deque):
    """The supervisor's retry queue, remembering every spec it was given."""

    def __init__(self):
        super().__init__()
        self.given = []

    def append(self, spec):
        self.given.append(spec)
        super().append(spec)


def _dynamic_death_case(runtimes):
    """A dynamic case (its plan left to the worker) on a runtime that kills its process only at
    another size than the base one, and the plan run_case decides for it in-process."""
    from fuzzer.case import run_case
    from tests.unit.test_dynamic_repro import F32, _node
    from fuzzer.ir import TensorType

    g = Graph()
    x = g.add_input(TensorType(F32, (3, 2)))
    g.outputs = [_node(g, "relu", [x])]
    spec = CaseSpec(case_id=5, seed=3, config=GenConfig(dynamic=True), exporters=["torchscript"], runtimes=runtimes,
                    graph_json=g.dumps(), opset=17)
    planned = run_case(dataclasses.replace(spec, runtimes=["onnxruntime"])).dynamic
    assert planned is not None, "the case must have dims to vary"
    return spec, planned


@pytest.fixture
def firstsize_abort(monkeypatch):
    from tests.unit.test_dynamic_repro import PLUGINS as DYNAMIC

    monkeypatch.setenv(ENV_VAR, f"{PLUGINS},{DYNAMIC}")


def test_a_death_at_another_size_is_retried_and_recorded_with_the_workers_plan(tmp_path, firstsize_abort):
    from fuzzer.campaign.supervisor import Supervisor

    spec, planned = _dynamic_death_case(["firstsize-abort", "onnxruntime"])
    sup = Supervisor(1, tmp_path)
    sup.retries = _Recorded()
    [result] = _run(sup, [spec])
    assert sup.restarts >= 1, "the runtime must have killed the worker at the other size"
    assert [s.dynamic for s in sup.retries.given] == [planned], "the retry redoes the dead worker's plan"
    kinds = {(v.runtime, v.kind.value) for v in result.verdicts}
    assert ("firstsize-abort", "run_crash") in kinds and ("onnxruntime", "pass") in kinds
    assert result.dynamic == planned


def test_the_result_made_up_after_the_last_death_carries_the_plan(tmp_path, firstsize_abort, monkeypatch):
    from fuzzer.campaign.supervisor import Supervisor
    from fuzzer.campaign import supervisor as sup_mod

    monkeypatch.setattr(sup_mod, "MAX_RETRIES", 0)  # the first death is the last: the supervisor records it
    spec, planned = _dynamic_death_case(["firstsize-abort"])
    [result] = _run(Supervisor(1, tmp_path), [spec])
    [death] = result.verdicts
    assert death.kind.value == "run_crash" and death.error.startswith("worker died")
    assert result.dynamic == planned and result.graph_json == spec.graph_json
