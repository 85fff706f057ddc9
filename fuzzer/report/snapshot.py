"""What the campaign report shows, read from a workdir at one moment: plain values, no HTML.

The database is opened read-only (Store.open_read_only), so a report can be taken while the
campaign runs: in WAL mode the campaign keeps writing and this reads the last committed state.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from fuzzer.store import Store

#: judged cases are the ones whose graph went through the systems under test
_JUDGED = "('judged', 'unstable')"


@dataclass
class FiledBug:
    bug_id: str
    folder: Path
    title: str
    system: str
    role: str
    kind: str
    stage: str
    filed: float  # epoch seconds
    new: bool  # filed by this campaign (False: an earlier bug this campaign found again)
    hits: int | None = None
    status: str | None = None
    folder_exists: bool = True


@dataclass
class ThroughputBin:
    session: int
    start: float  # epoch seconds
    seconds: float
    cases: int

    @property
    def rate(self) -> float:
        return self.cases / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Snapshot:
    workdir: Path
    taken: float
    stats: dict  # Store.stats(): the same totals `onnxfuzz stats` prints
    running: bool  # the last session has not ended (still running, or killed)
    throughput: list[ThroughputBin]
    signatures_first_seen: list[float]
    bugs: list[FiledBug]
    per_plugin: dict[str, dict[str, int]]
    #: judged cases per (op, dtype of its primary operand)
    op_dtypes: dict[tuple[str, str], int]
    #: (op, dtype) pairs an op spec accepts: what coverage is out of
    possible_pairs: set[tuple[str, str]] = field(default_factory=set)
    #: judged cases recorded before cases kept their (op, dtype) pairs: not in op_dtypes
    cases_without_dtypes: int = 0


def take(workdir: Path, bugs_dir: Path | None = None, bins: int = 120) -> Snapshot:
    """Read workdir's campaign: its store and the bug folders the store names, plus any bug
    folder under bugs_dir (for bugs filed before the store recorded them).

    Raises:
        UsageError: no readable campaign database in workdir.
    """
    store = Store.open_read_only(workdir)
    try:
        last = store.conn.execute("SELECT ended FROM sessions ORDER BY id DESC LIMIT 1").fetchone()
        op_dtypes, without = _op_dtypes(store)
        stats = store.stats()
        return Snapshot(
            workdir=Path(workdir),
            taken=time.time(),
            stats=stats,
            running=last is not None and last[0] is None,
            throughput=throughput_bins(store, bins),
            signatures_first_seen=[s["first_seen"] for s in store.signatures()],
            bugs=_bugs(store, bugs_dir),
            per_plugin=stats["per_plugin"],
            op_dtypes=op_dtypes,
            possible_pairs=_possible_pairs(),
            cases_without_dtypes=without,
        )
    finally:
        store.close()


def throughput_bins(store: Store, bins: int) -> list[ThroughputBin]:
    """Finished cases per time bin of each session, one width for all (about `bins` bins over
    the sessions' total time, at least 10 s). Empty bins are kept: a stall shows as zero. A
    session's last bin is as long as the session ran into it."""
    sessions = store.conn.execute(
        "SELECT s.id, s.started, COALESCE(s.ended, MAX(c.finished), s.started) FROM sessions s "
        "LEFT JOIN cases c ON c.session = s.id GROUP BY s.id ORDER BY s.id").fetchall()
    total = sum(max(end - start, 0.0) for _, start, end in sessions)
    width = max(10.0, total / bins)
    out = []
    for session, start, end in sessions:
        counts = dict(store.conn.execute(
            "SELECT CAST((finished - ?) / ? AS INTEGER) AS b, COUNT(*) FROM cases WHERE session = ? GROUP BY b",
            (start, width, session)).fetchall())
        n_bins = max(int((end - start) // width) + 1, max(counts, default=0) + 1)
        own = [ThroughputBin(session, start + b * width, min(width, max(end - (start + b * width), 0.0)), counts.get(b, 0))
               for b in range(n_bins)]
        if len(own) > 1 and own[-1].seconds < width / 4:
            # a sliver of a last bin would make a rate out of a second or two: fold it into the one before
            own[-2].seconds += own[-1].seconds
            own[-2].cases += own.pop().cases
        out += [b for b in own if b.seconds > 0]
    return out


def _op_dtypes(store: Store) -> tuple[dict[tuple[str, str], int], int]:
    if not store.has_column("cases", "op_dtypes"):
        n = store.conn.execute(f"SELECT COUNT(*) FROM cases WHERE status IN {_JUDGED}").fetchone()[0]
        return {}, n
    # grouped by the pair's JSON text, parsed once per pair: twice as fast as by its two fields
    rows = store.conn.execute(
        f"SELECT p.value, COUNT(DISTINCT c.id) FROM cases c, json_each(c.op_dtypes) p WHERE c.status IN {_JUDGED} "
        "GROUP BY p.value").fetchall()
    without = store.conn.execute(
        f"SELECT COUNT(*) FROM cases WHERE status IN {_JUDGED} AND op_dtypes IS NULL").fetchone()[0]
    return {tuple(json.loads(pair)): n for pair, n in rows}, without


def _possible_pairs() -> set[tuple[str, str]]:
    from fuzzer.ops import all_specs

    return {(spec.name, d.value) for spec in all_specs() for d in spec.dtypes}


def _bugs(store: Store, bugs_dir: Path | None) -> list[FiledBug]:
    bugs = {}
    for row in store.filed_bugs():
        folder = Path(row["folder"])
        bug = FiledBug(row["bug_id"], folder, row["title"], row["system"], "", row["kind"], row["stage"],
                       row["filed"], row["new"])
        _refresh(bug, _case_json(folder))
        bugs[bug.bug_id] = bug
    if bugs_dir is not None:
        for case_json in sorted(Path(bugs_dir).glob("*/case.json")):
            meta = _case_json(case_json.parent)
            if meta is None or meta.get("id", case_json.parent.name) in bugs:
                continue
            bug = FiledBug(case_json.parent.name, case_json.parent.resolve(), "", "", "", "", "",
                           _local_time(meta.get("filed")) or case_json.stat().st_mtime, True)
            _refresh(bug, meta)
            bugs[bug.bug_id] = bug
    return sorted(bugs.values(), key=lambda b: b.filed)


def _case_json(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "case.json").read_text())["bug"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _refresh(bug: FiledBug, meta: dict | None) -> None:
    """Take what the folder says now (hits grow, `bugs verify` sets the status)."""
    if meta is None:
        bug.folder_exists = False
        return
    bug.title = meta.get("title", bug.title)
    bug.system = meta.get("system", bug.system)
    bug.role = meta.get("role", bug.role)
    bug.kind = meta.get("kind", bug.kind)
    bug.stage = meta.get("stage", bug.stage)
    bug.hits = meta.get("hits")
    bug.status = meta.get("status")


def _local_time(text: str | None) -> float | None:
    """A case.json "filed" time (the writer's local time, to the second) as epoch seconds."""
    try:
        return time.mktime(time.strptime(text, "%Y-%m-%d %H:%M:%S"))
    except (TypeError, ValueError):
        return None
