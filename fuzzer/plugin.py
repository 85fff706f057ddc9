"""What every converter and runtime plugin has in common, and how they are found.

Plugins are discovered through the entry-point groups `onnxfuzz.converters` and
`onnxfuzz.runtimes`. The built-ins are registered through those same groups in
pyproject.toml, so a third-party plugin is found exactly like ours. When
onnxfuzz runs from a source tree that was never installed, the built-ins are
still found through BUILTINS.

A plugin not yet packaged can be tried through the environment:
ONNXFUZZ_PLUGINS="converter:name=module:Class,runtime:name=module:Class".
Campaign workers inherit it, so such a plugin runs exactly like a packaged one.

A plugin imports its framework lazily, inside its methods: loading the registry
never imports torch, and a plugin whose packages are missing or broken shows up
as unavailable with the reason, instead of breaking the registry.
"""
from __future__ import annotations

import importlib
import os
from functools import lru_cache
from importlib import metadata
from typing import ClassVar

from fuzzer.errors import PluginUnavailable, UsageError

GROUPS = {"converter": "onnxfuzz.converters", "runtime": "onnxfuzz.runtimes"}

BUILTINS = {
    "converter": {
        "torchscript": "fuzzer.convert.plugins.torchscript:TorchScriptExporter",
        "dynamo": "fuzzer.convert.plugins.dynamo:DynamoExporter",
        "dynamo-noopt": "fuzzer.convert.plugins.dynamo:DynamoNoOptExporter",
        "onnx-direct": "fuzzer.convert.plugins.onnx_direct:OnnxDirect",
        "tf2onnx": "fuzzer.convert.plugins.tf2onnx:Tf2OnnxExporter",
        "version-up": "fuzzer.convert.plugins.version:VersionUp",
        "version-down": "fuzzer.convert.plugins.version:VersionDown",
        "onnxsim": "fuzzer.convert.plugins.onnxsim:OnnxSim",
        "onnxslim": "fuzzer.convert.plugins.onnxslim:OnnxSlim",
        "onnxoptimizer": "fuzzer.convert.plugins.onnxoptimizer:OnnxOptimizer",
        "onnxoptimizer-fuse": "fuzzer.convert.plugins.onnxoptimizer:OnnxOptimizerFuse",
        "onnxscript-optimizer": "fuzzer.convert.plugins.onnxscript_optimizer:OnnxScriptOptimizer",
        "ort-offline-basic": "fuzzer.convert.plugins.ort_offline:OrtOfflineBasic",
        "ort-offline-extended": "fuzzer.convert.plugins.ort_offline:OrtOfflineExtended",
        "ort-offline-all": "fuzzer.convert.plugins.ort_offline:OrtOfflineAll",
        "float16": "fuzzer.convert.plugins.float16:Float16",
        "ort-quantize": "fuzzer.convert.plugins.ort_quantize:OrtQuantizeDynamic",
    },
    "runtime": {
        "onnxruntime": "fuzzer.run.plugins.onnxruntime:OrtOptimized",
        "onnxruntime-noopt": "fuzzer.run.plugins.onnxruntime:OrtUnoptimized",
        "onnxruntime-basic": "fuzzer.run.plugins.onnxruntime:OrtBasic",
        "onnxruntime-extended": "fuzzer.run.plugins.onnxruntime:OrtExtended",
        "onnxruntime-mt": "fuzzer.run.plugins.onnxruntime:OrtMultiThreaded",
        "onnx-reference": "fuzzer.run.plugins.reference:ReferenceEvaluator",
        "openvino": "fuzzer.run.plugins.openvino:OpenVinoCpu",
        "tract": "fuzzer.run.plugins.tract:TractRuntime",
    },
}


def required(hook):
    """Marks a base-class declaration of a hook every concrete plugin must define itself.

    The declaration documents the hook; a plugin class that inherits it instead of
    defining the hook is unavailable (Plugin.undefined_hooks), so no campaign or
    triage ever calls it.
    """
    hook.__onnxfuzz_required__ = True
    return hook


