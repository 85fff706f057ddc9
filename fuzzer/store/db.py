"""The campaign database: one SQLite file per working directory, in WAL mode.

Only the campaign supervisor writes, one committed transaction per finished
case, so a campaign killed at any moment loses at most the cases in flight;
everything found before is on disk. Raw artifacts of failing cases (the IR
graph, inputs, and each failing model) go beside it under artifacts/.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path

from fuzzer.errors import UsageError
from fuzzer.store.migrations import migrate
from fuzzer.version import GENERATOR_VERSION

DB_NAME = "onnxfuzz.sqlite"


def case_seed(campaign_seed: int, case_id: int) -> int:
    """The seed of case `case_id` in a campaign seeded with campaign_seed: independent streams, replayable."""
    digest = hashlib.sha256(f"{campaign_seed}:{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


class Store:
    def __init__(self, workdir: Path, conn: sqlite3.Connection) -> None:
        self.workdir = workdir
        self.conn = conn

    @classmethod
    def open(cls, workdir: str | os.PathLike, *, create: bool = True) -> "Store":
        """Open (or create) the database in workdir.

        Raises:
            UsageError: the directory cannot be created or written, the database is
                missing (create=False) or is not an onnxfuzz database.
        """
        workdir = Path(workdir)
        db = workdir / DB_NAME
        if not create and not db.exists():
            raise UsageError(f"no campaign database in {workdir} (expected {db})")
        try:
            workdir.mkdir(parents=True, exist_ok=True)
            probe = workdir / ".write-probe"
            probe.write_text("")
            probe.unlink()
        except OSError as e:
            raise UsageError(f"workdir {workdir} is not writable: {e.strerror or e}") from None
        try:
            conn = sqlite3.connect(db, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            migrate(conn)
        except sqlite3.DatabaseError as e:
            raise UsageError(f"{db} is not a usable onnxfuzz database: {e}") from None
        return cls(workdir, conn)

    @classmethod
    def open_read_only(cls, workdir: str | os.PathLike) -> "Store":
        """Open an existing database to read it only: no migration, no write lock, so it is safe
        beside a running campaign (in WAL mode a reader never blocks the writer). A database of
        an older onnxfuzz reads as far as its schema goes (see `has_column`).

        Raises:
            UsageError: the database is missing or is not an onnxfuzz database.
        """
        workdir = Path(workdir)
        db = workdir / DB_NAME
        if not db.exists():
            raise UsageError(f"no campaign database in {workdir} (expected {db})")
        try:
            conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
            conn.execute("SELECT COUNT(*) FROM _migrations").fetchone()
        except sqlite3.DatabaseError as e:
            raise UsageError(f"{db} is not a usable onnxfuzz database: {e}") from None
        return cls(workdir, conn)

    def has_column(self, table: str, column: str | None = None) -> bool:
        """Whether the database has this table (and column): one opened read-only may predate them."""
        columns = [row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")]
        return bool(columns) and (column is None or column in columns)

    def close(self) -> None:
        self.conn.close()

    # -- sessions -------------------------------------------------------------
    def begin_session(self, seed: int, workers: int, args: dict) -> int:
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO sessions (started, seed, workers, args) VALUES (?, ?, ?, ?)",
                (time.time(), seed, workers, json.dumps(args, sort_keys=True, default=str)),
            )
        return int(cur.lastrowid)

    def end_session(self, session: int) -> None:
        with self.conn:
            self.conn.execute("UPDATE sessions SET ended = ? WHERE id = ?", (time.time(), session))

    def next_case_id(self) -> int:
        row = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM cases").fetchone()
        return int(row[0]) + 1

    # -- results ----------------------------------------------------------------
    def record(self, result, session: int, exporters: list[str]) -> list[str]:
        """Store one finished case; returns the signatures seen for the first time."""
        new = []
        now = time.time()
        with self.conn:
            dynamic = result.dynamic
            self.conn.execute(
                "INSERT INTO cases (id, session, seed, generator, status, n_ops, ops, exporters, sut_seconds,"
                " total_seconds, timings, finished, dynamic, op_dtypes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    result.case_id, session, result.seed, GENERATOR_VERSION, result.status,
                    len(result.ops), json.dumps(result.ops), json.dumps(exporters),
                    result.sut_seconds, result.total_seconds, json.dumps(result.timings), now,
                    json.dumps(dynamic) if dynamic else None, json.dumps(result.op_dtypes),
                ),
            )
            for v in result.verdicts:
                sig = v.signature
                self.conn.execute(
                    "INSERT INTO verdicts (case_id, path, runtime, kind, stage, signature, error, stats, seconds) VALUES (?,?,?,?,?,?,?,?,?)",
                    (result.case_id, v.path, v.runtime, v.kind.value, v.stage.value, sig, v.error, json.dumps(v.stats), v.seconds),
                )
                if sig is None:
                    continue
                cur = self.conn.execute("UPDATE signatures SET hits = hits + 1 WHERE signature = ?", (sig,))
                if cur.rowcount == 0:
                    self.conn.execute(
                        "INSERT INTO signatures VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (sig, v.kind.value, v.stage.value, v.path, v.runtime, json.dumps(sorted(set(v.ops))), v.error[:2000], result.case_id, 1, now),
                    )
                    new.append(sig)
            self._record_rules(result, now, exporters)
        if result.failures or result.error:
            self._write_artifacts(result)
        return new

    def _record_rules(self, result, now: float, exporters: list[str] = ()) -> None:
        """The case's rule hits and any inventories it carried (fuzzer.coverage), in the case's transaction."""
        for system, inv in getattr(result, "rule_inventory", {}).items():
            self.conn.execute(
                "INSERT OR REPLACE INTO rule_inventory VALUES (?,?,?,?)",
                (system, str(inv.get("version", "unknown")), json.dumps(sorted(inv.get("rules", []))), now),
            )
        first: list[list[str]] = []
        for system, rules in getattr(result, "rule_hits", {}).items():
            known = {r for (r,) in self.conn.execute(
                f"SELECT rule FROM rule_hits WHERE system = ? AND rule IN ({','.join('?' * len(rules))})",
                (system, *rules))} if rules else set()
            if not system.endswith(":ops"):  # a runtime's (op, dtype, opset) triples: thousands, nearly
                first += [[system, r] for r in rules if r not in known]  # every case has a new one
            self.conn.executemany(
                "INSERT INTO rule_hits VALUES (?,?,?,1,?) ON CONFLICT(system, rule) DO UPDATE SET hits = hits + 1",
                [(system, rule, result.case_id, now) for rule in rules],
            )
        graph = getattr(result, "notes", {}).get("corpus_graph") or result.graph_json
        # a batch's packed export gives its rules to the batch's first case (fuzzer.batch): they
        # are no one case's, so they make no corpus entry; the rules a batched case's own stages
        # hit do (a batch that does not name the shared rules makes none at all)
        batch = getattr(result, "notes", {}).get("batch") or {}
        if batch.get("size", 1) > 1:
            shared = batch.get("shared_rules")
            first = [] if shared is None else [[s, r] for s, r in first if r not in shared.get(s, ())]
        if first and graph is not None and self.has_column("corpus"):
            self.conn.execute("INSERT OR IGNORE INTO corpus VALUES (?,?,?,?,0,?)",
                              (result.case_id, graph, json.dumps(list(exporters)), json.dumps(first), now))

    def corpus(self) -> list[dict]:
        """The workdir's corpus: cases that first hit some rule, oldest first (see _record_rules)."""
        if not self.has_column("corpus"):
            return []
        return [{"case_id": c, "graph": g, "exporters": json.loads(e), "rules": json.loads(r), "picked": p}
                for c, g, e, r, p in self.conn.execute(
                    "SELECT case_id, graph, exporters, rules, picked FROM corpus ORDER BY case_id")]

    def corpus_picked(self, case_id: int) -> None:
        with self.conn:
            self.conn.execute("UPDATE corpus SET picked = picked + 1 WHERE case_id = ?", (case_id,))

    def rule_coverage(self) -> dict[str, dict]:
        """Per system: its inventory's version and size, the rules covered (each with the first case
        that hit it and how many cases did), the uncovered ones, and hits outside the inventory.
        {} for a database that predates coverage."""
        if not self.has_column("rule_hits"):
            return {}
        out: dict[str, dict] = {}
        for system, version, rules in self.conn.execute("SELECT system, version, rules FROM rule_inventory"):
            out[system] = {"version": version, "inventory": json.loads(rules)}
        hits: dict[str, dict[str, dict]] = {}
        for system, rule, first_case, n in self.conn.execute(
                "SELECT system, rule, first_case, hits FROM rule_hits ORDER BY system, rule"):
            hits.setdefault(system, {})[rule] = {"first_case": first_case, "cases": n}
        report = {}
        for system in sorted(set(out) | set(hits)):
            inventory = out.get(system, {}).get("inventory", [])
            got = hits.get(system, {})
            known = set(inventory)
            report[system] = {
                "version": out.get(system, {}).get("version"),
                "total": len(inventory),
                "covered": sum(1 for r in got if r in known),
                "hits": {r: h for r, h in got.items() if r in known},
                "uncovered": [r for r in inventory if r not in got],
                # rules the case hit that the registry does not list (a decomposed aten op, a contrib op)
                "outside_inventory": {r: h for r, h in got.items() if r not in known},
            }
        return report

    def coverage_totals(self) -> dict[str, dict]:
        """{system: {"covered", "total"}}: what `stats --json` carries."""
        return {s: {"covered": c["covered"], "total": c["total"]} for s, c in self.rule_coverage().items()}

    def _write_artifacts(self, result) -> None:
        d = self.workdir / "artifacts" / f"case-{result.case_id}"
        d.mkdir(parents=True, exist_ok=True)
        if result.graph_json is not None:
            (d / "graph.json").write_text(result.graph_json)
        if result.inputs_npz is not None:
            (d / "inputs.npz").write_bytes(result.inputs_npz)
        for path, model in result.models.items():
            (d / f"{path.replace('>', '_')}.onnx").write_bytes(model)
        if result.error:
            (d / "error.txt").write_text(result.error)
        # what replays the case: onnxfuzz reduce reads the seed from here
        meta = {"case_id": result.case_id, "seed": result.seed, "generator": GENERATOR_VERSION, "status": result.status}
        if result.dynamic:
            meta["dynamic"] = result.dynamic  # CaseSpec.dynamic of a rerun
        if result.swarm:
            meta["swarm"] = result.swarm  # the configuration the graph was drawn in (fuzzer.generate.swarm)
        (d / "case.json").write_text(json.dumps(meta, indent=1))
        (d / "verdicts.json").write_text(json.dumps([v.to_json() for v in result.failures], indent=1))

    def sample_throughput(self, session: int, cases: int, failures: int) -> None:
        with self.conn:
            self.conn.execute("INSERT INTO throughput VALUES (?,?,?,?)", (time.time(), session, cases, failures))

    # -- reading ------------------------------------------------------------------
    def stats(self) -> dict:
        q = self.conn.execute
        cases = q("SELECT COUNT(*), COALESCE(SUM(sut_seconds), 0), COALESCE(SUM(total_seconds), 0) FROM cases").fetchone()
        by_status = dict(q("SELECT status, COUNT(*) FROM cases GROUP BY status").fetchall())
        by_kind = dict(q("SELECT kind, COUNT(*) FROM verdicts GROUP BY kind ORDER BY kind").fetchall())
        wall = q("SELECT COALESCE(SUM(COALESCE(ended, (SELECT MAX(finished) FROM cases WHERE session = s.id)) - started), 0) FROM sessions s").fetchone()[0] or 0.0
        sigs = q("SELECT kind, COUNT(*) FROM signatures GROUP BY kind ORDER BY kind").fetchall()
        ops: dict[str, int] = {}
        for (row,) in q("SELECT ops FROM cases"):
            for op in json.loads(row):
                ops[op] = ops.get(op, 0) + 1
        judged = by_status.get("judged", 0) + by_status.get("unstable", 0)
        return {
            "tests": int(cases[0]),
            "judged": judged,
            "cases_by_status": by_status,
            "verdicts": by_kind,
            "failures": sum(n for k, n in by_kind.items() if k not in ("pass", "unsupported", "unstable")),
            "distinct_signatures": sum(n for _, n in sigs),
            "signatures_by_kind": dict(sigs),
            "wall_seconds": round(float(wall), 3),
            "tests_per_second": round(cases[0] / wall, 3) if wall > 0 else 0.0,
            "sut_seconds": round(float(cases[1]), 3),
            "case_seconds": round(float(cases[2]), 3),
            "sut_share": round(float(cases[1]) / float(cases[2]), 3) if cases[2] else 0.0,
            "op_types": len(ops),
            "op_coverage": dict(sorted(ops.items())),
            "per_plugin": self.verdicts_per_plugin(),
            "sessions": q("SELECT COUNT(*) FROM sessions").fetchone()[0],
            **self._cases_with(),
            "filing": self.filing_stats(),
        }

    def _cases_with(self) -> dict:
        """Judged cases that exercised dynamic dims or control-flow ops, overall and per session,
        and how many verdicts judged a model at more than one size."""
        from fuzzer.ops import get_spec

        def control_flow(op: str) -> bool:
            try:
                return bool(get_spec(op).control_flow)
            except KeyError:  # an op of an older onnxfuzz
                return False

        flow = {}
        overall = {"dynamic": 0, "control_flow": 0}
        per_session: dict[str, dict[str, int]] = {}
        rows = self.conn.execute("SELECT session, ops, dynamic FROM cases WHERE status IN ('judged', 'unstable')")
        for session, ops, dynamic in rows:
            counts = per_session.setdefault(str(session), {"dynamic": 0, "control_flow": 0})
            has = {"dynamic": dynamic is not None, "control_flow": False}
            for op in json.loads(ops):
                if op not in flow:
                    flow[op] = control_flow(op)
                has["control_flow"] = has["control_flow"] or flow[op]
            for k, v in has.items():
                counts[k] += v
                overall[k] += v
        several = 0
        for (stats,) in self.conn.execute("SELECT stats FROM verdicts WHERE stats LIKE '%\"size%'"):
            s = json.loads(stats)
            several += int(s.get("sizes", 0) > 1 or "size" in s)
        return {"cases_with": overall, "cases_with_by_session": per_session, "verdicts_at_several_sizes": several}

    def verdicts_per_plugin(self) -> dict[str, dict[str, int]]:
        """{plugin: {verdict kind: count}}, plugins sorted by name."""
        per_plugin: dict[str, dict[str, int]] = {}
        for path, runtime, kind, n in self.conn.execute("SELECT path, runtime, kind, COUNT(*) FROM verdicts GROUP BY path, runtime, kind"):
            # a verdict counts for every plugin it went through: exporter, transformers, runtime
            for name in {step.split("@")[0] for step in path.split(">")} | {runtime} - {""}:
                per_plugin.setdefault(name, {})
                per_plugin[name][kind] = per_plugin[name].get(kind, 0) + n
        return dict(sorted(per_plugin.items()))

    def record_bug(self, bug_id: str, folder: Path, signature: str, new: bool, title: str, system: str,
                   kind: str, stage: str) -> None:
        """Note that a failure of this campaign was filed as bug_id in folder (kept from the first time),
        with the time its signature was first hit: `filing_stats` measures from there."""
        with self.conn:
            self.conn.execute(
                "INSERT OR IGNORE INTO filed_bugs (bug_id, folder, signature, filed, new, title, system, kind, stage,"
                " first_hit) VALUES (?,?,?,?,?,?,?,?,?, (SELECT first_seen FROM signatures WHERE signature = ?))",
                (bug_id, str(Path(folder).resolve()), signature, time.time(), int(new), title, system, kind, stage,
                 signature),
            )

    def record_triaged(self, signature: str, bugs_dir: Path, session: int | None, started: float, finished: float,
                       bug_id: str | None, note: str, during_campaign: bool, status: str = "") -> None:
        """Note that signature was triaged into bugs_dir (filed as bug_id, or why not, and how it
        ended: TriageOutcome.status): it is not triaged into that directory again, and
        `filing_stats` counts it."""
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO triaged VALUES (?,?,?, (SELECT first_seen FROM signatures WHERE signature = ?),"
                " ?,?,?,?,?,?)",
                (signature, str(Path(bugs_dir).resolve()), session, signature, started, finished, bug_id, note,
                 int(during_campaign), status),
            )

    def triaged_signatures(self, bugs_dir: Path, but_held: bool = False) -> set[str]:
        """The signatures already triaged into bugs_dir (by this campaign's runs with --file-bugs);
        but_held: not those held as likely repeats (a rerun that writes them triages them again)."""
        if not self.has_column("triaged"):
            return set()
        held = " AND COALESCE(status, '') != 'held'" if but_held and self.has_column("triaged", "status") else ""
        rows = self.conn.execute(f"SELECT signature FROM triaged WHERE bugs_dir = ?{held}", (str(Path(bugs_dir).resolve()),))
        return {r[0] for r in rows}

    def filing_stats(self) -> dict:
        """How filing went: folders filed (in all, new, and while a session ran), the time from a
        signature's first hit to its folder (median, min, max), and the filing throughput, in
        folders and signatures triaged per minute of filing (first triage started to last one
        finished) and per minute of campaign."""
        out: dict = {"folders": 0, "new_folders": 0, "folders_during_campaign": 0, "first_hit_to_filed_seconds": None,
                     "signatures_triaged": 0, "signatures_triaged_during_campaign": 0, "held_as_likely_repeats": 0}
        if not self.has_column("filed_bugs"):
            return out
        q = self.conn.execute
        first_hit = "first_hit" if self.has_column("filed_bugs", "first_hit") else "NULL"
        folders = q(f"SELECT filed, {first_hit}, new FROM filed_bugs").fetchall()
        now = time.time()
        sessions = q("SELECT started, COALESCE(ended, ?) FROM sessions", (now,)).fetchall()
        delays = sorted(filed - hit for filed, hit, _ in folders if hit is not None)
        out["folders"] = len(folders)
        out["new_folders"] = sum(new for _, _, new in folders)
        out["folders_during_campaign"] = sum(any(a <= filed <= b for a, b in sessions) for filed, _, _ in folders)
        if delays:
            mid = len(delays) // 2
            median = delays[mid] if len(delays) % 2 else (delays[mid - 1] + delays[mid]) / 2
            out["first_hit_to_filed_seconds"] = {"n": len(delays), "median": round(median, 1),
                                                 "min": round(delays[0], 1), "max": round(delays[-1], 1)}
        triaged = q("SELECT started, finished, during_campaign FROM triaged").fetchall() if self.has_column("triaged") else []
        out["signatures_triaged"] = len(triaged)
        if self.has_column("triaged", "status"):  # counted beside the filed bug they are near, no folder written
            out["held_as_likely_repeats"] = q("SELECT COUNT(*) FROM triaged WHERE status = 'held'").fetchone()[0]
        out["signatures_triaged_during_campaign"] = sum(d for _, _, d in triaged)
        if triaged:
            window = max(f for _, f, _ in triaged) - min(s for s, _, _ in triaged)
            out["filing_window_seconds"] = round(window, 1)
            if window > 0:
                out["folders_per_minute"] = round(len(folders) * 60 / window, 3)
                out["signatures_per_minute"] = round(len(triaged) * 60 / window, 3)
        wall = sum(b - a for a, b in sessions)
        if wall > 0:
            out["folders_per_campaign_minute"] = round(out["folders_during_campaign"] * 60 / wall, 3)
        return out

    def signature_rows(self, signatures: list[str]) -> list[dict]:
        """The stored rows of these signatures (as `signatures()` gives them)."""
        cols = ["signature", "kind", "stage", "path", "runtime", "ops", "error", "first_case", "hits", "first_seen"]
        marks = ",".join("?" * len(signatures))
        rows = self.conn.execute(f"SELECT {', '.join(cols)} FROM signatures WHERE signature IN ({marks})", signatures)
        return [dict(zip(cols, r)) for r in rows]

    def filed_bugs(self) -> list[dict]:
        """The bugs filed from this campaign, oldest first ([] for a database that predates them)."""
        if not self.has_column("filed_bugs"):
            return []
        cols = ["bug_id", "folder", "signature", "filed", "new", "title", "system", "kind", "stage"]
        rows = self.conn.execute(f"SELECT {', '.join(cols)} FROM filed_bugs ORDER BY filed").fetchall()
        return [dict(zip(cols, r)) | {"new": bool(r[4])} for r in rows]

    def record_own_defect(self, own: dict) -> None:
        """Note one of onnxfuzz's own defects (fuzzer.report.triage.own_record): a new row for a new
        key, one more hit for a known one."""
        now = time.time()
        with self.conn:
            cur = self.conn.execute("UPDATE own_defects SET hits = hits + 1, last_seen = ? WHERE key = ?", (now, own["key"]))
            if cur.rowcount == 0:
                self.conn.execute(
                    "INSERT INTO own_defects VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (own["key"], own["what"], own["kind"], own["stage"], own["path"], own["runtime"], own["error"][:2000],
                     own.get("signature") or "", own.get("case_id"), int(own.get("ops", 0)), int(bool(own.get("reduced"))),
                     1, now, now),
                )

    def own_defects(self) -> list[dict]:
        """onnxfuzz's own defects triage recorded, most hit first ([] for a database that predates them)."""
        if not self.has_column("own_defects"):
            return []
        cols = ["key", "what", "kind", "stage", "path", "runtime", "error", "signature", "first_case", "ops", "reduced",
                "hits", "first_seen", "last_seen"]
        rows = self.conn.execute(f"SELECT {', '.join(cols)} FROM own_defects ORDER BY hits DESC, first_seen").fetchall()
        return [dict(zip(cols, r)) | {"reduced": bool(r[10])} for r in rows]

    def signatures(self) -> list[dict]:
        cols = ["signature", "kind", "stage", "path", "runtime", "ops", "error", "first_case", "hits", "first_seen"]
        rows = self.conn.execute(f"SELECT {', '.join(cols)} FROM signatures ORDER BY first_seen").fetchall()
        return [dict(zip(cols, r)) for r in rows]
