"""The generator's last resort, when every attempt to build an op is rejected."""
import pytest

from fuzzer.choices import NumpyChoices
from fuzzer.errors import Rejected
from fuzzer.generate import GenConfig, generate
from fuzzer.ops.base import OpSpec


@pytest.fixture
def reject_everything(monkeypatch):
    """Every spec's build raises Rejected, as an operand no op can take would make it."""
    calls = []

    def build(self, b, x):
        calls.append(self.name)
        raise Rejected("forced by the test")

    monkeypatch.setattr(OpSpec, "build", build)
    return calls


@pytest.mark.parametrize("frontend", ["torch", "onnx", "tf"])
def test_a_graph_whose_every_build_is_rejected_still_gets_an_op_of_its_frontend(reject_everything, frontend):
    from fuzzer.ops import get_spec

    g = generate(NumpyChoices(3), GenConfig(max_nodes=3, frontend=frontend))
    # the fallback tried more specs than the main loop alone would have before giving up
    assert len(reject_everything) > 20
    assert len(g.inputs) >= 1, "the fallback's input must survive _finish"
    (node,) = g.op_nodes
    assert node.op_type == "cast" and get_spec("cast").serves(frontend)
    assert node.inputs[0] is g.inputs[0] or node.inputs[0].name == g.inputs[0].name
    assert node.attrs["to"] == g.inputs[0].type.dtype
    assert g.outputs == node.outputs
    assert type(g).loads(g.dumps()).to_json() == g.to_json()


def test_the_fallback_builds_a_drawable_spec_when_one_still_fits(monkeypatch):
    """Only the fallback's own tries may succeed: it then builds a real op, not the cast."""
    state = {"main_loop": True}
    real = OpSpec.build

    def build(self, b, x):
        if state["main_loop"]:
            raise Rejected("forced by the test")
        return real(self, b, x)

    import fuzzer.generate.generator as gen

    fallback = gen._fallback

    def open_up(b, specs):
        state["main_loop"] = False
        return fallback(b, specs)

    monkeypatch.setattr(OpSpec, "build", build)
    monkeypatch.setattr(gen, "_fallback", open_up)
    config = GenConfig(max_nodes=2, ops=("relu", "sigmoid"), dtypes=frozenset({"float32"}))
    g = generate(NumpyChoices(0), config)
    assert [n.op_type for n in g.op_nodes] in (["relu"], ["sigmoid"])
    assert g.inputs and g.outputs == g.op_nodes[0].outputs


def test_the_fallback_says_why_when_nothing_can_be_built(reject_everything, monkeypatch):
    from fuzzer.errors import UsageError
    from fuzzer.ops.base import OpSpec

    real = OpSpec.serves
    monkeypatch.setattr(OpSpec, "serves", lambda spec, fe: spec.name != "cast" and real(spec, fe))
    with pytest.raises(UsageError, match="no op of the onnx frontend can be built"):
        generate(NumpyChoices(1), GenConfig(max_nodes=2, frontend="onnx"))
