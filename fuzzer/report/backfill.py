"""Root-cause keys for bug folders filed before today's keying: what each folder's key is now,
and why a process died where its kept error lost that line.

    python -m fuzzer.report.backfill [--bugs-dir bugs] [--run] [--write] [--json] [ID ...]

Filing computes every filed folder's key from its files (fuzzer.report.writer.filed_keys), so
folders need no stored key. One thing only a run can give: a process death (a Rust panic, a
failed assertion) is keyed by the line that says why it died, and a campaign's kept error
often lost that line under a backtrace. --run runs such a folder's repro.py (in a copy of the
folder) to read it; --write stores it in the folder's case.json (bug.death), where filing reads it.
Without --write nothing is written.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from fuzzer.report.rootcause import death_line, is_death


def repro_said(folder: Path) -> str:
    """The repro output report.md kept ("Its output when filed"), or ""."""
    report = Path(folder) / "report.md"
    if not report.exists():
        return ""
    text = report.read_text(errors="replace")
    head, _, rest = text.partition("## Reproduce")
    return rest.split("\n## ", 1)[0]


def folder_death(folder: Path, run: bool = False) -> str:
    """Why the process of folder's bug died: its case.json's record, its kept error, the repro
    output its report kept, else (run) its repro.py's output now; "" for no death or no line."""
    bug = json.loads((Path(folder) / "case.json").read_text())["bug"]
    if not is_death(bug.get("error") or ""):
        return ""
    said = bug.get("death") or death_line(bug["error"]) or death_line(repro_said(folder))
    if said or not run:
        return said
    from fuzzer.report.writer import run_repro

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / Path(folder).name
        shutil.copytree(folder, copy)
        _, output = run_repro(copy)
    return death_line(output)


def backfill(folder: Path, run: bool = False, write: bool = False) -> dict:
    """{id, key, parts, death} of one folder by today's rules; write: store a death's line."""
    from fuzzer.report.writer import _filed_key

    case_file = Path(folder) / "case.json"
    case = json.loads(case_file.read_text())
    death = folder_death(folder, run)
    if death and not case["bug"].get("death"):
        case["bug"]["death"] = death
        if write:
            case_file.write_text(json.dumps(case, indent=1, default=str))
    return {"id": Path(folder).name, "key": _filed_key(case, folder), "parts": _filed_key(case, folder, parts=True),
            "death": death or None}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m fuzzer.report.backfill", description=__doc__.split("\n\n")[0])
    p.add_argument("ids", nargs="*")
    p.add_argument("--bugs-dir", type=Path, default=Path("bugs"))
    p.add_argument("--run", action="store_true", help="run a death's repro.py when no kept text says why it died")
    p.add_argument("--write", action="store_true", help="store a death's line in its case.json (bug.death)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if not args.bugs_dir.is_dir():
        print(f"no bugs directory {args.bugs_dir}", file=sys.stderr)
        return 2
    folders = [args.bugs_dir / i for i in args.ids] or sorted(c.parent for c in args.bugs_dir.glob("*/case.json"))
    missing = [f.name for f in folders if not (f / "case.json").exists()]
    if missing:
        print(f"no bug {', '.join(missing)} in {args.bugs_dir}", file=sys.stderr)
        return 2
    rows = [backfill(f, args.run, args.write) for f in folders]
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for r in rows:
            print(f"{r['id']:45s} {r['key']}  {' | '.join(r['parts'] or [])[:160]}")
        print(f"{len(rows)} folders, {len({r['key'] for r in rows})} distinct keys")
    return 0


if __name__ == "__main__":
    sys.exit(main())
