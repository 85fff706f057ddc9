"""Schema migrations: named, applied in order, only ever appended to.

A workdir made by an older onnxfuzz is brought up to date on open; a
migration that has run is recorded in `_migrations` and never runs again.
"""
from __future__ import annotations

import sqlite3
import time

MIGRATIONS: list[tuple[str, str]] = [
    (
        "001_initial",
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            started REAL NOT NULL,
            ended REAL,
            seed INTEGER NOT NULL,
            workers INTEGER NOT NULL,
            args TEXT NOT NULL
        );
        CREATE TABLE cases (
            id INTEGER PRIMARY KEY,
            session INTEGER NOT NULL REFERENCES sessions(id),
            seed INTEGER NOT NULL,
            generator INTEGER NOT NULL,
            status TEXT NOT NULL,
            n_ops INTEGER NOT NULL,
            ops TEXT NOT NULL,
            exporters TEXT NOT NULL,
            sut_seconds REAL NOT NULL,
            total_seconds REAL NOT NULL,
            timings TEXT NOT NULL,
            finished REAL NOT NULL
        );
        CREATE TABLE verdicts (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases(id),
            path TEXT NOT NULL,
            runtime TEXT NOT NULL,
            kind TEXT NOT NULL,
            stage TEXT NOT NULL,
            signature TEXT,
            error TEXT NOT NULL,
            stats TEXT NOT NULL,
            seconds REAL NOT NULL
        );
        CREATE INDEX verdicts_kind ON verdicts(kind);
        CREATE INDEX verdicts_case ON verdicts(case_id);
        CREATE TABLE signatures (
            signature TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            stage TEXT NOT NULL,
            path TEXT NOT NULL,
            runtime TEXT NOT NULL,
            ops TEXT NOT NULL,
            error TEXT NOT NULL,
            first_case INTEGER NOT NULL,
            hits INTEGER NOT NULL,
            first_seen REAL NOT NULL
        );
        CREATE TABLE throughput (
            t REAL NOT NULL,
            session INTEGER NOT NULL,
            cases INTEGER NOT NULL,
            failures INTEGER NOT NULL
        );
        """,
    ),
    (
        # the dynamic-shape plan a case ran with (JSON), NULL for a static case
        "002_case_dynamic",
        "ALTER TABLE cases ADD COLUMN dynamic TEXT",
    ),
    (
        # each case's (op, dtype of its primary operand) pairs, JSON [[op, dtype], ...]; NULL for
        # a case recorded before: the campaign report's op x dtype coverage
        "003_case_op_dtypes",
        "ALTER TABLE cases ADD COLUMN op_dtypes TEXT",
    ),
    (
        # the bug folders filed from this campaign's failures, and when: the folders live
        # wherever --file-bugs / --bugs-dir put them, so the workdir alone finds them again
        "004_filed_bugs",
        """
        CREATE TABLE filed_bugs (
            bug_id TEXT PRIMARY KEY,
            folder TEXT NOT NULL,
            signature TEXT NOT NULL,
            filed REAL NOT NULL,
            new INTEGER NOT NULL,
            title TEXT NOT NULL,
            system TEXT NOT NULL,
            kind TEXT NOT NULL,
            stage TEXT NOT NULL
        );
        """,
    ),
    (
        # triage while the campaign runs (fuzzer.campaign.triage_jobs): when the first hit of a
        # filed folder's signature was recorded, and every signature triaged into a bugs
        # directory with when and how it ended, so a rerun does not triage it again and
        # `stats` can say how long filing took and how fast it went
        "005_triage_log",
        """
        ALTER TABLE filed_bugs ADD COLUMN first_hit REAL;
        CREATE TABLE triaged (
            signature TEXT NOT NULL,
            bugs_dir TEXT NOT NULL,
            session INTEGER,
            first_hit REAL,
            started REAL NOT NULL,
            finished REAL NOT NULL,
            bug_id TEXT,
            note TEXT NOT NULL,
            during_campaign INTEGER NOT NULL,
            PRIMARY KEY (signature, bugs_dir)
        );
        """,
    ),
    (
        # onnxfuzz's own defects that triage met (its direct ONNX builder, a lowering, the ground
        # truth): a list of their own, never filed as bugs of a system under test; one row per
        # root-cause key, counted again each time it is met
        "006_own_defects",
        """
        CREATE TABLE own_defects (
            key TEXT PRIMARY KEY,
            what TEXT NOT NULL,
            kind TEXT NOT NULL,
            stage TEXT NOT NULL,
            path TEXT NOT NULL,
            runtime TEXT NOT NULL,
            error TEXT NOT NULL,
            signature TEXT NOT NULL,
            first_case INTEGER,
            ops INTEGER NOT NULL,
            reduced INTEGER NOT NULL,
            hits INTEGER NOT NULL,
            first_seen REAL NOT NULL,
            last_seen REAL NOT NULL
        );
        """,
    ),
    (
        # white-box coverage (fuzzer.coverage): every rule of a system under test a case hit,
        # with the first case that hit it and how many cases did; and each system's whole
        # inventory of rules as its installed version's registry lists it (JSON list)
        "007_rule_hits",
        """
        CREATE TABLE rule_hits (
            system TEXT NOT NULL,
            rule TEXT NOT NULL,
            first_case INTEGER NOT NULL,
            hits INTEGER NOT NULL,
            first_seen REAL NOT NULL,
            PRIMARY KEY (system, rule)
        );
        CREATE TABLE rule_inventory (
            system TEXT PRIMARY KEY,
            version TEXT NOT NULL,
            rules TEXT NOT NULL,
            updated REAL NOT NULL
        );
        """,
    ),
    (
        # cases that hit a rule no earlier case of the workdir hit: what guided campaigns mutate
        # (fuzzer.campaign.guidance); rules is a JSON list of [system, rule] first hit by the case
        "008_corpus",
        """
        CREATE TABLE corpus (
            case_id INTEGER PRIMARY KEY,
            graph TEXT NOT NULL,
            exporters TEXT NOT NULL,
            rules TEXT NOT NULL,
            picked INTEGER NOT NULL DEFAULT 0,
            added REAL NOT NULL
        );
        """,
    ),
    (
        # how each triage ended (TriageOutcome.status: filed, updated, held, ...): `stats` counts
        # the failures held as likely repeats, and a rerun that writes them triages them again
        "009_triage_status",
        "ALTER TABLE triaged ADD COLUMN status TEXT",
    ),
]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet recorded; returns the names applied."""
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied REAL NOT NULL)")
    done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    applied = []
    for name, sql in MIGRATIONS:
        if name in done:
            continue
        # one transaction per migration: a crash mid-way leaves it unrecorded and unapplied
        conn.executescript(f"BEGIN; {sql}; INSERT INTO _migrations VALUES ('{name}', {time.time()}); COMMIT;")
        applied.append(name)
    return applied
