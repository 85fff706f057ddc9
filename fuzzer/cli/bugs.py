"""Triage the filed bugs: list, show, verify, export, and file a campaign's findings."""
from __future__ import annotations

import json
from pathlib import Path

from fuzzer.cli.base import Command, emit_json, name_list
from fuzzer.cli.reduce import check_case_version


def _load(bugs_dir: Path) -> list[dict]:
    out = []
    for case in sorted(bugs_dir.glob("*/case.json")):
        try:
            out.append(json.loads(case.read_text())["bug"])
        except (json.JSONDecodeError, KeyError):
            continue
    return out


def _one(bugs_dir: Path, bug_id: str) -> Path:
    from fuzzer.errors import UsageError

    d = bugs_dir / bug_id
    if not (d / "case.json").exists():
        known = ", ".join(b["id"] for b in _load(bugs_dir)) or "none"
        raise UsageError(f"no bug {bug_id!r} in {bugs_dir} (known: {known})")
    return d


class Bugs(Command):
    """Triage the filed bugs: list, show ID, verify [ID...], export ID, file --workdir DIR.

    `list` shows each bug's rule at fault (the rule of its system found to make the failure:
    a symbolic or torchlib function, a transformer, a pass, a kernel), its known upstream issue or fix (case.json bug.upstream), can keep one
    system's bugs (--system) and hide those of deprecated systems (--no-deprecated); withdrawn
    and duplicate folders only with --all. `verify` re-runs each bug's repro.py with the
    installed versions, marks it reproduces or fixed, and exits 1 if any still reproduces.
    `export` prints the issue as the system's tracker expects it: title, what goes wrong,
    the repro inline, expected against actual, the rule at fault where known, environment.
    `file` writes no folder for a root cause already filed in --bugs-dir or a known bugs
    directory (--known-bugs; by default the onnxfuzz checkout's reviewed bugs/): it counts a
    hit there instead (in the folder's case.json, or in --bugs-dir's duplicates.json for a
    folder of the reviewed collection, which it never writes to).
    """

    name = "bugs"

    def add_arguments(self, p):
        p.add_argument("action", choices=["list", "show", "verify", "export", "file"])
        p.add_argument("ids", nargs="*", help="bug ids (show, export: exactly one; verify: default all)")
        p.add_argument("--bugs-dir", type=Path, default=Path("bugs"), help="where bugs are filed (default ./bugs)")
        p.add_argument("--workdir", type=Path, default=None, help="file: the campaign workdir to triage")
        p.add_argument("--limit", type=int, default=None, help="file: at most this many signatures")
        p.add_argument("--converters", type=name_list, default=["torchscript", "dynamo"], help="file: witness exporters")
        p.add_argument("--runtimes", type=name_list, default=["onnxruntime", "onnxruntime-noopt", "onnx-reference"], help="file: witness runtimes")
        p.add_argument("--known-bugs", type=Path, action="append", default=None, metavar="DIR",
                       help="file: a bugs directory filed before (the reviewed collection), repeatable; a root cause "
                            "filed there is counted in --bugs-dir's duplicates.json, not written again "
                            "(default: the onnxfuzz checkout's bugs/, or $ONNXFUZZ_KNOWN_BUGS)")
        p.add_argument("--file-likely-repeats", action="store_true",
                       help="file: write a failure near a filed bug (same exporter function or rewrite rule, another "
                            "face) as a new folder, instead of holding it in --bugs-dir's likely-repeats.json")
        p.add_argument("--system", default=None,
                       help="list: only this system's bugs (its plugin name, e.g. onnxruntime, or part of its full name)")
        p.add_argument("--no-deprecated", action="store_true", help="list: hide bugs of deprecated systems (the TorchScript exporter)")
        p.add_argument("--all", action="store_true", help="list: include withdrawn and duplicate folders")
        p.add_argument("--json", action="store_true", help="machine-readable output")

    def run(self, args) -> int:
        from fuzzer.errors import UsageError

        action = args.action
        if action in ("show", "export") and len(args.ids) != 1:
            raise UsageError(f"bugs {action} takes exactly one bug id")
        if action == "list":
            from fuzzer.report.vocabulary import deprecation

            bugs = [b for b in _load(args.bugs_dir) if args.all or not _retired(b)]
            if args.system:
                bugs = [b for b in bugs if _is_system(b["system"], args.system)]
            if args.no_deprecated:
                bugs = [b for b in bugs if not deprecation(b["system"])]
            # dynamic: the bug needs dims exported dynamic (its failing size, or "base")
            rows = [{k: b.get(k) for k in ("id", "title", "kind", "system", "role", "hits", "status")}
                    | {"ops": b["minimized"]["ops"], "upstream": upstream_of(b),
                       "deprecated": bool(deprecation(b["system"])), "retired": _retired(b),
                       "dynamic": ((b.get("dynamic") or {}).get("failing_size") or "base") if b.get("dynamic") else None,
                       "rule": rule_named(b)}
                    for b in bugs]
            if args.json:
                emit_json(rows)
            else:
                for r in rows:
                    status = r["retired"] or r["status"]
                    upstream = f"  [upstream: {'; '.join(r['upstream'])}]" if r["upstream"] else ""
                    print(f"{r['id']:45s} {status:11s} hits {r['hits']:<4d} {r['ops']} ops  {r['rule'] or '-':32.32s}  "
                          f"{r['title']}{upstream}")
                print(f"{len(rows)} bugs in {args.bugs_dir}")
            return 0
        if action == "show":
            print((_one(args.bugs_dir, args.ids[0]) / "report.md").read_text())
            return 0
        if action == "export":
            print(_export(_one(args.bugs_dir, args.ids[0])))
            return 0
        if action == "verify":
            return _verify(args)
        return _file(args)


