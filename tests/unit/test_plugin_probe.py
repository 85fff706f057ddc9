"""Capability probing: node tests through a plugin, classified, cached per plugin and versions."""
import os
import time

import pytest

import fuzzer.probe as probe_mod
from fuzzer.plugin import load_plugin
from fuzzer.probe import Capabilities, cache_path, cached, capabilities, node_cases, probe, select
from fuzzer.run.plugins.onnxruntime import OrtUnoptimized

# Relu and Abs run everywhere; ORT has BitCast for float32 but not for bool, and no ImageDecoder
SUBSET_PATTERN = r"^test_(relu|abs|bitcast_float32_to_int32|bitcast_bool_to_uint8|image_decoder_decode_png_rgb)$"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(probe_mod.ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.setattr(probe_mod, "_MEMORY", {})


@pytest.fixture(scope="module")
def subset():
    cases = select(SUBSET_PATTERN)
    assert len(cases) == 5
    return cases


def test_node_cases_name_one_op_each():
    cases = node_cases()
    assert len(cases) > 1000 and len({c.op for c in cases}) > 150
    assert not [c for c in cases if "_expanded" in c.name]
    (relu,) = select(r"^test_relu$")
    assert (relu.op, relu.dtype, relu.opset, relu.since) == ("Relu", "float32", 14, 14)
    assert relu.input_names == ["x"] and relu.inputs[0].dtype.name == "float32"


def test_probe_in_process_classifies_each_case(subset):
    caps = probe(load_plugin("runtime", "onnxruntime"), subset, isolate=False)
    status = {r["case"]: r["status"] for r in caps.records}
    assert status["test_relu"] == status["test_abs"] == status["test_bitcast_float32_to_int32"] == "pass"
    assert status["test_bitcast_bool_to_uint8"] == status["test_image_decoder_decode_png_rgb"] == "unsupported"
    # an opset maps to the op's schema version in force there
    assert caps.supports("Relu", "float32", 17) is True and caps.supports("Relu", "float32", 14) is True
    assert caps.supports("Relu", "float32", 13) is None  # Relu-13 was not probed
    assert caps.supports("BitCast", "float32", 26) is True and caps.supports("BitCast", "bool", 26) is False
    assert caps.supports("ImageDecoder", "uint8", 20) is False
    assert caps.supports("Relu", "int64", 17) is None
    counts = caps.counts()
    assert counts["supported_pairs"] == 3 and counts["unsupported_pairs"] == 2 and counts["cases"] == 5
    assert not caps.partial


def test_probe_a_transformer(subset):
    caps = probe(load_plugin("converter", "onnxsim"), subset[:2], isolate=False)
    assert {r["status"] for r in caps.records} == {"pass"}


class CrashOnAbs(OrtUnoptimized):
    name = "crash-on-abs"

    def load(self, model):
        if b"Abs" in model:
            os._exit(3)
        return super().load(model)


class HangOnRelu(OrtUnoptimized):
    """Hangs on Relu. It imports onnxruntime when made (before the worker's first case starts its
    clock), so that a legitimate case takes milliseconds, far inside the per-case limit even
    on a loaded machine."""

    name = "hang-on-relu"

    def __init__(self) -> None:
        import onnxruntime  # noqa: F401

    def load(self, model):
        if b"Relu" in model:
            time.sleep(60)
        return super().load(model)


def test_isolated_probe_survives_a_crash_and_a_hang(subset):
    # budgets far above what the cases take: a loaded machine must not turn a case into "skipped"
    crash = probe(CrashOnAbs(), subset, budget=600)
    status = {r["case"]: r["status"] for r in crash.records}
    assert status["test_abs"] == "crash" and status["test_relu"] == "pass"
    assert status["test_image_decoder_decode_png_rgb"] == "unsupported"
    hang = probe(HangOnRelu(), select(r"^test_(abs|relu)$"), budget=600, case_timeout=5.0)
    assert {r["case"]: r["status"] for r in hang.records} == {"test_abs": "pass", "test_relu": "hang"}


def test_budget_exhausted_leaves_cases_skipped(subset):
    caps = probe(load_plugin("runtime", "onnxruntime"), subset, budget=0, isolate=False)
    assert caps.partial and {r["status"] for r in caps.records} == {"skipped"}
    assert caps.supports("Relu", "float32", 17) is None


def test_capabilities_are_cached_per_plugin_and_versions(subset, monkeypatch):
    ort = load_plugin("runtime", "onnxruntime")
    assert cached(ort, subset) is None
    first = capabilities(ort, cases=subset, isolate=False)
    path = cache_path(ort, subset)
    assert path.exists() and path.parent.parent.name == "cache" and path.name.startswith("onnxruntime-")

    def no_probe(*a, **k):
        raise AssertionError("probed again")

    monkeypatch.setattr(probe_mod, "probe", no_probe)
    assert capabilities(ort, cases=subset) is first  # memory
    monkeypatch.setattr(probe_mod, "_MEMORY", {})
    again = capabilities(ort, cases=subset)  # disk
    assert isinstance(again, Capabilities) and again.records == first.records
    assert again.supports("BitCast", "bool", 26) is False
    # another version of the system under test is another cache entry
    monkeypatch.setattr(type(ort), "versions", lambda self: {"onnxruntime": "0.0.1"})
    assert cached(ort, subset) is None
    assert capabilities(ort, cases=subset, compute=False) is None
