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

    `verify` re-runs each bug's repro.py with the installed versions, marks it
    reproduces or fixed, and exits 1 if any still reproduces.
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
        p.add_argument("--json", action="store_true", help="machine-readable output")

    def run(self, args) -> int:
        from fuzzer.errors import UsageError

        action = args.action
        if action in ("show", "export") and len(args.ids) != 1:
            raise UsageError(f"bugs {action} takes exactly one bug id")
        if action == "list":
            bugs = _load(args.bugs_dir)
            # dynamic: the bug needs dims exported dynamic (its failing size, or "base")
            rows = [{k: b.get(k) for k in ("id", "title", "kind", "system", "role", "hits", "status")}
                    | {"ops": b["minimized"]["ops"],
                       "dynamic": ((b.get("dynamic") or {}).get("failing_size") or "base") if b.get("dynamic") else None}
                    for b in bugs]
            if args.json:
                emit_json(rows)
            else:
                for r in rows:
                    print(f"{r['id']:45s} {r['status']:11s} hits {r['hits']:<4d} {r['ops']} ops  {r['title']}")
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

    dirs = [_one(args.bugs_dir, i) for i in args.ids] or [p.parent for p in sorted(args.bugs_dir.glob("*/case.json"))]
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


def _export(d: Path) -> str:
    """Markdown ready to paste as an issue on the project at fault."""
    meta = json.loads((d / "case.json").read_text())["bug"]
    report = (d / "report.md").read_text()
    body = report.split("\n", 1)[1]  # the title goes into the issue title
    repro = (d / "repro.py").read_text()
    return (f"**Title:** {meta['title']}\n\n{body}\n\n## repro.py\n\nNeeds `inputs.npz`"
            f"{' and `model.onnx`' if (d / 'model.onnx').exists() else ''} from the attached bundle.\n\n"
            f"```python\n{repro}```\n")


def _file(args) -> int:
    from fuzzer.errors import UsageError
    from fuzzer.report.triage import triage_workdir

    if args.workdir is None:
        raise UsageError("bugs file needs --workdir")
    for case_dir in sorted((args.workdir / "artifacts").glob("case-*")):  # triage replays their seeds
        check_case_version(case_dir)

    def show(o):
        if not args.json:
            name = o.filed.bug_id if o.filed else "-"
            print(f"{o.signature} {o.original_ops:>3d} -> {o.minimized_ops:<2d} ops {o.seconds:6.1f} s  {name}  {o.note.splitlines()[0] if o.note else ''}", flush=True)

    outcomes = triage_workdir(args.workdir, args.bugs_dir, args.converters, args.runtimes, args.limit, on_outcome=show)
    if args.json:
        emit_json([{"signature": o.signature, "bug": o.filed.bug_id if o.filed else None, "new": bool(o.filed and o.filed.new),
                    "note": o.note, "error": o.error, "original_ops": o.original_ops, "ops": o.minimized_ops, "seconds": round(o.seconds, 2)} for o in outcomes])
    else:
        new = sum(1 for o in outcomes if o.filed and o.filed.new)
        broken = sum(1 for o in outcomes if o.error)
        print(f"{len(outcomes)} signatures triaged; {new} new bugs filed in {args.bugs_dir}"
              + (f"; the triage of {broken} failed (see their notes)" if broken else ""))
    return 0
