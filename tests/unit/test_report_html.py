"""onnxfuzz report: what the snapshot reads from a workdir, and the page built from it (no browser)."""
import math
import sqlite3
import time
from html.parser import HTMLParser

import pytest
from plotly.offline import get_plotlyjs

from fuzzer.cli import main
from fuzzer.ir import DType, Graph, TensorType
from fuzzer.report.html import bugs_figure, coverage_figure, plugins_figure, render, throughput_figure
from fuzzer.report.snapshot import take
from fuzzer.report.triage import TriageOutcome, record_filed
from fuzzer.report.writer import Filed
from fuzzer.store import Store
from fuzzer.store.migrations import MIGRATIONS
from tests.report_workdir import BUG, T0, bug_folder, small_campaign


def _external_resources(page: str) -> list[str]:
    """What the page would fetch: script sources, stylesheets, images."""
    found = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if (tag in ("script", "img", "iframe") and attrs.get("src")) or (tag == "link" and attrs.get("href")):
                found.append(f"{tag} {attrs.get('src') or attrs.get('href')}")

    Tags().feed(page)
    return found


@pytest.fixture
def campaign(tmp_path):
    return small_campaign(tmp_path)


def test_snapshot_reads_what_the_campaign_recorded(campaign):
    snap = take(campaign)
    assert snap.op_dtypes == {("add", "float32"): 1, ("relu", "float32"): 1, ("add", "int64"): 6}
    assert snap.cases_without_dtypes == 0
    assert ("add", "float32") in snap.possible_pairs and ("add", "bool") not in snap.possible_pairs
    # 60 s at the 10 s minimum width: six bins, every case counted once, the quiet stretch as zeros
    assert [(b.start - T0, b.seconds, b.cases) for b in snap.throughput] == [
        (0, 10, 2), (10, 10, 2), (20, 10, 2), (30, 10, 0), (40, 10, 0), (50, 10, 2)]
    assert snap.per_plugin["dynamo"] == {"value_mismatch": 1}
    assert snap.per_plugin["onnx-reference"] == {"pass": 6}
    [bug] = snap.bugs
    # what the store recorded, and what the folder says now
    assert (bug.bug_id, bug.filed, bug.new, bug.system, bug.role, bug.kind, bug.hits, bug.status) == (
        BUG, T0 + 40, True, "dynamo", "exporter", "value_mismatch", 3, "reproduces")
    assert len(snap.signatures_first_seen) == 1 and not snap.running


def test_page_is_one_file_with_every_plot_and_the_bug_table(campaign, tmp_path):
    snap = take(campaign)
    page = render(snap, tmp_path / "out" / "report.html")
    assert _external_resources(page) == []  # works offline: plotly.js is in the page
    assert get_plotlyjs() in page
    assert page.count("Plotly.newPlot(") == 4
    for div in ("plot-bugs", "plot-throughput", "plot-plugins", "plot-coverage"):
        assert f'id="{div}"' in page
    assert 'http-equiv="refresh"' not in page
    # the bug's row: its folder linked relative to the page, its title escaped, system and symptom
    assert f'<a href="../bugs/{BUG}/"' in page and f'href="../bugs/{BUG}/report.md"' in page
    assert "dynamo: wrong values for &lt;avg_pool2d&gt; &amp; co" in page
    assert "<code>value_mismatch</code> at judge" in page
    assert 'http-equiv="refresh" content="30"' in render(snap, tmp_path / "report.html", refresh=30)


def test_figures_carry_the_data(campaign):
    snap = take(campaign)
    bugs = {t.name: t for t in bugs_figure(snap).data}
    assert list(bugs["bugs filed"].y) == [1] and list(bugs["bugs filed"].text) == [BUG]
    assert list(bugs["distinct failure signatures"].y) == [1]
    [rates] = throughput_figure(snap).data
    assert list(rates.y) == [0.2, 0.2, 0.2, 0.0, 0.0, 0.2]
    plugins = plugins_figure(snap).data
    failing = [t for t in plugins if t.xaxis == "x2"]
    assert {t.name for t in failing} == {"value_mismatch"}  # passes only on the left
    [heat] = coverage_figure(snap).data
    cell = {(op, d): heat.z[i][j] for i, op in enumerate(heat.y) for j, d in enumerate(heat.x)}
    assert cell[("add", "int64")] == pytest.approx(math.log10(6))
    assert cell[("add", "float32")] == 0.0  # one case
    assert cell[("add", "float16")] == -0.5  # accepted by the spec, no case yet
    assert cell[("add", "bool")] is None  # not accepted


