"""A small campaign workdir with a filed bug, made without running a campaign: what the
report's unit test and its browser test render. Its clock is pinned (T0), so time bins do
not depend on when a test runs."""
import json
from pathlib import Path

T0 = 1_800_000_000.0
BUG = "dynamo-value-mismatch-abc123"


def bug_folder(bugs_dir: Path, bug_id: str = BUG, filed: str = "2027-01-15 08:00:00") -> Path:
    """A bug folder's case.json as the writer writes it (the fields the report reads)."""
    folder = bugs_dir / bug_id
    folder.mkdir(parents=True)
    (folder / "case.json").write_text(json.dumps({"bug": {
        "id": bug_id, "title": "dynamo: wrong values for <avg_pool2d> & co", "system": "dynamo", "role": "exporter",
        "kind": "value_mismatch", "stage": "judge", "hits": 3, "status": "reproduces", "filed": filed}}))
    return folder


def small_campaign(root: Path) -> Path:
    """root/work: one 60 s session of 7 judged cases (6 in the first 30 s) and a discarded one,
    and one bug filed under root/bugs at T0 + 40. Returns the workdir."""
    from fuzzer.case import CaseResult
    from fuzzer.report.triage import TriageOutcome, record_filed
    from fuzzer.report.writer import Filed
    from fuzzer.store import Store
    from oracles import Kind, Stage, Verdict

    def verdict(kind: Kind, path: str, runtime: str) -> Verdict:
        return Verdict(kind, Stage.JUDGE if kind is Kind.PASS else Stage.RUN, path, runtime, ["add"],
                       "" if kind is Kind.PASS else "boom", {})

    work = root / "work"
    store = Store.open(work)
    try:
        session = store.begin_session(0, 1, {})
        store.record(CaseResult(1, 1, "judged", ops=["add", "relu"], op_dtypes=[("add", "float32"), ("relu", "float32")],
                                verdicts=[verdict(Kind.PASS, "torchscript@17", "onnxruntime"),
                                          verdict(Kind.VALUE_MISMATCH, "dynamo@18", "onnxruntime")]),
                     session, ["torchscript", "dynamo"])
        for cid in range(2, 8):
            store.record(CaseResult(cid, cid, "judged", ops=["add"], op_dtypes=[("add", "int64")],
                                    verdicts=[verdict(Kind.PASS, "torchscript@17", "onnx-reference")]),
                         session, ["torchscript"])
        # never judged: its pair is not coverage
        store.record(CaseResult(8, 8, "discarded", ops=["relu"], op_dtypes=[("relu", "float16")]), session, ["torchscript"])
        record_filed(store, TriageOutcome("sig1", Filed(BUG, bug_folder(root / "bugs"), new=True), "filed"))
        with store.conn:
            store.conn.execute("UPDATE sessions SET started = ?, ended = ?", (T0, T0 + 60))
            # cases 1-6 every 4 s from T0 + 4, case 7 at 55 s, the discarded one at 56 s
            store.conn.execute("UPDATE cases SET finished = ? + id * 4 WHERE id <= 6", (T0,))
            store.conn.execute("UPDATE cases SET finished = ? + 48 + id WHERE id > 6", (T0,))
            store.conn.execute("UPDATE filed_bugs SET filed = ?", (T0 + 40,))
    finally:
        store.close()
    return work
