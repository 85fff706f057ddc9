"""Each filed report's "What goes wrong" must tell what its own repro printed when filed.

The numbers under "What goes wrong" come from case.json (the failure's message and
statistics); the block under "Its output when filed" is the repro's actual output. When
the graph or its inputs were reduced again and the message was not taken from a new run,
the two disagree (a shape [1, 1] where the repro shows [1]). Reads files only: running the
repros is tests/slow/test_bugs_reproduce.py's job.
"""
import json
import re
from pathlib import Path

import pytest

BUGS = Path(__file__).resolve().parents[2] / "bugs"
_NUMBER = re.compile(r"-?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan)|True|False")


def _sections(report: str) -> tuple[str, str]:
    """(the "What goes wrong" section, the repro output shown) of a report.md."""
    wrong = report.split("## What goes wrong", 1)[1].split("\n## ", 1)[0]
    said = report.split("Its output when filed:", 1)[1].split("\n## ", 1)[0] if "Its output when filed:" in report else ""
    return wrong, said


def _numbers(text: str) -> list[float]:
    return [float({"True": 1, "False": 0}.get(x, x)) for x in _NUMBER.findall(text)]


def disagreements(meta: dict, report: str) -> list[str]:
    """How the failure report.md describes differs from the repro output it shows."""
    if "## What goes wrong" not in report:
        return []
    wrong, said = _sections(report)
    found = []
    claimed = re.search(r"shape (\[[^\]]*\]), expected (\[[^\]]*\])", wrong)
    shown = re.search(r"\(shapes \(([^)]*)\), \(([^)]*)\) mismatch\)", said)
    if claimed and shown:
        ints = [[int(x) for x in re.findall(r"\d+", s)] for s in (*claimed.groups(), *shown.groups())]
        if ints[:2] != ints[2:]:
            found.append(f"shapes {ints[0]} vs {ints[1]} in the text, {ints[2]} vs {ints[3]} in the repro output")
    stats = meta.get("stats") or {}
    desired = re.search(r"DESIRED: array\((.*?)(?:, dtype=\w+)?\)\s*$", said, re.S | re.M)
    if desired and stats.get("worst_expected") is not None:
        values = desired.group(1)
        want = float(stats["worst_expected"])
        if not any(x == want or abs(x - want) <= 1e-3 * max(1.0, abs(want)) or (x != x and want != want) for x in _numbers(values)):
            found.append(f"worst expected value {want} is not among the repro's DESIRED values")
        rank = len(values) - len(values.lstrip("["))
        if stats.get("worst_index") is not None and len(stats["worst_index"]) != rank:
            found.append(f"worst element at {stats['worst_index']} of a rank-{rank} output")
    counted = re.search(r"Mismatched elements: (\d+) / (\d+)", said)
    if counted and stats.get("compared") is not None and int(counted.group(2)) != stats["compared"]:
        found.append(f"{stats['compared']} elements compared in the text, {counted.group(2)} in the repro output")
    return found


def test_a_stale_shape_is_caught():
    report = ("## What goes wrong\n\n```\noutput 0: shape [], expected [1, 1]\n```\n\n## Reproduce\n\n"
              "Its output when filed:\n\n```\n(shapes (), (1,) mismatch)\n```\n")
    assert disagreements({}, report)
    assert not disagreements({}, report.replace("[1, 1]", "[1]"))


def test_a_stale_value_and_index_are_caught():
    report = ("## What goes wrong\n\ntext\n\n## Reproduce\n\nIts output when filed:\n\n```\n"
              " ACTUAL: array(0., dtype=float32)\n DESIRED: array(0.222222, dtype=float32)\n```\n")
    stale = {"worst_expected": -0.6667, "worst_index": [0, 0]}
    assert len(disagreements({"stats": stale}, report)) == 2
    assert not disagreements({"stats": {"worst_expected": 0.2222222, "worst_index": []}}, report)


@pytest.mark.parametrize("folder", sorted(p.parent.name for p in BUGS.glob("*/case.json")))
def test_report_agrees_with_its_repro_output(folder):
    meta = json.loads((BUGS / folder / "case.json").read_text(encoding="utf-8"))["bug"]
    if meta.get("withdrawn"):
        pytest.skip("withdrawn")
    report = (BUGS / folder / "report.md").read_text(encoding="utf-8")
    assert not disagreements(meta, report)


_KINDS = ("load_crash", "run_crash", "value_mismatch", "shape_mismatch", "dtype_mismatch", "nan_inf",
          "export_crash", "convert_crash", "invalid_model")


@pytest.mark.parametrize("folder", sorted(p.parent.name for p in BUGS.glob("*/case.json")))
def test_report_speaks_plain_words(folder):
    """No verdict kind (onnxfuzz's own names) in what a maintainer reads first."""
    meta = json.loads((BUGS / folder / "case.json").read_text(encoding="utf-8"))["bug"]
    if meta.get("withdrawn") or meta.get("duplicate_of"):
        pytest.skip("not live")
    report = (BUGS / folder / "report.md").read_text(encoding="utf-8")
    # the error text and the repro output are the systems' own words: leave them out
    read = re.sub(r"```.*?```", "", report, flags=re.S)
    assert not [k for k in _KINDS if k in read]
    assert "| hits |" not in read


@pytest.mark.parametrize("folder", sorted(p.parent.name for p in BUGS.glob("*/case.json")))
def test_the_model_declares_the_shapes_it_is_fed(folder):
    """An ONNX-level repro feeds inputs.npz to model.onnx: a model reduced with an input dim
    halved, fed the old inputs, would declare shapes it is not given."""
    onnx = pytest.importorskip("onnx")
    import numpy as np

    d = BUGS / folder
    meta = json.loads((d / "case.json").read_text(encoding="utf-8"))["bug"]
    if (meta["role"] == "exporter" or meta["stage"] not in ("load", "run", "judge")
            or not (d / "model.onnx").exists() or not (d / "inputs.npz").exists()):
        pytest.skip("no ONNX model fed from inputs.npz")
    feeds = dict(np.load(d / "inputs.npz"))
    model = onnx.load(str(d / "model.onnx"))
    for vi in model.graph.input:
        if vi.name not in feeds:
            continue
        dims = [dim.dim_value if dim.HasField("dim_value") else None for dim in vi.type.tensor_type.shape.dim]
        shape = feeds[vi.name].shape
        assert len(dims) == len(shape) and all(a in (None, b) for a, b in zip(dims, shape)), (vi.name, dims, shape)


@pytest.mark.parametrize("folder", sorted(p.parent.name for p in BUGS.glob("*/case.json")))
def test_the_repro_output_shown_names_no_path_of_the_machine_that_filed_it(folder):
    report = (BUGS / folder / "report.md").read_text(encoding="utf-8")
    said = _sections(report)[1] if "## What goes wrong" in report else report
    assert ".regen/" not in said and ".staging/" not in said and str(BUGS) not in said


def test_run_repro_shows_paths_inside_the_folder_as_the_maintainer_has_them(tmp_path):
    from fuzzer.report.writer import run_repro

    (tmp_path / "repro.py").write_text("import sys, warnings\nwarnings.warn('careful')\nsys.exit(1)\n")
    code, output = run_repro(tmp_path)
    assert code == 1 and "repro.py:2: UserWarning: careful" in output and str(tmp_path) not in output
