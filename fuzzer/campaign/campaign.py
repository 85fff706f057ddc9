"""A fuzzing campaign: schedule cases over workers, record every result, report progress."""
from __future__ import annotations

import dataclasses
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from fuzzer.campaign.schedule import FairShare
from fuzzer.campaign.supervisor import Supervisor
from fuzzer.case import CaseSpec
from fuzzer.generate import GenConfig
from fuzzer.ir import Graph
from fuzzer.store import Store, case_seed


@dataclass
class CampaignOptions:
    workdir: Path
    minutes: float = 1.0
    seed: int = 0
    workers: int = 2
    exporters: list[str] = field(default_factory=lambda: ["torchscript", "dynamo"])
    transformers: list[str] = field(default_factory=list)
    runtimes: list[str] = field(default_factory=lambda: ["onnxruntime", "onnxruntime-noopt", "onnx-reference"])
    config: GenConfig = field(default_factory=GenConfig)
    opset: int | None = None
    max_cases: int | None = None
    stage_timeout: float = 60.0
    memory_limit_mb: int = 4096
    quiet: bool = False
    #: skip (op, dtype) pairs every selected runtime's cached probe refuses (fuzzer.probe.steer)
    steer: bool = True
    #: seed graphs to mutate (a --seeds value: "all", names, or a directory), or None for none
    seeds: str | None = None
    #: the fraction of cases that mutate a seed rather than generate from scratch
    mutate_ratio: float = 0.5
    #: each worker favours op paths it has not produced yet (fuzzer.generate.diversity); the
    #: environment variable ONNXFUZZ_DIVERSITY=0 turns it off, to measure what it brings
    diversity: bool = field(default_factory=lambda: os.environ.get("ONNXFUZZ_DIVERSITY", "1") != "0")
    #: a Dask scheduler's address, or local:N for a LocalCluster of N workers (fuzzer.campaign.cluster);
    #: None runs `workers` local processes
    scheduler: str | None = None
    #: file new distinct failures under this bugs directory while the campaign runs
    #: (fuzzer.campaign.triage_jobs); None files nothing here
    file_bugs: Path | None = None
    #: at most this many workers triage at once (more while many signatures wait)
    triage_workers: int = 1
    #: how long the reduction of one signature may take
    triage_seconds: float = 180.0
    #: export the graphs of exporters with a high fixed cost (Exporter.batchable) several at a
    #: time (fuzzer.campaign.batching); --no-batch or ONNXFUZZ_BATCH=0 exports one graph per case
    batch: bool = field(default_factory=lambda: os.environ.get("ONNXFUZZ_BATCH", "1") != "0")
    #: each case generates within a small random configuration (fuzzer.generate.swarm): a few ops,
    #: their dtypes, size toggles and a subset of the plugins; --no-swarm draws from everything
    swarm: bool = True
    #: coverage guidance (fuzzer.campaign.guidance): mutate the workdir's corpus of cases that first
    #: hit a rule, and favour ops linked to rules not hit yet; ONNXFUZZ_GUIDED=0 turns it off (to measure)
    guided: bool = field(default_factory=lambda: os.environ.get("ONNXFUZZ_GUIDED", "1") != "0")
    #: the share of a guided campaign's cases that mutate a corpus graph
    corpus_ratio: float = 0.2
    #: with file_bugs: a case holding an op family most reviewed guises of a known defect held seldom
    #: goes to that defect's system (fuzzer.campaign.known); --no-steer-known sends it as often as any
    steer_known: bool = True


