"""onnxfuzz report's page in a real headless browser (Debian's chromium, installed by .ci/run):
plotly.js runs from the page itself, draws every plot, and the bug table is there."""
import os
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from fuzzer.cli import main
from tests.report_workdir import BUG, small_campaign

pytestmark = pytest.mark.slow

#: a headless run as root in a container: no sandbox, no GPU, and nothing fetched from the network
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--virtual-time-budget=5000", "--window-size=1400,2400", "--enable-logging=stderr", "--v=0",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed, and CI must run this test: .ci/run installs it (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium); CI installs it and runs this test")


class RenderedPage(HTMLParser):
    """What plotly drew inside each plot div (its SVGs and trace groups) and the bug table's
    rows. Scripts are not parsed into, so the inlined plotly.js source counts for nothing."""

    def __init__(self):
        super().__init__()
        self.plots: dict[str, dict] = {}
        self._plot = None
        self._depth = 0
        self._in_bugs = False
        self._row = None
        self.bug_rows: list[list[str]] = []
        self.bug_links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "div" and (attrs.get("id") or "").startswith("plot-") and self._plot is None:
            self._plot, self._depth = attrs["id"], 0
            self.plots[self._plot] = {"classes": classes, "svgs": 0, "traces": [], "images": 0}
        if tag == "div" and self._plot is not None:
            self._depth += 1
        if self._plot is not None:
            got = self.plots[self._plot]
            got["svgs"] += tag == "svg" and "main-svg" in classes
            got["images"] += tag == "image"
            if tag == "g" and "trace" in classes:
                got["traces"].append(classes[classes.index("trace") + 1])  # "trace scatter trace<uid>"
            if tag == "g" and "hm" in classes:  # a heatmap is one group holding its image
                got["traces"].append("heatmap")
        if tag == "table" and "bugs" in classes:
            self._in_bugs = True
        if self._in_bugs and tag == "tr":
            self._row = []
        if self._in_bugs and tag == "a":
            self.bug_links.append(attrs.get("href", ""))

    def handle_endtag(self, tag):
        if tag == "div" and self._plot is not None:
            self._depth -= 1
            if self._depth == 0:
                self._plot = None
        if tag == "table":
            self._in_bugs = False
        if tag == "tr" and self._row is not None:
            self.bug_rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._row is not None and data.strip():
            self._row.append(data.strip())


def test_report_renders_its_plots_and_bug_table_in_chromium(tmp_path):
    browser = chromium()
    work = small_campaign(tmp_path)
    page = tmp_path / "report.html"
    assert main(["report", "--workdir", str(work), "--out", str(page)]) == 0
    run = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    errors = [ln for ln in run.stderr.splitlines() if "CONSOLE" in ln and "Uncaught" in ln]
    assert errors == []

    dom = RenderedPage()
    dom.feed(run.stdout)
    assert set(dom.plots) == {"plot-bugs", "plot-throughput", "plot-plugins", "plot-coverage"}
    for name, got in dom.plots.items():
        assert "js-plotly-plot" in got["classes"], f"{name}: plotly never drew it"  # Plotly.newPlot marks its div
        assert got["svgs"] >= 1, name
    # the traces the snapshot holds, drawn: signatures and bugs over time, one session's rate,
    # verdict bars (pass, and the mismatch on both sides), the coverage heatmap as an image
    assert dom.plots["plot-bugs"]["traces"].count("scatter") == 2
    assert dom.plots["plot-throughput"]["traces"].count("scatter") == 1
    assert dom.plots["plot-plugins"]["traces"].count("bars") == 3
    assert dom.plots["plot-coverage"]["traces"] == ["heatmap"] and dom.plots["plot-coverage"]["images"] == 1

    header, *rows = dom.bug_rows
    assert header == ["filed (UTC)", "bug", "title", "system", "symptom", "hits", "status"]
    [row] = rows
    assert BUG in row and "dynamo: wrong values for <avg_pool2d> & co" in row and "value_mismatch" in row
    assert f"work/../bugs/{BUG}/" not in dom.bug_links and f"bugs/{BUG}/" in dom.bug_links