def test_report_reads_a_live_database_without_waiting_for_the_writer(campaign):
    writer = sqlite3.connect(campaign / "onnxfuzz.sqlite", timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")  # the campaign, mid-transaction
        writer.execute("DELETE FROM verdicts")
        snap = take(campaign)  # would raise "database is locked" after 30 s if the reader had to wait
    finally:
        writer.rollback()
        writer.close()
    assert sum(sum(k.values()) for k in snap.per_plugin.values()) > 0  # the committed state, not the pending one


def test_an_older_workdir_reads_as_far_as_it_goes_and_is_not_migrated(tmp_path):
    work = tmp_path / "old"
    work.mkdir()
    conn = sqlite3.connect(work / "onnxfuzz.sqlite")
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied REAL NOT NULL)")
    for name, sql in MIGRATIONS[:2]:  # an onnxfuzz from before the (op, dtype) pairs and filed bugs
        conn.executescript(f"BEGIN; {sql}; INSERT INTO _migrations VALUES ('{name}', 0); COMMIT;")
    conn.execute("INSERT INTO sessions VALUES (1, ?, ?, 0, 1, '{}')", (T0, T0 + 30))
    conn.execute("INSERT INTO cases VALUES (1, 1, 1, 1, 'judged', 1, '[\"add\"]', '[]', 0, 0, '{}', ?, NULL)", (T0 + 5,))
    conn.commit()
    conn.close()
    bug_folder(tmp_path / "bugs", filed="2027-01-15 08:00:00")
    snap = take(work, bugs_dir=tmp_path / "bugs")
    assert snap.op_dtypes == {} and snap.cases_without_dtypes == 1
    [bug] = snap.bugs  # from --bugs-dir, at the time its case.json gives
    assert bug.bug_id == BUG and bug.filed == time.mktime((2027, 1, 15, 8, 0, 0, 0, 0, -1))
    assert "recorded by an older onnxfuzz" in render(snap, tmp_path / "r.html")
    check = sqlite3.connect(work / "onnxfuzz.sqlite")
    assert [r[0] for r in check.execute("SELECT name FROM _migrations")] == [m[0] for m in MIGRATIONS[:2]]
    check.close()


def test_report_command_writes_the_page(campaign, tmp_path, capsys):
    out = tmp_path / "pages" / "campaign.html"
    assert main(["report", "--workdir", str(campaign), "--out", str(out), "--refresh", "60"]) == 0
    assert "Plotly.newPlot(" in out.read_text(encoding="utf-8") and 'content="60"' in out.read_text(encoding="utf-8")
    assert [p.name for p in out.parent.iterdir()] == ["campaign.html"]  # no partial file left
    assert main(["report", "--workdir", str(campaign)]) == 0  # default: WORKDIR/report.html
    assert (campaign / "report.html").exists()


@pytest.mark.parametrize("argv, message", [
    (["report", "--workdir", "{tmp}/nothing"], "no campaign database"),
    (["report", "--workdir", "{work}", "--bugs-dir", "{tmp}/nothing"], "is not a directory"),
    (["report", "--workdir", "{work}", "--refresh", "0"], "must be at least 1"),
])
def test_report_bad_usage_is_one_line_and_exit_2(argv, message, campaign, tmp_path, capsys):
    argv = [a.format(tmp=tmp_path, work=campaign) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_op_dtypes_name_each_op_by_its_primary_operand():
    g = Graph()
    x = g.add_input(TensorType(DType.int64, (2,)))
    cast = g.add_node("cast", [x], {"to": "float32"}, [TensorType(DType.float32, (2,))])
    g.add_node("add", [cast.outputs[0], cast.outputs[0]], {}, [TensorType(DType.float32, (2,))])
    assert g.op_dtypes() == [("cast", "int64"), ("add", "float32")]


def test_only_a_filed_folder_is_recorded_and_its_first_filing_is_kept(tmp_path):
    store = Store.open(tmp_path / "work")
    try:
        folder = bug_folder(tmp_path / "bugs")
        # a repro that did not reproduce leaves no folder: nothing to record
        record_filed(store, TriageOutcome("s0", Filed("other-bug", tmp_path / "bugs" / "other-bug", new=False,
                                                      reason="repro exits 0, not 1: not filed"), "not filed"))
        record_filed(store, TriageOutcome("s0", None, "does not reproduce"))
        record_filed(store, TriageOutcome("s1", Filed(BUG, folder, new=True), "filed"))
        record_filed(store, TriageOutcome("s2", Filed(BUG, folder, new=False, reason="duplicate"), "duplicate"))
        [row] = store.filed_bugs()
    finally:
        store.close()
    assert (row["bug_id"], row["signature"], row["new"], row["folder"]) == (BUG, "s1", True, str(folder.resolve()))
    assert (row["title"], row["system"], row["kind"], row["stage"]) == (
        "dynamo: wrong values for <avg_pool2d> & co", "dynamo", "value_mismatch", "judge")