def run_campaign(opts: CampaignOptions) -> dict:
    """Run a campaign to its time (or case) budget; returns the workdir's stats."""
    store = Store.open(opts.workdir)
    avoided = _steering(opts) if opts.steer else frozenset()
    if avoided:
        opts = dataclasses.replace(opts, config=dataclasses.replace(opts.config, avoid=avoided))
    args = {k: v for k, v in vars(opts).items() if k not in ("config", "workdir")}
    args["config"] = {k: sorted(map(str, v)) if isinstance(v, frozenset) else v for k, v in vars(opts.config).items()}
    seeder = _Seeder(opts) if opts.seeds else None
    display = _Display(opts, quiet=opts.quiet)
    sup = _runner(opts, display.note)
    sup.start()  # before the session: a scheduler that cannot be reached is a usage error, not a session
    session = store.begin_session(opts.seed, sup.n, args)
    triage = _triage_jobs(opts, store, session, sup.n, display.note)
    share = FairShare(opts.exporters, warmup=sup.n)
    tshare = FairShare(opts.transformers, warmup=sup.n) if opts.transformers else None
    # Every runtime on every case would let the slowest (OpenVINO compiles each model) set
    # the pace: runtimes share time too, and each case gets at least two for a differential.
    rshare = FairShare(opts.runtimes, quantum=0.2, warmup=sup.n)
    swarms = _swarms(opts) if opts.swarm else None
    guide = None
    if opts.guided:
        from fuzzer.campaign.guidance import Guide

        guide = Guide(store, opts.seed, opts.config, opts.corpus_ratio)
    known = _known_defects(opts)
    next_id = [store.next_case_id()]
    issued = [0]

    def next_case() -> CaseSpec | None:
        if opts.max_cases is not None and issued[0] >= opts.max_cases:
            return None
        cid = next_id[0]
        next_id[0] += 1
        issued[0] += 1
        exporters = _one_frontend(share.pick(), share.spent)
        # the least-used exporter stays, whatever the swarm: fair sharing must not starve it
        lead = min(exporters, key=share.spent.__getitem__)
        config, swarm = opts.config, None
        if swarms is not None:
            swarm = swarms.for_case(cid, swarms.frontend_of(exporters[0]),
                                    guide.boost(cid) if guide is not None else frozenset())
            exporters = [e for e in exporters if e in swarm.exporters or e == lead]
        graph_json = (seeder.graph_for(cid, exporters) if seeder is not None else None) \
            or (guide.graph_for(cid, exporters) if guide is not None else None)
        runtimes, transformers = list(swarm.runtimes if swarm else ()), list(swarm.transformers if swarm else ())
        if known is not None and (swarm is not None or graph_json is not None):
            ops = tuple(Graph.loads(graph_json).op_types()) if graph_json else swarm.ops
            steered = known.steer(cid, ops, graph_json is not None,
                                  exporters, lead, runtimes or list(opts.runtimes), transformers or list(opts.transformers))
            exporters, runtimes, transformers = steered.exporters, steered.runtimes, steered.transformers
            if steered.dropped_ops:
                swarm = dataclasses.replace(swarm, ops=tuple(o for o in swarm.ops if o not in steered.dropped_ops))
        if swarm is not None:
            config = swarm.config(opts.config)
        return CaseSpec(
            case_id=cid,
            seed=case_seed(opts.seed, cid),
            config=config,
            exporters=exporters,
            runtimes=rshare.pick(at_least=2, among=runtimes),
            transformers=tshare.pick(among=transformers) if tshare else [],
            opset=opts.opset,
            graph_json=graph_json,
            swarm=swarm.to_json() if swarm is not None else None,
        )

    batcher = None
    if opts.batch:
        from fuzzer.campaign.batching import Batcher

        batcher = Batcher(opts.exporters, warmup=sup.n)
    cases = batcher.wrap(next_case) if batcher is not None else next_case

    def next_spec():
        """A triage job when one is due (never batched: it is no case), else the next case or batch."""
        if triage is not None and (job := triage.next_job()) is not None:
            return job
        return cases()
    previous = _stop_on_sigterm()
    done = failures = 0
    started = time.monotonic()
    try:
        deadline = started + opts.minutes * 60
        display.start()
        for result in sup.run(next_spec, deadline):
            if triage is not None and triage.owns(result):
                triage.finish(result)
                display.update(done, failures, time.monotonic() - started, triage.filed())
                continue
            new = store.record(result, session, list(result.path_seconds) or [])
            if batcher is not None:
                batcher.learn(result)
            if triage is not None:
                triage.observe(result, new)
            for name, seconds in result.path_seconds.items():
                share.charge(name, seconds)
                if tshare is not None:
                    tshare.charge(name, seconds)
            for key, seconds in result.timings.items():
                stage, _, name = key.partition(":")
                if stage in ("load", "run"):
                    rshare.charge(name, seconds)
            done += 1
            failures += len(result.failures)
            display.update(done, failures, time.monotonic() - started, triage.filed() if triage is not None else None)
            if done % 20 == 0:
                store.sample_throughput(session, done, failures)
    except KeyboardInterrupt:
        display.note("interrupted: everything recorded so far is kept")
    finally:
        display.stop()
        sup.stop()
        store.sample_throughput(session, done, failures)
        store.end_session(session)
        _restore_sigterm(previous)
    stats = store.stats()
    stats["session"] = {"cases": done, "failures": failures, "seconds": round(time.monotonic() - started, 2),
                        "worker_restarts": sup.restarts, "steered_away_pairs": len(avoided),
                        # this session's judged graphs only: the store keeps no graph of a passing case
                        "diversity": opts.diversity, "paths_2op": len(sup.paths2), "paths_3op": len(sup.paths3),
                        "swarm": opts.swarm, "swarms_drawn": swarms.drawn if swarms is not None else 0}
    if seeder is not None:
        stats["session"]["seeds"] = seeder.summary()
    if guide is not None:
        stats["session"]["guidance"] = guide.summary()
    if triage is not None:
        stats["session"]["triage"] = triage.summary()
    if known is not None:
        stats["session"]["known_defects"] = known.summary()
    if batcher is not None:
        stats["session"]["batches"] = batcher.summary()
    if opts.scheduler is not None:
        stats["session"]["scheduler"] = {"address": opts.scheduler, "threads": sup.n, "lost_chunks": sup.lost_chunks}
    store.close()
    return stats