def _verify(args) -> int:
    from fuzzer.report.writer import run_repro

    dirs = [_one(args.bugs_dir, i) for i in args.ids] or [
        p.parent for p in sorted(args.bugs_dir.glob("*/case.json")) if not _retired(json.loads(p.read_text()).get("bug", {}))]
    results = []
    for d in dirs:
        code, output = run_repro(d)
        status = {1: "reproduces", 0: "fixed"}.get(code, "broken")
        case = json.loads((d / "case.json").read_text())
        case["bug"]["status"] = status
        (d / "case.json").write_text(json.dumps(case, indent=1))
        results.append({"id": d.name, "status": status, "exit": code, "output": output[-400:]})
    if args.json:
        emit_json(results)
    else:
        for r in results:
            print(f"{r['id']:45s} {r['status']}")
    if any(r["status"] == "broken" for r in results):
        print("some repro.py neither reproduced nor passed (exit code not 0 or 1): see --json output")
    return 1 if any(r["status"] == "reproduces" for r in results) else 0


def rule_named(bug: dict) -> str | None:
    """The rule at fault a bug names (case.json bug.rule_at_fault, fuzzer.coverage.fault), or None."""
    fault = bug.get("rule_at_fault") or {}
    return ", ".join(fault.get("rules") or []) or None


def upstream_of(bug: dict) -> list[str]:
    """A bug's known upstream issues or fixes (case.json bug.upstream: a list, or one string)."""
    ups = bug.get("upstream") or []
    return [ups] if isinstance(ups, str) else list(ups)


def _retired(bug: dict) -> str | None:
    """"withdrawn" or "duplicate" for a folder kept only as a record, else None."""
    if bug.get("withdrawn"):
        return "withdrawn"
    if bug.get("duplicate_of"):
        return "duplicate"
    return None


def _is_system(system: str, wanted: str) -> bool:
    from fuzzer.report.vocabulary import system_name

    return system == wanted or wanted.lower() in system_name(system).lower()


