"""Run a fuzzing campaign."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from fuzzer.cli.base import Command, add_generator_options, emit_json, generator_config, name_list, positive_float, positive_int


def _ratio(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1], got {value}")
    return value


class Run(Command):
    """Run a fuzzing campaign: generate graphs, convert, execute, judge, record.

    Results go to an SQLite database in --workdir; a campaign run again on the
    same workdir resumes from it. Exit code 0 when the campaign completes
    (failures found are data, see `onnxfuzz stats`), 2 on bad usage.
    """

    name = "run"

    def add_arguments(self, p):
        p.add_argument("--minutes", type=positive_float, default=1.0, help="wall-time budget (default 1)")
        p.add_argument("--seed", type=int, default=0, help="campaign seed (default 0)")
        p.add_argument("--workers", type=positive_int, default=None, help="worker processes (default 2; not with --scheduler)")
        p.add_argument("--scheduler", default=None, metavar="ADDRESS|local:N",
                       help="run on a Dask cluster: a scheduler's address (tcp://host:8786), or local:N to start "
                            "a local one of N workers; every Dask worker thread runs one isolated case process")
        p.add_argument("--workdir", type=Path, default=Path("onnxfuzz-work"), help="campaign directory (default ./onnxfuzz-work)")
        p.add_argument("--converters", type=name_list, default=None, help="comma-separated exporters (default: every available one)")
        p.add_argument("--runtimes", type=name_list, default=None, help="comma-separated runtimes (default: every available one)")
        p.add_argument("--opset", type=positive_int, default=None, help="one opset for every exporter (default: drawn per case)")
        p.add_argument("--max-cases", type=positive_int, default=None, help="stop after this many cases")
        p.add_argument("--stage-timeout", type=positive_float, default=60.0, help="seconds one stage may take before it is a hang (default 60)")
        p.add_argument("--memory-limit", type=positive_int, default=4096, help="worker memory limit in MiB (default 4096)")
        p.add_argument("--no-steer", dest="steer", action="store_false",
                       help="also generate (op, dtype) pairs that every selected runtime's probe refuses")
        p.add_argument("--file-bugs", type=Path, default=None, metavar="DIR",
                       help="minimize each distinct failure and file the reproducible ones under DIR: the workers do it "
                            "while the campaign runs (new failures first), and what is left is filed after it")
        p.add_argument("--triage-workers", type=positive_int, default=1, metavar="N",
                       help="with --file-bugs: at most N workers triage at once, up to half the workers while more "
                            "than 8 signatures wait (default 1)")
        p.add_argument("--file-likely-repeats", action="store_true",
                       help="with --file-bugs: write a failure near a filed bug (same exporter function or rewrite rule, "
                            "another face) as a new folder, instead of holding it in DIR/likely-repeats.json")
        p.add_argument("--no-steer-known", dest="steer_known", action="store_false",
                       help="with --file-bugs: send cases to a system as often whatever its known defects (default: a "
                            "case holding an op most reviewed guises of a known defect held seldom goes to its system)")
        p.add_argument("--seeds", default=None, metavar="all|NAME,...|DIR",
                       help="also mutate seed graphs: all (architecture blocks and onnx node tests), "
                            "comma-separated seed names (or onnx-node), or a directory of graph JSON files")
        p.add_argument("--mutate-ratio", type=_ratio, default=None,
                       help="fraction of cases that mutate a seed (default 0.5 with --seeds)")
        p.add_argument("--no-batch", dest="batch", action="store_false",
                       help="export one graph per case with every exporter (default: exporters with a high fixed "
                            "cost, dynamo and tf2onnx, export several graphs at once; ONNXFUZZ_BATCH=0 does the same)")
        p.add_argument("--swarm", action=argparse.BooleanOptionalAction, default=True,
                       help="each case generates within a small random configuration: a few ops, their dtypes, "
                            "size toggles and a subset of the converters and runtimes (default: on)")
        p.add_argument("--guided", action=argparse.BooleanOptionalAction, default=None,
                       help="coverage guidance (default on; ONNXFUZZ_GUIDED=0 turns it off): a share of the "
                            "cases mutate the workdir's corpus of cases that first hit a rule of a system "
                            "under test, and swarms favour ops linked to rules no case has hit yet")
        p.add_argument("--json", action="store_true", help="print the final stats as JSON")
        add_generator_options(p)

    def run(self, args) -> int:
        from fuzzer.campaign.campaign import CampaignOptions, run_campaign
        from fuzzer.errors import UsageError
        from fuzzer.plugin import select

        if args.scheduler is not None and args.workers is not None:
            raise UsageError("--workers counts local processes; with --scheduler every Dask worker thread runs one")
        if args.scheduler is not None:
            from fuzzer.campaign.cluster import local_workers

            local_workers(args.scheduler)  # a malformed local:N fails here, before anything starts
        if args.triage_workers != 1 and args.file_bugs is None:
            raise UsageError("--triage-workers needs --file-bugs")
        if args.file_likely_repeats and args.file_bugs is None:
            raise UsageError("--file-likely-repeats needs --file-bugs")
        if not args.steer_known and args.file_bugs is None:
            raise UsageError("--no-steer-known needs --file-bugs")
        if args.mutate_ratio is not None and args.seeds is None:
            raise UsageError("--mutate-ratio needs --seeds")
        if args.seeds is not None:
            from fuzzer.campaign.campaign import load_seed_graphs

            load_seed_graphs(args.seeds, args.workdir / "cache")  # a bad --seeds fails here, before any worker starts
        chosen = select("converter", args.converters)
        if args.opset is not None:
            for c in chosen:
                if c.kind == "exporter" and args.opset not in c.opsets:
                    raise UsageError(f"converter {c.name!r} supports opsets {min(c.opsets)}-{max(c.opsets)}, not {args.opset}")
        exporters = [p.name for p in chosen if p.kind == "exporter"]
        transformers = [p.name for p in chosen if p.kind == "transformer"]
        runtimes = [p.name for p in select("runtime", args.runtimes)]
        if not exporters:
            raise UsageError("no exporter selected or available: a case starts from one; see `onnxfuzz doctor`")
        if not runtimes:
            raise UsageError("no runtime is available; see `onnxfuzz doctor`")
        opts = CampaignOptions(
            workdir=args.workdir,
            minutes=args.minutes,
            seed=args.seed,
            workers=2 if args.workers is None else args.workers,
            scheduler=args.scheduler,
            exporters=exporters,
            transformers=transformers,
            runtimes=runtimes,
            config=dataclasses.replace(generator_config(args), max_opset=args.opset),
            opset=args.opset,
            max_cases=args.max_cases,
            stage_timeout=args.stage_timeout,
            memory_limit_mb=args.memory_limit,
            quiet=args.json,
            steer=args.steer,
            seeds=args.seeds,
            mutate_ratio=0.5 if args.mutate_ratio is None else args.mutate_ratio,
            file_bugs=args.file_bugs,
            triage_workers=args.triage_workers,
            steer_known=args.steer_known,
            swarm=args.swarm,
            **({} if args.guided is None else {"guided": args.guided}),
        )
        if not args.batch:
            opts.batch = False
        from fuzzer.report.likely import writing_likely_repeats

        with writing_likely_repeats(args.file_likely_repeats):
            stats = run_campaign(opts)
            if args.file_bugs is not None:
                stats.update(_file_the_rest(args, exporters, runtimes, stats["session"].get("triage", {})))
        if args.json:
            emit_json(stats)
        else:
            from fuzzer.cli.stats import print_summary

            print_summary(stats, args.workdir)
        return 0


def _file_the_rest(args, exporters: list[str], runtimes: list[str], during: dict) -> dict:
    """File what the workers did not triage during the campaign; the bugs filed in all."""
    import sys

    from fuzzer.campaign.triage_jobs import file_after_campaign, new_bugs
    from fuzzer.report.triage import failed
    from fuzzer.store import Store

    def show(o) -> None:
        if not args.json:
            print(f"triaged after the campaign: {o.signature} {o.filed.bug_id if o.filed else '-'} {o.note.splitlines()[0] if o.note else ''}",
                  file=sys.stderr, flush=True)

    outcomes = file_after_campaign(args.workdir, args.file_bugs, exporters, runtimes, on_outcome=show)
    store = Store.open(args.workdir, create=False)
    try:
        filing = store.filing_stats()
    finally:
        store.close()
    return {"bugs_filed": sorted(set(during.get("bugs_filed", [])) | set(new_bugs(outcomes))),
            "triage_failed": during.get("failed", []) + failed(outcomes), "filing": filing,
            "filed_after_campaign": len(outcomes)}
