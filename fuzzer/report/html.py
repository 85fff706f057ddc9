"""The campaign report as one self-contained HTML page, from a Snapshot.

Plots are plotly figures; plotly.js is inlined once in the page head, so the file works
offline and can be mailed or archived as it is. Bug folders are linked by paths relative
to the page, so the links keep working when the page, the workdir and the bugs move together.
"""
from __future__ import annotations

import html
import math
import os
import time
from pathlib import Path
from urllib.parse import quote

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from fuzzer.report.snapshot import Snapshot
from oracles import Kind

#: one colour per verdict kind, the same in every plot: greys for what is not a bug
KIND_COLOURS = {
    "pass": "#c7d3c0", "unsupported": "#bdbdbd", "unstable": "#e0d9a8",
    "export_crash": "#d62728", "convert_crash": "#ff7f0e", "invalid_model": "#9467bd", "load_crash": "#8c564b",
    "run_crash": "#e377c2", "hang": "#7f7f7f", "oom": "#17becf", "shape_mismatch": "#1f77b4",
    "dtype_mismatch": "#aec7e8", "value_mismatch": "#2ca02c", "nan_inf": "#bcbd22",
}
_PLOT_CONFIG = {"displaylogo": False, "responsive": True}
# Two plots side by side sit in a grid, not a flex row: plotly sizes a plot when its script
# runs, before the next plot's div exists, and only a grid gives the first its half already.
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
.totals { display: flex; flex-wrap: wrap; gap: 0.6em 1.6em; margin: 0.8em 0; }
.totals div { min-width: 8em; } .totals b { display: block; font-size: 1.4em; }
.note { color: #666; font-size: 0.9em; }
.row { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 1em; }
@media (max-width: 1100px) { .row { grid-template-columns: minmax(0, 1fr); } }
table.bugs { border-collapse: collapse; width: 100%; font-size: 0.9em; }
table.bugs th, table.bugs td { border-bottom: 1px solid #ddd; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
table.bugs th { background: #f3f3f3; } td.num { text-align: right; }
"""


def utc(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def render(snap: Snapshot, out: Path, refresh: int | None = None) -> str:
    """The page for snap, to be written at `out` (bug links are relative to it).

    Args:
        refresh: if given, the page reloads itself every this many seconds (a meta refresh),
            for a file that is written again while the campaign runs.
    """
    s = snap.stats
    refresh_tag = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
    state = "is running (or was stopped without ending its session)" if snap.running else "has ended"
    covered = sum(1 for pair in snap.op_dtypes if pair in snap.possible_pairs)
    totals = [
        ("cases", f"{s['tests']:,}"), ("judged", f"{s['judged']:,}"), ("cases/s", f"{s['tests_per_second']:.2f}"),
        ("failing verdicts", f"{s['failures']:,}"), ("distinct signatures", f"{s['distinct_signatures']:,}"),
        ("bugs filed", f"{sum(b.new for b in snap.bugs)}"),
        ("op × dtype pairs", f"{covered} / {len(snap.possible_pairs)}"), ("sessions", f"{s['sessions']}"),
    ]
    sections = [
        '<div class="row">',
        f"<div><h2>Bugs filed over time</h2>{_plot(bugs_figure(snap), 'plot-bugs')}</div>",
        f"<div><h2>Cases per second</h2>{_plot(throughput_figure(snap), 'plot-throughput')}</div>",
        "</div>",
        f"<h2>Verdicts per plugin</h2>{_plot(plugins_figure(snap), 'plot-plugins')}",
        f"<h2>Bugs ({len(snap.bugs)})</h2>{bug_table(snap, out)}",
        "<h2>Op × dtype coverage</h2>",
        f'<p class="note">Judged cases per op and the dtype of its primary operand. Pale red: a pair the '
        f"op spec accepts that no judged case has had yet; blank: a dtype the spec does not accept."
        f"{_without_note(snap)}</p>",
        _plot(coverage_figure(snap), "plot-coverage"),
    ]
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        refresh_tag,
        f"<title>onnxfuzz report: {html.escape(str(snap.workdir))}</title>",
        f"<style>{_STYLE}</style>",
        f'<script type="text/javascript">{get_plotlyjs()}</script>',
        "</head><body>",
        f"<h1>onnxfuzz campaign: {html.escape(str(snap.workdir))}</h1>",
        f'<p class="note">Report taken {utc(snap.taken)} UTC; the campaign {state}. '
        f"{'This page reloads every ' + str(int(refresh)) + ' s. ' if refresh else ''}"
        f"Run <code>onnxfuzz report</code> again to refresh it.</p>",
        '<div class="totals">' + "".join(f"<div>{html.escape(k)}<b>{v}</b></div>" for k, v in totals) + "</div>",
        *sections,
        "</body></html>",
    ])


def _plot(fig: go.Figure, div_id: str) -> str:
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id, config=_PLOT_CONFIG)


def _without_note(snap: Snapshot) -> str:
    if not snap.cases_without_dtypes:
        return ""
    return (f" {snap.cases_without_dtypes:,} judged cases were recorded by an older onnxfuzz that kept no "
            "dtypes and are not counted here.")


def _layout(fig: go.Figure, height: int, **kw) -> go.Figure:
    kw.setdefault("legend", dict(orientation="h", x=0, y=1.02, yanchor="bottom"))  # above the plot, left of the tool bar
    fig.update_layout(height=height, margin=dict(l=60, r=20, t=50, b=50), template="plotly_white", **kw)
    return fig


def _empty(fig: go.Figure, text: str) -> None:
    fig.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font=dict(size=14, color="#888"))


def bugs_figure(snap: Snapshot) -> go.Figure:
    """New bugs filed, cumulative, over time; distinct failure signatures on a second axis."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    new = [b for b in snap.bugs if b.new]
    if snap.signatures_first_seen:
        times = sorted(snap.signatures_first_seen)
        fig.add_trace(go.Scatter(x=[utc(t) for t in times], y=list(range(1, len(times) + 1)), mode="lines",
                                 line=dict(shape="hv", color="#aaaaaa"), name="distinct failure signatures"),
                      secondary_y=True)
    fig.add_trace(go.Scatter(x=[utc(b.filed) for b in new], y=list(range(1, len(new) + 1)), mode="lines+markers",
                             line=dict(shape="hv", color="#d62728"), name="bugs filed",
                             text=[b.bug_id for b in new], hovertemplate="%{x}<br>%{y} bugs, last %{text}<extra></extra>"),
                  secondary_y=False)
    if not new:
        _empty(fig, "no bugs filed yet")
    fig.update_yaxes(title_text="bugs filed", rangemode="tozero", **_count_ticks(len(new)), secondary_y=False)
    fig.update_yaxes(title_text="distinct signatures", rangemode="tozero", showgrid=False,
                     **_count_ticks(len(snap.signatures_first_seen)), secondary_y=True)
    fig.update_xaxes(title_text="time (UTC)")
    return _layout(fig, 380)


def _count_ticks(top: int) -> dict:
    """Whole-number ticks on an axis counting up to top: every 1 on a small one (plotly would
    tick at halves), plotly's own choice above (a secondary axis would otherwise take the
    primary's tick positions, at fractions)."""
    return dict(tickmode="linear", tick0=0, dtick=1) if top <= 8 else dict(tickmode="auto", tickformat=",d")


def throughput_figure(snap: Snapshot) -> go.Figure:
    """Finished cases per second over time, one line per session."""
    fig = go.Figure()
    for session in sorted({b.session for b in snap.throughput}):
        bins = [b for b in snap.throughput if b.session == session]
        fig.add_trace(go.Scatter(x=[utc(b.start + b.seconds / 2) for b in bins], y=[round(b.rate, 3) for b in bins],
                                 mode="lines+markers", name=f"session {session}",
                                 customdata=[[b.cases, round(b.seconds)] for b in bins],
                                 hovertemplate="%{x}<br>%{y} cases/s (%{customdata[0]} in %{customdata[1]} s)<extra></extra>"))
    if not snap.throughput:
        _empty(fig, "no cases yet")
    fig.update_yaxes(title_text="cases/s", rangemode="tozero")
    fig.update_xaxes(title_text="time (UTC)")
    return _layout(fig, 380)


def plugins_figure(snap: Snapshot) -> go.Figure:
    """Verdicts per plugin by kind: all of them, and the failing ones alone (passes dwarf them)."""
    plugins = list(snap.per_plugin)
    kinds = [k.value for k in Kind if any(k.value in v for v in snap.per_plugin.values())]
    kinds += sorted({k for v in snap.per_plugin.values() for k in v} - set(kinds))  # a kind of another onnxfuzz
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.03,
                        subplot_titles=("all verdicts", "failing verdicts"))
    for kind in kinds:
        counts = [snap.per_plugin[p].get(kind, 0) for p in plugins]
        colour = KIND_COLOURS.get(kind, "#444444")
        fig.add_trace(go.Bar(y=plugins, x=counts, orientation="h", name=kind, marker_color=colour, legendgroup=kind),
                      row=1, col=1)
        if _is_failure(kind):
            fig.add_trace(go.Bar(y=plugins, x=counts, orientation="h", name=kind, marker_color=colour,
                                 legendgroup=kind, showlegend=False), row=1, col=2)
    if not plugins:
        _empty(fig, "no verdicts yet")
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed", row=1, col=1)
    return _layout(fig, 120 + 22 * max(len(plugins), 4), legend=dict(orientation="v", x=1.01, y=1))


def _is_failure(kind: str) -> bool:
    try:
        return Kind(kind).is_failure
    except ValueError:
        return True


def coverage_figure(snap: Snapshot) -> go.Figure:
    """A heatmap of judged cases per (op, dtype), on a log scale; pairs a spec accepts but
    no case had yet in pale red, pairs it does not accept blank."""
    from fuzzer.ir import DType

    pairs = snap.possible_pairs | set(snap.op_dtypes)
    ops = sorted({op for op, _ in pairs}, key=str.lower)
    order = {d.value: i for i, d in enumerate(DType)}
    dtypes = sorted({d for _, d in pairs}, key=lambda d: (order.get(d, len(order)), d))
    top = max((math.log10(n) for n in snap.op_dtypes.values()), default=1.0) or 1.0
    z, text = [], []
    for op in ops:
        z_row, t_row = [], []
        for d in dtypes:
            n = snap.op_dtypes.get((op, d), 0)
            if n:
                z_row.append(math.log10(n))
            else:
                z_row.append(-0.5 if (op, d) in snap.possible_pairs else None)
            t_row.append(str(n) if n or (op, d) in snap.possible_pairs else "not accepted")
        z.append(z_row)
        text.append(t_row)
    edge = 0.5 / (top + 0.5)  # where "none yet" (-0.5) ends and 1 case (log 0) begins on the scale
    ticks = list(range(int(top) + 1))
    fig = go.Figure(go.Heatmap(
        z=z, x=dtypes, y=ops, text=text, zmin=-0.5, zmax=top, xgap=1, ygap=1,
        colorscale=[[0, "#f4b6b0"], [edge, "#f4b6b0"], [edge, "#deebf7"], [1, "#08306b"]],
        colorbar=dict(title="cases", tickvals=[-0.5] + ticks, ticktext=["0"] + [f"{10 ** t:,}" for t in ticks]),
        hovertemplate="%{y} on %{x}: %{text} judged cases<extra></extra>"))
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=10))
    fig.update_xaxes(side="top")
    return _layout(fig, 100 + 13 * len(ops), showlegend=False)


