"""Plugin contracts: a plugin that lacks a required hook is unavailable, saying which; a
plugin hook that raises during triage costs its own signature only."""
from __future__ import annotations

import json

import pytest

from fuzzer.case import CaseSpec, run_case
from fuzzer.cli import main
from fuzzer.convert.base import Exporter, Transformer
from fuzzer.errors import UsageError
from fuzzer.generate import GenConfig
from fuzzer.ir import DType, Graph, TensorType
from fuzzer.ops import get_spec
from fuzzer.plugin import ENV_VAR, Plugin, load_plugin, plugin_names, select
from fuzzer.run.base import Runtime
from fuzzer.run.plugins.onnxruntime import OrtUnoptimized
from tests.plugins.faulty import PLUGINS as FAULTY


class NoRepro(Runtime):
    """A runtime written from the table of docs/plugins.md alone: load, input_names, run."""

    name = "no-repro"

    def load(self, model):
        return OrtUnoptimized().load(model)

    def input_names(self, session):
        return OrtUnoptimized().input_names(session)

    def run(self, session, feeds):
        return OrtUnoptimized().run(session, feeds)


class NoOpsets(Exporter):
    name = "no-opsets"

    def export(self, request):
        raise AssertionError("never called: the exporter is unavailable")

    def repro_source(self):
        return "def export_model(model, args, input_names, output_names, opset):\n    raise RuntimeError\n"


class NoTransform(Transformer):
    name = "no-transform"

    def repro_source(self):
        return "def transform_model(model_bytes, opset):\n    return model_bytes\n"


class NegatingRuntime(OrtUnoptimized):
    """Wrong on every float output, and its repro hook raises: the triage of its bug fails."""

    name = "negate-broken-repro"

    def run(self, session, feeds):
        return [-o for o in super().run(session, feeds)]

    def repro_source(self):
        raise RuntimeError("negate-broken-repro: repro template not found")


HERE = __name__
INCOMPLETE = f"runtime:no-repro={HERE}:NoRepro,converter:no-opsets={HERE}:NoOpsets,converter:no-transform={HERE}:NoTransform"


def test_every_required_hook_is_declared_on_the_base_classes_with_a_docstring():
    for base, hooks in ((Plugin, ["repro_source()"]), (Exporter, ["opsets", "export()", "repro_source()"]),
                        (Transformer, ["repro_source()", "transform()"]), (Runtime, ["input_names()", "load()", "repro_source()", "run()"])):
        assert sorted(base.__new__(base).undefined_hooks()) == sorted(["name", *hooks]), base
        for hook in hooks:
            if hook.endswith("()"):
                assert getattr(base, hook[:-2]).__doc__.strip().startswith("Required"), hook


def test_every_registered_plugin_defines_every_required_hook():
    for role in ("converter", "runtime"):
        for name in plugin_names(role):
            assert load_plugin(role, name).undefined_hooks() == [], name


def test_a_plugin_without_a_required_hook_is_unavailable_in_doctor_with_the_reason(capsys, monkeypatch):
    monkeypatch.setenv(ENV_VAR, INCOMPLETE)
    assert main(["doctor", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert not rows["no-repro"]["available"]
    assert rows["no-repro"]["why"] == "runtime 'no-repro' does not define repro_source()"
    assert rows["no-opsets"]["why"] == "exporter 'no-opsets' does not define opsets"
    assert rows["no-transform"]["why"] == "transformer 'no-transform' does not define transform()"
    # campaigns never select it: neither among all plugins nor by name
    assert not {"no-repro", "no-opsets", "no-transform"} & {p.name for p in select("runtime", None) + select("converter", None)}
    with pytest.raises(UsageError, match="'no-repro' is unavailable: runtime 'no-repro' does not define repro_source"):
        select("runtime", ["no-repro"])
    # and whoever calls the missing hook anyway learns why
    with pytest.raises(NotImplementedError, match="'no-repro' does not define repro_source"):
        load_plugin("runtime", "no-repro").repro_source()


def _tanh_graph() -> Graph:
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (2, 3)))
    g.outputs = [g.add_node("tanh", [x], {}, get_spec("tanh").infer([x.type], {})).outputs[0]]
    return g


def test_triage_records_a_raising_plugin_hook_and_files_the_other_signatures(tmp_path, monkeypatch):
    from fuzzer.report.triage import failed, triage_workdir
    from fuzzer.store import Store

    monkeypatch.setenv(ENV_VAR, f"{FAULTY},runtime:negate-broken-repro={HERE}:NegatingRuntime")
    store = Store.open(tmp_path / "work")
    try:
        for case_id, exporter, runtime in ((1, "torchscript", "negate-broken-repro"), (2, "signflip", "onnxruntime")):
            r = run_case(CaseSpec(case_id=case_id, seed=case_id, config=GenConfig(), exporters=[exporter],
                                  runtimes=[runtime], graph_json=_tanh_graph().dumps(), opset=17))
            assert [v.kind.value for v in r.failures] == ["value_mismatch"], r.verdicts
            store.record(r, 1, [exporter])
    finally:
        store.close()

    outcomes = triage_workdir(tmp_path / "work", tmp_path / "bugs", ["torchscript"], ["onnxruntime"], isolate=False)
    by_path = {o.signature: o for o in outcomes}
    assert len(by_path) == 2
    broken = [o for o in outcomes if o.error]
    filed = [o for o in outcomes if o.filed]
    assert len(broken) == 1 and len(filed) == 1, [o.note for o in outcomes]
    assert broken[0].note == "triage failed: RuntimeError: negate-broken-repro: repro template not found"
    assert "repro_source" in broken[0].error  # the traceback, for whoever debugs the plugin
    assert filed[0].filed.new and (filed[0].filed.path / "repro.py").exists()
    assert failed(outcomes) == [{"signature": broken[0].signature, "why": broken[0].note}]


class SlowCompiler(OrtUnoptimized):
    name = "slow-compiler"
    stage_timeout = 300.0


def test_a_plugin_declared_stage_timeout_limits_its_own_stages_only(tmp_path, monkeypatch):
    from fuzzer.campaign.supervisor import Supervisor

    monkeypatch.setenv(ENV_VAR, f"{FAULTY},runtime:slow-compiler={HERE}:SlowCompiler")
    sup = Supervisor(1, tmp_path, stage_timeout=60.0)  # no worker is started
    assert sup.stage_limit("load", "torchscript@17", "hanger") == 1.0  # tests/plugins/faulty.py declares 1 s
    assert sup.stage_limit("run", "torchscript@17>flipopt", "slow-compiler") == 300.0
    assert sup.stage_limit("run", "torchscript@17", "onnxruntime") == 60.0
    assert sup.stage_limit("export", "torchscript@17", "") == 60.0
    assert sup.stage_limit("convert", "torchscript@17>flipopt", "") == 60.0
    assert sup.stage_limit("reference", "", "") == sup.stage_limit("check", "torchscript@17", "") == 60.0
