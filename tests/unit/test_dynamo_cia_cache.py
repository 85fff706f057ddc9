"""The dynamo plugin collects torch's preservable CompositeImplicitAutograd ops once per process
(issue 16: torch.export recollected them twice per export): the exported models are the same
as without the reuse, every cached answer is what torch would have computed, and an op
registered later is seen."""
import pytest

pytest.importorskip("torch")
pytest.importorskip("onnxscript")

from fuzzer.case import CaseSpec, start_case  # noqa: E402
from fuzzer.choices import NumpyChoices  # noqa: E402
from fuzzer.generate import GenConfig, generate  # noqa: E402
from fuzzer.plugin import load_plugin  # noqa: E402

CONFIG = GenConfig(min_nodes=3, max_nodes=6, ops=("add", "mul", "relu", "tanh", "matmul", "softmax", "transpose", "sum"),
                   dtypes=frozenset({"float32"}))


@pytest.fixture
def patched_modules(monkeypatch):
    """The modules the reuse patches, restored after the test whatever it installs."""
    import torch.export.decomp_utils
    import torch.export.exported_program
    from torch._export import utils

    from torch.onnx._internal.exporter import _registration

    modules = (utils, torch.export.exported_program, torch.export.decomp_utils)
    # torch's own function during the test (an earlier test's export may have installed the reuse)
    original = utils._collect_all_valid_cia_ops
    original = getattr(original, "__wrapped__", original) if getattr(original, "_onnxfuzz_cached", False) else original
    for module in modules:
        monkeypatch.setattr(module, "_collect_all_valid_cia_ops", original)
    installed = _registration.ONNXRegistry.__dict__["from_torchlib"]  # the exports install the registry reuse too
    monkeypatch.setattr(_registration.ONNXRegistry, "from_torchlib", installed)
    return modules, original


def _requests(exporter, n=3):
    out, seed = [], 7
    while len(out) < n:
        graph = generate(NumpyChoices(seed), CONFIG)
        case = start_case(CaseSpec(case_id=seed, seed=seed, config=CONFIG, exporters=[exporter.name],
                                   runtimes=["onnx-reference"], opset=18, graph_json=graph.dumps()))
        seed += 1
        if case is not None and getattr(case, "graph", None) is not None:
            out.append(case.request(exporter, 18))
    return out


@pytest.mark.parametrize("name", ["dynamo", "dynamo-noopt"])
def test_models_are_the_same_with_and_without_the_reuse(patched_modules, monkeypatch, name):
    import onnx

    modules, original = patched_modules
    exporter = load_plugin("converter", name)
    requests = _requests(exporter)
    monkeypatch.setenv("ONNXFUZZ_DYNAMO_CIA_CACHE", "0")
    without = [exporter.export(r) for r in requests]
    assert all(m._collect_all_valid_cia_ops is original for m in modules)  # turned off: nothing patched
    monkeypatch.setenv("ONNXFUZZ_DYNAMO_CIA_CACHE", "1")
    with_reuse = [exporter.export(r) for r in requests]
    assert all(getattr(m._collect_all_valid_cia_ops, "_onnxfuzz_cached", False) for m in modules)
    for a, b in zip(without, with_reuse):
        assert onnx.load_model_from_string(a) == onnx.load_model_from_string(b)
        assert a == b


def test_each_cached_answer_is_what_torch_computes(patched_modules, monkeypatch):
    from fuzzer.convert.plugins.dynamo import reuse_valid_cia_ops

    modules, original = patched_modules
    monkeypatch.setenv("ONNXFUZZ_DYNAMO_CIA_CACHE", "1")
    reuse_valid_cia_ops()
    reuse_valid_cia_ops()  # a second call does not wrap the wrapper
    cached = modules[0]._collect_all_valid_cia_ops
    assert cached.__wrapped__ is original
    answers = []

    def checked():
        answer = cached()
        answers.append(answer == original())
        return answer

    checked._onnxfuzz_cached = True  # the export's own reuse_valid_cia_ops leaves it in place
    for module in modules:
        monkeypatch.setattr(module, "_collect_all_valid_cia_ops", checked)
    exporter = load_plugin("converter", "dynamo")
    for request in _requests(exporter, 2):
        exporter.export(request)
    assert len(answers) >= 4 and all(answers)  # torch asks at least twice per export


def test_an_op_registered_later_is_seen(patched_modules, monkeypatch):
    import torch

    from fuzzer.convert.plugins.dynamo import reuse_valid_cia_ops

    modules, original = patched_modules
    monkeypatch.setenv("ONNXFUZZ_DYNAMO_CIA_CACHE", "1")
    reuse_valid_cia_ops()
    cached = modules[0]._collect_all_valid_cia_ops
    before = cached()
    lib = torch.library.Library("onnxfuzz_cia_test", "DEF")
    try:
        lib.define("twice(Tensor x) -> Tensor")
        lib.impl("twice", lambda x: x + x, "CompositeImplicitAutograd")
        after = cached()
        op = torch.ops.onnxfuzz_cia_test.twice.default
        assert op not in before and op in after
        assert after == original()
    finally:
        lib._destroy()


def test_a_reuse_installed_before_the_fork_is_undone_when_turned_off(patched_modules, monkeypatch):
    from fuzzer.convert.plugins.dynamo import reuse_valid_cia_ops

    modules, original = patched_modules
    monkeypatch.setenv("ONNXFUZZ_DYNAMO_CIA_CACHE", "1")
    reuse_valid_cia_ops()
    assert all(m._collect_all_valid_cia_ops is not original for m in modules)
    monkeypatch.setenv("ONNXFUZZ_DYNAMO_CIA_CACHE", "0")
    reuse_valid_cia_ops()
    assert all(m._collect_all_valid_cia_ops is original for m in modules)


def test_warming_fills_both_caches(patched_modules, monkeypatch):
    from torch.onnx._internal.exporter import _registration

    from fuzzer.convert.plugins.dynamo import DynamoExporter, warm_caches

    monkeypatch.setenv("ONNXFUZZ_DYNAMO_CIA_CACHE", "1")
    monkeypatch.setenv("ONNXFUZZ_DYNAMO_REGISTRY_CACHE", "1")
    modules, original = patched_modules
    collected = []
    monkeypatch.setattr(modules[0], "_collect_all_valid_cia_ops", lambda: collected.append(1) or original())
    for module in modules[1:]:
        monkeypatch.setattr(module, "_collect_all_valid_cia_ops", modules[0]._collect_all_valid_cia_ops)
    build = _registration.ONNXRegistry.__dict__["from_torchlib"].__func__
    built = []

    def counting(cls, *args, **kwargs):
        built.append(kwargs.get("opset_version"))
        return build(cls, *args, **kwargs)

    monkeypatch.setattr(_registration.ONNXRegistry, "from_torchlib", classmethod(counting))
    warm_caches()
    assert collected == [1] and sorted(built) == list(DynamoExporter.opsets)
    modules[0]._collect_all_valid_cia_ops()
    for opset in DynamoExporter.opsets:  # torch.onnx.export's spelling finds what the warm-up built
        _registration.ONNXRegistry().from_torchlib(opset_version=opset)
    assert collected == [1] and sorted(built) == list(DynamoExporter.opsets)