def bug_table(snap: Snapshot, out: Path) -> str:
    """Every bug: when, its folder (linked), title, system at fault, symptom, hits, status."""
    if not snap.bugs:
        return '<p class="note">No bugs filed from this campaign yet (file them with <code>onnxfuzz run --file-bugs DIR</code> or <code>onnxfuzz bugs file --workdir DIR</code>).</p>'
    head = ["filed (UTC)", "bug", "title", "system", "symptom", "hits", "status"]
    rows = []
    for b in snap.bugs:
        link = _link(b.folder, out)
        if b.folder_exists:
            name = (f'<a href="{html.escape(link)}/" title="{html.escape(str(b.folder))}">{html.escape(b.bug_id)}</a>'
                    f' (<a href="{html.escape(link)}/report.md">report</a>)')
        else:
            name = f'{html.escape(b.bug_id)} <span class="note">(folder {html.escape(str(b.folder))} is gone)</span>'
        again = "" if b.new else ' <span class="note">(filed before, found again)</span>'
        system = html.escape(b.system) + (f' <span class="note">{html.escape(b.role)}</span>' if b.role else "")
        cells = [utc(b.filed), name, html.escape(b.title) + again, system,
                 f"<code>{html.escape(b.kind)}</code> at {html.escape(b.stage)}",
                 "" if b.hits is None else str(b.hits), html.escape(b.status or "")]
        rows.append("<tr>" + "".join(f'<td class="num">{c}</td>' if i == 5 else f"<td>{c}</td>"
                                     for i, c in enumerate(cells)) + "</tr>")
    return ('<table class="bugs"><thead><tr>' + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _link(folder: Path, out: Path) -> str:
    """folder relative to the page at out, as a URL path; an absolute file URL where no relative one exists."""
    try:
        rel = os.path.relpath(folder, Path(out).resolve().parent)
    except ValueError:  # another drive
        return Path(folder).as_uri()
    return quote(Path(rel).as_posix())
