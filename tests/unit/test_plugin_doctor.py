"""`onnxfuzz doctor`: every plugin, available or why not, and its cached probe counts."""
import json

import pytest

import fuzzer.probe as probe_mod
from fuzzer.cli import main
from fuzzer.plugin import ENV_VAR, load_plugin, select
from fuzzer.run.plugins.onnxruntime import OrtUnoptimized

CONVERTERS = {
    "torchscript", "dynamo", "dynamo-noopt", "version-up", "version-down", "onnxsim", "onnxslim", "onnxoptimizer",
    "onnxoptimizer-fuse", "onnxscript-optimizer", "ort-offline-basic", "ort-offline-extended", "ort-offline-all",
    "float16", "ort-quantize",
}
RUNTIMES = {
    "onnxruntime", "onnxruntime-noopt", "onnxruntime-basic", "onnxruntime-extended", "onnxruntime-mt",
    "onnx-reference", "openvino", "tract",
}


class NeedsMissingPackage(OrtUnoptimized):
    name = "needs-missing"
    requires = ("onnxfuzz-surely-missing-dist",)


class BrokenImport(OrtUnoptimized):
    name = "broken-import"
    imports = ("onnxfuzz_no_such_module",)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(probe_mod.ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.setattr(probe_mod, "_MEMORY", {})


def doctor(capsys, *args):
    assert main(["doctor", "--json", *args]) == 0
    return {r["name"]: r for r in json.loads(capsys.readouterr().out)}


def test_doctor_json_lists_every_plugin_with_its_probe_state(capsys):
    rows = doctor(capsys)
    assert CONVERTERS <= set(rows) and RUNTIMES <= set(rows)
    for name in CONVERTERS | RUNTIMES:
        r = rows[name]
        assert r["available"] and r["why"] is None and r["versions"], r
        assert {"name", "role", "kind", "versions", "available", "why", "probe"} <= set(r)
        assert r["probe"]["cached"] is False, r
        if r["kind"] == "exporter":  # nothing to probe: says why instead of a count
            assert "exporters take a framework model" in r["probe"]["why"]
        else:  # a private, empty cache: says how to get one
            assert "onnxfuzz doctor --probe" in r["probe"]["why"]
    assert rows["dynamo-noopt"]["kind"] == "exporter" and rows["float16"]["kind"] == "transformer"
    assert rows["tract"]["versions"] == {"tract": "0.23.9"}


def test_doctor_shows_cached_probe_counts(capsys):
    ort = load_plugin("runtime", "onnxruntime")
    caps = probe_mod.probe(ort, probe_mod.select(r"^test_(relu|abs|image_decoder_decode_png_rgb)$"), isolate=False)
    probe_mod.save(caps, probe_mod.cache_path(ort))  # as a full probe would
    r = doctor(capsys)["onnxruntime"]["probe"]
    assert r["cached"] and r["supported_pairs"] == 2 and r["unsupported_pairs"] == 1 and r["partial"] is False


def test_doctor_probe_fills_in_missing_probes(capsys, monkeypatch):
    tiny = probe_mod.select(r"^test_(relu|abs)$")
    real = probe_mod.capabilities
    monkeypatch.setattr(probe_mod, "capabilities", lambda p, **k: real(p, cases=tiny, isolate=False))
    rows = doctor(capsys, "--probe")
    for name in ("tract", "openvino", "onnxsim", "version-up"):
        assert rows[name]["probe"]["cached"] and rows[name]["probe"]["supported_pairs"] == 2, rows[name]


def test_missing_package_is_reported_unavailable_with_the_reason(capsys, monkeypatch):
    monkeypatch.setenv(ENV_VAR, ",".join([
        "runtime:needs-missing=tests.unit.test_plugin_doctor:NeedsMissingPackage",
        "runtime:broken-import=tests.unit.test_plugin_doctor:BrokenImport",
    ]))
    rows = doctor(capsys)
    missing, broken = rows["needs-missing"], rows["broken-import"]
    assert not missing["available"] and missing["why"] == "package not installed: onnxfuzz-surely-missing-dist"
    assert missing["versions"]["onnxfuzz-surely-missing-dist"] == "missing" and missing["probe"] is None
    assert not broken["available"] and "import onnxfuzz_no_such_module failed: ModuleNotFoundError" in broken["why"]
    assert "needs-missing" not in [p.name for p in select("runtime", None)]
    from fuzzer.errors import UsageError

    with pytest.raises(UsageError, match="unavailable: package not installed: onnxfuzz-surely-missing-dist"):
        select("runtime", ["needs-missing"])


def test_every_new_plugin_reports_missing_packages(monkeypatch):
    for role, names in (("converter", CONVERTERS - {"torchscript", "dynamo"}), ("runtime", RUNTIMES - {"onnxruntime", "onnxruntime-noopt", "onnx-reference"})):
        for name in names:
            p = load_plugin(role, name)
            assert p.requires and p.imports, name
            monkeypatch.setattr(type(p), "requires", (*p.requires, "onnxfuzz-surely-missing-dist"))
            assert p.unavailable() == "package not installed: onnxfuzz-surely-missing-dist", name
            monkeypatch.undo()


def test_doctor_table_runs_without_probing(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "onnxfuzz plugins" in out and "not probed" in out