def _runner(opts: CampaignOptions, note):
    """What runs the cases: local worker processes, or a Dask cluster whose every worker thread
    keeps the same per-case isolation."""
    if opts.scheduler is None:
        return Supervisor(opts.workers, opts.workdir / "logs", opts.stage_timeout, opts.memory_limit_mb, diversity=opts.diversity)
    from fuzzer.campaign.cluster import DaskPool, isolation_for, local_workers

    # a local cluster shares the client's disk: its case processes log into the workdir
    logdir = opts.workdir / "logs" if local_workers(opts.scheduler) is not None else None
    isolation = isolation_for(opts.stage_timeout, opts.memory_limit_mb, opts.diversity, logdir)
    return DaskPool(opts.scheduler, isolation, note)


def _triage_jobs(opts: CampaignOptions, store: Store, session: int, workers: int, note):
    """The queue of signatures the campaign's workers triage, or None when nothing is filed now: without
    --file-bugs, or on a remote cluster, whose workers need not see this workdir's artifacts nor
    write into the bugs directory here (the filer runs after the campaign then)."""
    if opts.file_bugs is None:
        return None
    if opts.scheduler is not None:
        from fuzzer.campaign.cluster import local_workers

        if local_workers(opts.scheduler) is None:
            note("--file-bugs on a remote Dask cluster: bugs are filed after the campaign, on this machine")
            return None
    from fuzzer.campaign.triage_jobs import TriageJobs

    return TriageJobs(store, session, opts.workdir, opts.file_bugs, opts.exporters, opts.runtimes, workers,
                      opts.triage_workers, max_seconds=opts.triage_seconds, stage_timeout=opts.stage_timeout,
                      memory_limit_mb=opts.memory_limit_mb)


class _Seeder:
    """Which cases start from a mutated seed, and that seed.

    Per case, drawn from the case id alone (so a campaign replays): with probability
    mutate_ratio the case mutates a seed its exporters' frontend can materialize (a
    torch-exportable architecture seed for the torch exporters; an imported ONNX node
    test only for onnx-direct, which can build it), else it generates from scratch.
    Mutation runs here, in the supervisor, and the case carries the graph as JSON.
    """

    SALT = 0x5EED5

    def __init__(self, opts: CampaignOptions) -> None:
        self.opts = opts
        self.seeds = load_seed_graphs(opts.seeds, opts.workdir / "cache")
        self.pools: dict[str, list[str]] = {}
        self.used = {"mutated": 0, "generated": 0, "no_seed_for_frontend": 0}

    def pool(self, frontend: str) -> list[str]:
        if frontend not in self.pools:
            from fuzzer.ops import get_spec

            self.pools[frontend] = sorted(
                name for name, g in self.seeds.items()
                if all(get_spec(op).serves(frontend) for op in set(g.op_types())))
        return self.pools[frontend]

    def graph_for(self, cid: int, exporters: list[str]) -> str | None:
        from fuzzer.case import case_frontend
        from fuzzer.choices import NumpyChoices
        from fuzzer.errors import UsageError
        from fuzzer.generate.mutate import mutate

        choices = NumpyChoices(case_seed(self.opts.seed ^ self.SALT, cid))
        if not choices.boolean(self.opts.mutate_ratio):
            self.used["generated"] += 1
            return None
        frontend = case_frontend(exporters)
        names = self.pool(frontend)
        if not names:
            self.used["no_seed_for_frontend"] += 1
            return None
        seed = self.seeds[choices.choice(names)]
        config = dataclasses.replace(self.opts.config, frontend=frontend)
        try:
            graph = mutate(seed, choices, config)
        except UsageError:  # no op of this frontend fits the configured dtypes: run the seed as it is
            graph = seed
        self.used["mutated"] += 1
        return graph.dumps()

    def summary(self) -> dict:
        return {"available": len(self.seeds), **self.used}


