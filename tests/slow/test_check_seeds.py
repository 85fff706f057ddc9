"""`onnxfuzz check` on real architecture blocks: seeds exported by both torch exporters."""
from __future__ import annotations

import json

import onnx
import pytest

from fuzzer.cli import main
from fuzzer.plugin import select
from seeds.export import export_seed

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("exporter, opset", [("torchscript", 13), ("dynamo", 18)])
def test_check_runs_a_seed_block_through_every_transformer_and_runtime(tmp_path, capsys, exporter, opset):
    path = tmp_path / "resnet_bottleneck.onnx"
    path.write_bytes(export_seed("resnet_bottleneck", exporter, opset))
    code = main(["check", str(path), "--no-reduce", "--json"])
    report = json.loads(capsys.readouterr().out)
    runtimes = {r.name for r in select("runtime", None)}
    transformers = {c.name for c in select("converter", None) if c.kind == "transformer"}
    assert set(report["runtimes"]) == runtimes and set(report["transformers"]) == transformers
    assert report["mode"] == "float64" and "confirmed by" in report["reference"]
    rows = report["rows"]
    assert not [r for r in rows if "onnxfuzz failed" in r["error"]]
    model_rows = {r["runtime"]: r["kind"] for r in rows if ">" not in r["path"]}
    assert set(model_rows) == runtimes  # the model itself on every runtime
    assert model_rows["onnxruntime-noopt"] == "pass" and model_rows["onnx-reference"] == "pass"
    # every transformer's output is judged on every runtime the model passed on (or fails before any
    # runtime); an output written for one runtime family (ORT's offline optimizer above the basic
    # level) on that family's only
    from fuzzer.plugin import load_plugin
    from oracles.evidence import runtime_family

    passed = {rt for rt, kind in model_rows.items() if kind == "pass"}
    for t in transformers:
        mine = [r for r in rows if r["path"].endswith(f">{t}")]
        family = load_plugin("converter", t).output_for
        expected = {rt for rt in passed if family is None or runtime_family(rt) == family}
        assert {r["runtime"] for r in mine} == expected or any(r["runtime"] == "" for r in mine), t
    assert code == (1 if any(r["kind"] not in ("pass", "unsupported", "unstable") for r in rows) else 0)
    assert onnx.load(str(path)).graph.node  # the model was read, not replaced