class Plugin:
    """The hooks every plugin has. Required: `name`, `repro_source()` and its role's
    hooks (fuzzer.convert.base, fuzzer.run.base); the rest are optional, with defaults."""

    #: required: the name users select it by, equal to the name it is registered under
    name: ClassVar[str]
    #: "exporter", "transformer", "importer" or "runtime" (set by the role's base class)
    kind: ClassVar[str]
    #: optional: distributions it needs; their versions go into every bug report
    requires: ClassVar[tuple[str, ...]] = ()
    #: optional: modules whose import proves the plugin usable
    imports: ClassVar[tuple[str, ...]] = ()
    #: optional: seconds one call into it (an export, a transform, a load, a run) may take before
    #: the campaign counts a hang, instead of --stage-timeout: longer for a system known to
    #: compile slowly, shorter for one whose every call is quick. None: --stage-timeout
    stage_timeout: ClassVar[float | None] = None
    #: class attributes a plugin must give a non-empty value (extended by the role's base)
    required_attributes: ClassVar[tuple[str, ...]] = ("name",)

    @required
    def repro_source(self) -> str:
        """Required: standalone Python source for the bug repros, importing no onnxfuzz module.

        It defines the one function a repro calls for this plugin's step, doing what
        the plugin does:
        - exporter: `export_model(model, args, input_names, output_names, opset, dynamic=None)`
          returning a serialized ModelProto (`dynamic` only if `supports_dynamic`);
        - transformer: `transform_model(model_bytes, opset)` returning a serialized ModelProto;
        - runtime: `run_model(model_bytes, feeds)` returning the outputs in graph output order.
        """
        raise NotImplementedError(f"{self.kind} {getattr(self, 'name', type(self).__name__)!r} does not define "
                                  "repro_source(): its bugs cannot get a standalone repro")

    def undefined_hooks(self) -> list[str]:
        """The required hooks this plugin leaves undefined: attributes as "name", methods as "name()"."""
        cls = type(self)
        out = [a for a in self.required_attributes if not getattr(cls, a, None)]
        for attr in sorted({a for klass in cls.__mro__ for a in vars(klass)}):
            if getattr(getattr(cls, attr, None), "__onnxfuzz_required__", False):
                out.append(f"{attr}()")
        return out

    def versions(self) -> dict[str, str]:
        """Optional: the installed version of each distribution in `requires` ("missing" if absent)."""
        out = {}
        for dist in self.requires:
            try:
                out[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                out[dist] = "missing"
        return out

    def unavailable(self) -> str | None:
        """Optional: why this plugin cannot run here, or None when it can.

        By default: a required hook it does not define, a distribution of `requires` that
        is not installed, or a module of `imports` that fails to import. An override
        must return super().unavailable() when it has no reason of its own.
        """
        undefined = self.undefined_hooks()
        if undefined:
            return f"{self.kind} {getattr(self, 'name', type(self).__name__)!r} does not define {', '.join(undefined)}"
        missing = [d for d, v in self.versions().items() if v == "missing"]
        if missing:
            return f"package not installed: {', '.join(missing)}"
        for mod in self.imports:
            try:
                importlib.import_module(mod)
            except Exception as e:  # a broken install is as unavailable as a missing one
                return f"import {mod} failed: {type(e).__name__}: {e}"
        return None

    def is_unsupported(self, error: BaseException) -> bool:
        """Optional: True when error is a documented gap (missing kernel, unsupported op), not a bug.

        Matches the tool's own words for a gap, never a generic failure (docs/plugins.md);
        the default calls every error a failure.
        """
        return False


ENV_VAR = "ONNXFUZZ_PLUGINS"


def _from_env(role: str) -> dict[str, str]:
    out = {}
    for item in filter(None, (s.strip() for s in os.environ.get(ENV_VAR, "").split(","))):
        item_role, _, rest = item.partition(":")
        name, _, target = rest.partition("=")
        if item_role not in GROUPS or not name or ":" not in target:
            raise UsageError(f"{ENV_VAR}: {item!r} is not ROLE:NAME=module:Class with ROLE converter or runtime")
        if item_role == role:
            out[name] = target
    return out


def _entry_points(role: str) -> dict[str, str]:
    return {**BUILTINS[role], **_installed(role), **_from_env(role)}


@lru_cache(maxsize=None)
def _installed(role: str) -> dict[str, str]:
    return {ep.name: ep.value for ep in metadata.entry_points(group=GROUPS[role])}


def plugin_names(role: str) -> list[str]:
    return sorted(_entry_points(role))


def load_plugin(role: str, name: str) -> Plugin:
    """The plugin instance registered as `name` for role "converter" or "runtime".

    Raises:
        UsageError: no plugin of that name is registered.
        PluginUnavailable: the plugin's module or class could not be loaded.
    """
    table = _entry_points(role)
    if name not in table:
        raise UsageError(f"unknown {role} {name!r}; known: {', '.join(sorted(table))}")
    return _load(role, name, table[name])


@lru_cache(maxsize=None)
def _load(role: str, name: str, target: str) -> Plugin:
    module_name, _, attr = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except Exception as e:
        raise PluginUnavailable(f"{role} {name!r} failed to load from {target}: {type(e).__name__}: {e}") from e
    plugin = cls()
    if getattr(plugin, "name", name) != name:  # one that defines no name is unavailable, saying so
        raise PluginUnavailable(f"{target} declares name {plugin.name!r}, registered as {name!r}")
    return plugin


def select(role: str, names: list[str] | None) -> list[Plugin]:
    """The named plugins (all available ones when names is None), checked usable.

    Raises:
        UsageError: a name is unknown, or a named plugin is unavailable here.
    """
    if names is None:
        out = []
        for n in plugin_names(role):
            try:
                p = load_plugin(role, n)
            except PluginUnavailable:
                continue
            if p.unavailable() is None:
                out.append(p)
        return out
    out = []
    for n in names:
        try:
            p = load_plugin(role, n)
        except PluginUnavailable as e:
            raise UsageError(str(e)) from None
        why = p.unavailable()
        if why is not None:
            raise UsageError(f"{role} {n!r} is unavailable: {why}")
        out.append(p)
    return out