def load_seed_graphs(spec: str, cache_dir: Path | None = None) -> dict:
    """The seed graphs a --seeds value names (see seeds.load_seeds); UsageError when it names none."""
    try:
        import seeds
    except ImportError:
        # seeds/ sits beside the fuzzer package in a checkout, outside the installed packages
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        import seeds
    graphs = seeds.load_seeds(spec, cache_dir)
    if not graphs:
        from fuzzer.errors import UsageError

        raise UsageError(f"--seeds {spec!r} names no seed graph")
    return graphs


def _swarms(opts: CampaignOptions):
    """The campaign's SwarmSchedule: each frontend's swarms pick among that frontend's exporters."""
    from fuzzer.generate.swarm import SwarmSchedule
    from fuzzer.plugin import load_plugin

    by_frontend: dict[str, list[str]] = {}
    for name in opts.exporters:
        by_frontend.setdefault(load_plugin("converter", name).frontend, []).append(name)
    return SwarmSchedule(opts.seed, opts.config, by_frontend, opts.transformers, opts.runtimes)


def _known_defects(opts: CampaignOptions):
    """The reviewed defects a filing campaign steers away from (fuzzer.campaign.known), or None:
    without --file-bugs, with --no-steer-known, or when the bugs directories hold none."""
    if opts.file_bugs is None or not opts.steer_known:
        return None
    from fuzzer.campaign.known import KnownDefects
    from fuzzer.report.writer import known_bug_dirs

    known = KnownDefects.from_dirs(known_bug_dirs(opts.file_bugs), opts.seed)
    return known if known.defects else None


def _one_frontend(exporters: list[str], spent: dict[str, float]) -> list[str]:
    """The exporters, out of those picked, that share the least-used one's frontend: a
    case draws its graph for one frontend (torch, direct ONNX, TensorFlow), and fair
    sharing still rotates through every frontend."""
    from fuzzer.plugin import load_plugin

    lead = min(exporters, key=lambda e: spent.get(e, 0.0))
    frontend = load_plugin("converter", lead).frontend
    return [e for e in exporters if load_plugin("converter", e).frontend == frontend]


def _steering(opts: CampaignOptions) -> frozenset:
    """The (op, dtype) pairs to avoid, from cached probes only: a campaign never waits for a probe."""
    from fuzzer.plugin import load_plugin
    from fuzzer.probe import cached
    from fuzzer.probe.steer import avoided_pairs

    return avoided_pairs([load_plugin("runtime", r) for r in opts.runtimes], cached)


def _stop_on_sigterm():
    """`kill` and cluster schedulers send SIGTERM: end the campaign as Ctrl-C does (every
    finished case is already committed; this also closes the session and stops the workers)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, stop)


def _restore_sigterm(previous) -> None:
    import signal

    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


class _Display:
    """A rich progress bar on a terminal; a status line every 10 s otherwise (CI logs)."""

    def __init__(self, opts: CampaignOptions, quiet: bool) -> None:
        self.total = opts.minutes * 60
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.progress = None
        self.last_line = 0.0

    def start(self) -> None:
        if self.quiet or not self.tty:
            return
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("[bold]fuzzing"), BarColumn(), TimeElapsedColumn(), TextColumn("/"), TimeRemainingColumn(),
            TextColumn("{task.fields[cases]} cases  {task.fields[rate]:.1f}/s  [red]{task.fields[failures]} failures"
                       "[/]{task.fields[filed]}"),
            transient=False,
        )
        self.progress.start()
        self.task = self.progress.add_task("fuzz", total=self.total, cases=0, rate=0.0, failures=0, filed="")

    def update(self, cases: int, failures: int, elapsed: float, filed: int | None = None) -> None:
        """filed: bug folders filed so far while the campaign runs (None: the campaign files none)."""
        rate = cases / elapsed if elapsed > 0 else 0.0
        filed_text = "" if filed is None else f"  {filed} bugs filed"
        if self.progress is not None:
            self.progress.update(self.task, completed=min(elapsed, self.total), cases=cases, rate=rate, failures=failures,
                                 filed=filed_text)
        elif not self.quiet and elapsed - self.last_line >= 10:
            self.last_line = elapsed
            print(f"[{elapsed:6.0f} s] {cases} cases, {rate:.1f}/s, {failures} failures{filed_text.replace('  ', ', ')}",
                  file=sys.stderr, flush=True)

    def note(self, text: str) -> None:
        print(text, file=sys.stderr)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
