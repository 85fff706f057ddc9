"""A fuzzing campaign: schedule cases over workers, record every result, report progress."""
from __future__ import annotations

import dataclasses
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from fuzzer.campaign.schedule import FairShare
from fuzzer.campaign.supervisor import Supervisor
from fuzzer.case import CaseSpec
from fuzzer.generate import GenConfig
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


def run_campaign(opts: CampaignOptions) -> dict:
    """Run a campaign to its time (or case) budget; returns the workdir's stats."""
    store = Store.open(opts.workdir)
    avoided = _steering(opts) if opts.steer else frozenset()
    if avoided:
        opts = dataclasses.replace(opts, config=dataclasses.replace(opts.config, avoid=avoided))
    args = {k: v for k, v in vars(opts).items() if k not in ("config", "workdir")}
    args["config"] = {k: sorted(map(str, v)) if isinstance(v, frozenset) else v for k, v in vars(opts.config).items()}
    session = store.begin_session(opts.seed, opts.workers, args)
    share = FairShare(opts.exporters)
    tshare = FairShare(opts.transformers) if opts.transformers else None
    # Every runtime on every case would let the slowest (OpenVINO compiles each model) set
    # the pace: runtimes share time too, and each case gets at least two for a differential.
    rshare = FairShare(opts.runtimes, quantum=0.2)
    next_id = [store.next_case_id()]
    issued = [0]

    def next_spec() -> CaseSpec | None:
        if opts.max_cases is not None and issued[0] >= opts.max_cases:
            return None
        cid = next_id[0]
        next_id[0] += 1
        issued[0] += 1
        return CaseSpec(
            case_id=cid,
            seed=case_seed(opts.seed, cid),
            config=opts.config,
            exporters=_one_frontend(share.pick(), share.spent),
            runtimes=rshare.pick(at_least=2),
            transformers=tshare.pick() if tshare else [],
            opset=opts.opset,
        )

    sup = Supervisor(opts.workers, opts.workdir / "logs", opts.stage_timeout, opts.memory_limit_mb)
    previous = _stop_on_sigterm()
    display = _Display(opts, quiet=opts.quiet)
    done = failures = 0
    started = time.monotonic()
    sup.start()
    try:
        deadline = started + opts.minutes * 60
        display.start()
        for result in sup.run(next_spec, deadline):
            store.record(result, session, list(result.path_seconds) or [])
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
            display.update(done, failures, time.monotonic() - started)
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
                        "worker_restarts": sup.restarts, "steered_away_pairs": len(avoided)}
    store.close()
    return stats


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
            TextColumn("{task.fields[cases]} cases  {task.fields[rate]:.1f}/s  [red]{task.fields[failures]} failures"),
            transient=False,
        )
        self.progress.start()
        self.task = self.progress.add_task("fuzz", total=self.total, cases=0, rate=0.0, failures=0)

    def update(self, cases: int, failures: int, elapsed: float) -> None:
        rate = cases / elapsed if elapsed > 0 else 0.0
        if self.progress is not None:
            self.progress.update(self.task, completed=min(elapsed, self.total), cases=cases, rate=rate, failures=failures)
        elif not self.quiet and elapsed - self.last_line >= 10:
            self.last_line = elapsed
            print(f"[{elapsed:6.0f} s] {cases} cases, {rate:.1f}/s, {failures} failures", file=sys.stderr, flush=True)

    def note(self, text: str) -> None:
        print(text, file=sys.stderr)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
