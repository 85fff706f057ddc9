import pytest

from fuzzer.errors import UsageError
from fuzzer.plugin import ENV_VAR, load_plugin, plugin_names, select


def test_builtins_are_registered():
    assert {"torchscript", "dynamo"} <= set(plugin_names("converter"))
    assert {"onnxruntime", "onnxruntime-noopt", "onnx-reference"} <= set(plugin_names("runtime"))


def test_every_builtin_loads_and_reports_versions():
    for role in ("converter", "runtime"):
        for name in plugin_names(role):
            p = load_plugin(role, name)
            assert p.name == name
            assert p.versions() and all(v for v in p.versions().values())


def test_unknown_plugin_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown converter 'nope'"):
        select("converter", ["nope"])


def test_env_plugins_are_discovered(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "converter:signflip=tests.plugins.faulty:SignFlipExporter")
    assert "signflip" in plugin_names("converter")
    assert load_plugin("converter", "signflip").name == "signflip"


def test_malformed_env_is_a_usage_error(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "gadget:x=y")
    with pytest.raises(UsageError, match=ENV_VAR):
        plugin_names("converter")


def test_missing_package_makes_plugin_unavailable(monkeypatch):
    p = load_plugin("runtime", "onnxruntime")
    monkeypatch.setattr(type(p), "requires", ("surely-not-installed-pkg",))
    assert "surely-not-installed-pkg" in p.unavailable()


def test_broken_plugin_module_is_unavailable_not_fatal(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "runtime:ghost=tests.plugins.does_not_exist:Ghost")
    assert "ghost" not in [p.name for p in select("runtime", None)]
    with pytest.raises(UsageError, match="ghost"):
        select("runtime", ["ghost"])