def _export(d: Path) -> str:
    """The issue, as the system's tracker expects it (GitHub issue markdown)."""
    import platform
    import re

    from fuzzer.report.vocabulary import deprecation, explain, system_name, tracker
    from fuzzer.report.writer import upstream_lines

    meta = json.loads((d / "case.json").read_text())["bug"]
    report = (d / "report.md").read_text()
    repro = (d / "repro.py").read_text()
    said = re.search(r"(?:## Reproduce|## repro.py says)\n.*?```\n(.*?)```", report, re.S)
    where = tracker(meta["system"])
    lines = [f"**Title:** {meta['title']}", ""]
    if where:
        lines += [f"**Tracker:** https://github.com/{where}/issues", ""]
    lines += upstream_lines(meta)  # "Known upstream" only where an issue or fix is cited
    if deprecation(meta["system"]):
        lines += [f"> Note: {deprecation(meta['system'])}.", ""]
    lines += ["### Describe the bug", "",
              f"{system_name(meta['system'])}: {explain(meta.get('blame_reason') or meta.get('reason') or '')}".rstrip(": .") + ".", ""]
    if meta.get("rule"):
        lines += [f"Rule at fault: {meta['rule']}", ""]
    lines += ["### To reproduce", ""]
    data = [f for f in ("model.onnx", "inputs.npz", "expected.npz") if f in repro]
    if data:
        lines += [f"Needs {', '.join(f'`{f}`' for f in data)} (attached) next to it.", ""]
    lines += ["```python", repro.rstrip(), "```", "", "### Expected behavior and what happens", ""]
    if said:
        lines += ["Output of the script (expected against actual):", "", "```", said.group(1).strip()[-3000:], "```", ""]
    error = (meta.get("error") or "").strip()
    if error:
        lines += ["Error as first seen:", "", "```", error[:2000], "```", ""]
    versions = meta.get("versions") or {}
    lines += ["### Environment", "", *(f"- {k} {v}" for k, v in versions.items()),
              f"- Python {platform.python_version()}, {platform.system()} {platform.machine()}", "",
              f"Found by onnxfuzz (differential fuzzing); `{d.name}`.", ""]
    return "\n".join(lines)


def _file(args) -> int:
    from fuzzer.errors import UsageError
    from fuzzer.report.triage import triage_workdir

    if args.workdir is None:
        raise UsageError("bugs file needs --workdir")
    if args.known_bugs:
        import os

        from fuzzer.report.writer import KNOWN_BUGS_ENV

        missing = [str(d) for d in args.known_bugs if not d.is_dir()]
        if missing:
            raise UsageError(f"--known-bugs: no directory {', '.join(missing)}")
        # the filer (and the supervised workers triage runs on) read it from the environment
        os.environ[KNOWN_BUGS_ENV] = os.pathsep.join(str(d.resolve()) for d in args.known_bugs)
    for case_dir in sorted((args.workdir / "artifacts").glob("case-*")):  # triage replays their seeds
        check_case_version(case_dir)

    def show(o):
        if not args.json:
            name = o.filed.bug_id if o.filed else "-"
            print(f"{o.signature} {o.original_ops:>3d} -> {o.minimized_ops:<2d} ops {o.seconds:6.1f} s  {name}  {o.note.splitlines()[0] if o.note else ''}", flush=True)

    from fuzzer.report.likely import writing_likely_repeats

    with writing_likely_repeats(args.file_likely_repeats):
        outcomes = triage_workdir(args.workdir, args.bugs_dir, args.converters, args.runtimes, args.limit, on_outcome=show)
    if args.json:
        emit_json([{"signature": o.signature, "bug": o.filed.bug_id if o.filed and not o.filed.held else None,
                    "near": o.filed.bug_id if o.filed and o.filed.held else None, "new": bool(o.filed and o.filed.new),
                    "status": o.status, "own": o.own, "note": o.note, "error": o.error, "original_ops": o.original_ops, "ops": o.minimized_ops, "seconds": round(o.seconds, 2)} for o in outcomes])
    else:
        from collections import Counter

        by = Counter(o.status for o in outcomes)
        broken = by.get("failed", 0)
        print(f"{len(outcomes)} signatures triaged; {by.get('filed', 0)} new bugs filed in {args.bugs_dir}, "
              f"{by.get('updated', 0)} already filed (hit counts updated), {by.get('held', 0)} held as likely repeats of "
              f"a filed bug (see likely-repeats.json), {by.get('own', 0)} onnxfuzz's own defects "
              f"recorded, {by.get('differs', 0)} not filed because the minimal case differs from the campaign's"
              + (f"; the triage of {broken} failed (see their notes)" if broken else ""))
    return 0
