"""Every filed bug must reproduce with its own standalone repro.py, against the pinned versions."""
import ast
import json
from pathlib import Path

import pytest

from fuzzer.report.writer import run_repro

BUGS = Path(__file__).resolve().parents[2] / "bugs"
FOLDERS = sorted(p.parent for p in BUGS.glob("*/case.json"))

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_repro_reproduces_and_is_standalone(folder):
    script = (folder / "repro.py").read_text()
    imported = {
        (n.module if isinstance(n, ast.ImportFrom) else a.name).split(".")[0]
        for n in ast.walk(ast.parse(script)) if isinstance(n, (ast.Import, ast.ImportFrom))
        for a in (n.names if isinstance(n, ast.Import) else [n])
    }
    assert not imported & {"fuzzer", "oracles", "onnxfuzz"}, imported
    meta = json.loads((folder / "case.json").read_text())["bug"]
    if meta.get("withdrawn"):
        pytest.skip(f"withdrawn: {meta['withdrawn']}")
    # each in its system's idiom: no torch for an ONNX-level system, a real conversion for tf2onnx
    if meta["role"] != "exporter":
        assert "torch" not in imported, "an ONNX-level repro imports torch"
    if meta["system"] == "tf2onnx":
        assert "tf2onnx" in imported and "tf2onnx.convert.from_function(" in script
    for name in ("report.md", "inputs.npz"):
        assert (folder / name).exists(), name
    code, output = run_repro(folder)
    assert code == 1, f"{meta['title']}: repro exits {code}\n{output[-1500:]}"


def test_bug_folders_are_complete():
    for folder in FOLDERS:
        case = json.loads((folder / "case.json").read_text())
        if case["bug"].get("found_by") == "onnxfuzz check":  # a user's model: no onnxfuzz graph, the model itself
            assert (folder / "model.onnx").exists()
        else:
            assert case["graph"]["format"] == "onnxfuzz-graph/1"
        assert case["bug"]["id"] == folder.name and case["bug"]["system"]
