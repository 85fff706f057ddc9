"""A campaign worker: a long-lived process that runs many cases in-process.

Workers are never forked from the process that supervises them: a child forked
from a process that has already computed with torch hangs in its first torch op
(OpenMP). They fork from a forkserver that has imported torch and the exporters
but computed nothing (fuzzer.campaign.preload), or are spawned afresh
(ONNXFUZZ_WORKER_START=spawn), and then run cases at in-process speed (about 4x
faster than a fresh process per case, measured).

Each worker keeps one PathTracker (fuzzer.generate.diversity) across its cases,
so the graphs it generates favour op paths it has not produced yet. A graph
then depends on the worker's history, not on the case's seed alone: a case
retried in a fresh worker (after a crash, hang or out-of-memory) would get a
different graph. So the worker generates the graph itself and sends it to the
supervisor before any system under test runs; the supervisor's retry, and the
crash verdict it records, carry that very graph.

Protocol on the pipe, worker -> supervisor:
    ("ready",)                          after imports, before the first case
    ("graph", case_id, graph_json, paths)
                                        the case's graph, before its first risky stage;
                                        paths: its distinct (2-op, 3-op) op paths
    ("dynamic", case_id, plan_json)     the case's dynamic-shape plan, once decided and before any
                                        system under test runs (a dynamic case only)
    ("stage", case_id, stage, path, rt) before each call into a system under test
    ("done", CaseResult)                a finished case
    ("error", case_id, traceback)       onnxfuzz itself failed on this case

A batch of cases (fuzzer.batch.BatchSpec) sends one "graph" message per case
first, then "stage" messages naming the case they concern ("reference" before
each case's reference; a packed export names the tuple of case ids exported
together), and one "done" or "error" message per case, as each case ends.
"""
from __future__ import annotations

import os
import sys
import traceback


def main(conn, log_path: str, diversity: bool = True, environ: dict | None = None) -> None:
    """Serve CaseSpecs from conn until it sends None.

    Args:
        conn: the worker's end of the supervisor's pipe.
        log_path: where this process's stdout and stderr go.
        diversity: keep a PathTracker across cases (False: plain generation, for comparison).
        environ: the supervisor's environment when it started this worker, which a worker
            forked from the forkserver would not otherwise have (it inherits the forkserver's).
    """
    if environ is not None:
        os.environ.clear()
        os.environ.update(environ)
    import tempfile

    # its own temporary folder (TMPDIR, which the supervisor made and removes): what a system
    # under test or a plugin leaves there when this worker is killed mid-case is not left behind
    tempfile.tempdir = None  # forked from the forkserver, it would keep the one chosen there
    # The systems under test print freely (and C++ code writes to fd 2 directly):
    # send all of it to a per-worker log, which crash reports quote from.
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    import warnings

    warnings.filterwarnings("ignore")
    import torch

    torch.set_num_threads(1)
    from fuzzer.batch import BatchSpec
    from fuzzer.case import CaseSpec, run_case
    from fuzzer.generate.diversity import PathTracker

    tracker = PathTracker() if diversity else None
    conn.send(("ready",))
    while True:
        spec = conn.recv()
        if spec is None:
            return
        print(f"--- case {spec.case_id} seed {spec.seed}", flush=True)

        def progress(stage, path, runtime, _id=spec.case_id):
            conn.send(("stage", _id, stage.value, path, runtime))

        # run_case calls this with the dynamic plan as soon as it has one: the supervisor's
        # retry after a death, and the crash verdict it records, must redo that plan
        progress.planned = lambda plan, _id=spec.case_id: conn.send(("dynamic", _id, plan))

        if isinstance(spec, BatchSpec):
            _run_batch(spec, tracker, conn)
            continue
        try:
            if not isinstance(spec, CaseSpec):  # any other job (a fuzzer.case.Job) runs itself
                result, seconds = spec.run(progress), 0.0
            else:
                spec, seconds = _with_graph(spec, tracker, conn)
                result = run_case(spec, progress)
        except Exception:
            conn.send(("error", spec.case_id, traceback.format_exc()))
            continue
        if seconds:
            result.timings["generate"] = seconds
            result.total_seconds += seconds
        conn.send(("done", result))


def _run_batch(batch, tracker, conn) -> None:
    """Run a BatchSpec: every case's graph sent first, then each case's result as it ends."""
    from fuzzer.batch import BatchSpec, run_batch

    members, generated = [], {}
    for spec in batch.members:
        try:
            spec, generated[spec.case_id] = _with_graph(spec, tracker, conn)
        except Exception:  # onnxfuzz's generator failed on this case: the others go on
            conn.send(("error", spec.case_id, traceback.format_exc()))
            continue
        members.append(spec)
    if not members:
        return

    def announce(ids, stage, path, runtime):
        conn.send(("stage", ids, stage, path, runtime))

    ended = set()
    try:
        for msg in run_batch(BatchSpec(members, batch.keep_out), announce):
            case_id = msg[1].case_id if msg[0] == "done" else msg[1]
            if msg[0] == "done" and generated.get(case_id):
                msg[1].timings["generate"] = generated[case_id]
                msg[1].total_seconds += generated[case_id]
            conn.send(msg)
            ended.add(case_id)
    except Exception:  # onnxfuzz itself failed between cases: each case not ended yet is an error
        tb = traceback.format_exc()
        for spec in members:
            if spec.case_id not in ended:
                conn.send(("error", spec.case_id, tb))


def _with_graph(spec, tracker, conn):
    """(spec carrying its graph as JSON, seconds spent generating it), the graph sent to the
    supervisor first. A spec that already carries a graph (a mutated seed, a retry, the
    minimizer's) keeps it; the tracker still learns its paths."""
    import dataclasses
    import time

    from fuzzer.case import case_frontend
    from fuzzer.choices import NumpyChoices
    from fuzzer.generate import generate
    from fuzzer.generate.diversity import paths
    from fuzzer.ir import Graph

    t0 = time.perf_counter()
    seconds = 0.0
    if spec.graph_json is None:
        config = spec.config
        frontend = case_frontend(spec.exporters)
        if frontend != config.frontend:
            config = dataclasses.replace(config, frontend=frontend)
        # the same stream run_case would draw the graph from; run_case then redraws inputs
        # from the seed's start, as it does for every case that carries its graph
        graph = generate(NumpyChoices(spec.seed), config, tracker)
        spec = dataclasses.replace(spec, graph_json=graph.dumps())
        seconds = time.perf_counter() - t0
    else:
        graph = Graph.loads(spec.graph_json)
        if tracker is not None:
            tracker.update(graph)
    found = (sorted(paths(graph, 2)), sorted(paths(graph, 3)))
    conn.send(("graph", spec.case_id, spec.graph_json, found))
    return spec, seconds
