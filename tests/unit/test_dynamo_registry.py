"""The dynamo plugin builds torchlib's registry once per opset and process (issue 16: it was
most of a small model's export), and only when the reuse is not turned off."""
import pytest

pytest.importorskip("torch")


@pytest.fixture
def registration(monkeypatch):
    from torch.onnx._internal.exporter import _registration

    # torch's own classmethod during the test (an earlier test's export may have installed the
    # reuse), and whatever was there after it
    installed = _registration.ONNXRegistry.__dict__["from_torchlib"]
    monkeypatch.setattr(_registration.ONNXRegistry, "from_torchlib", getattr(installed.__func__, "_onnxfuzz_original", installed))
    return _registration


def test_registry_is_built_once_per_opset(registration):
    from fuzzer.convert.plugins.dynamo import reuse_torchlib_registry

    reuse_torchlib_registry()
    reuse_torchlib_registry()  # a second call does not wrap the wrapper
    Registry = registration.ONNXRegistry
    first = Registry.from_torchlib(opset_version=18)
    assert Registry().from_torchlib(opset_version=18) is first  # the spelling torch.onnx.export uses
    assert Registry.from_torchlib(opset_version=18).opset_version == 18
    other = Registry.from_torchlib(opset_version=20)
    assert other is not first and other.opset_version == 20
    assert first.functions  # a real registry, not an empty stand-in


def test_reuse_can_be_turned_off(registration, monkeypatch):
    from fuzzer.convert.plugins.dynamo import reuse_torchlib_registry

    monkeypatch.setenv("ONNXFUZZ_DYNAMO_REGISTRY_CACHE", "0")
    original = registration.ONNXRegistry.__dict__["from_torchlib"]
    reuse_torchlib_registry()
    assert registration.ONNXRegistry.__dict__["from_torchlib"] is original


def test_a_reuse_installed_before_the_fork_is_undone_when_turned_off(registration, monkeypatch):
    """A worker forked from the forkserver inherits the reuse the forkserver installed; its own
    environment says whether it keeps it."""
    from fuzzer.convert.plugins.dynamo import reuse_torchlib_registry

    original = registration.ONNXRegistry.__dict__["from_torchlib"]
    reuse_torchlib_registry()
    assert registration.ONNXRegistry.__dict__["from_torchlib"] is not original
    monkeypatch.setenv("ONNXFUZZ_DYNAMO_REGISTRY_CACHE", "0")
    reuse_torchlib_registry()
    assert registration.ONNXRegistry.__dict__["from_torchlib"] is original
    assert registration.ONNXRegistry.from_torchlib(opset_version=18) is not registration.ONNXRegistry.from_torchlib(opset_version=18)
