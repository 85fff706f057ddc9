"""Deliberately broken plugins: the campaign must catch each one with the right verdict.

They are registered through ONNXFUZZ_PLUGINS, so spawned workers load them
exactly as they would load a third-party plugin.
"""
from __future__ import annotations

import os
import time

from fuzzer.convert.base import Transformer
from fuzzer.convert.plugins.torchscript import TorchScriptExporter
from fuzzer.run.plugins.onnxruntime import OrtUnoptimized


def negate_first(serialized: bytes, op_type: str) -> bytes:
    """The model with the output of its first `op_type` node negated."""
    import onnx
    from onnx import helper

    model = onnx.load_model_from_string(serialized)
    nodes = list(model.graph.node)
    for i, node in enumerate(nodes):
        if node.op_type == op_type:
            original = node.output[0]
            node.output[0] = original + "__pre_neg"
            nodes.insert(i + 1, helper.make_node("Neg", [node.output[0]], [original]))
            break
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return model.SerializeToString()


def flip_first_tanh(serialized: bytes) -> bytes:
    """The model with the output of its first Tanh node negated."""
    return negate_first(serialized, "Tanh")


class SignFlipExporter(TorchScriptExporter):
    """Exports with TorchScript, then negates the output of the first Tanh node."""

    name = "signflip"

    def export(self, request):
        return flip_first_tanh(super().export(request))

    def repro_source(self):
        # the repro must show the same fault, so it carries the flip with it
        import inspect

        return inspect.getsource(negate_first) + inspect.getsource(flip_first_tanh) + super().repro_source().replace(
            "    return buf.getvalue()", "    return flip_first_tanh(buf.getvalue())"
        )


class SignFlipTransformer(Transformer):
    """An "optimizer" that negates the output of the first Tanh node."""

    name = "flipopt"

    def transform(self, model, opset):
        return flip_first_tanh(model)

    def repro_source(self):
        import inspect

        return inspect.getsource(negate_first) + inspect.getsource(flip_first_tanh) + """
def transform_model(model_bytes, opset):
    return flip_first_tanh(model_bytes)
"""


class CrashingTransformer(Transformer):
    """An "optimizer" that raises on any model containing Tanh."""

    name = "crashopt"

    def transform(self, model, opset):
        if b"Tanh" in model:
            raise RuntimeError("crashopt: cannot fold node /Tanh_3 at 0x7f3a")
        return model

    def repro_source(self):
        return """
def transform_model(model_bytes, opset):
    if b"Tanh" in model_bytes:
        raise RuntimeError("crashopt: cannot fold node /Tanh_3 at 0x7f3a")
    return model_bytes
"""


class InvalidatingTransformer(Transformer):
    """An "optimizer" that breaks the first Tanh's output type: the checker rejects its model."""

    name = "invalidopt"

    def transform(self, model, opset):
        return invalidate_first_tanh(model)

    def repro_source(self):
        import inspect

        return inspect.getsource(invalidate_first_tanh) + """
def transform_model(model_bytes, opset):
    return invalidate_first_tanh(model_bytes)
"""


def invalidate_first_tanh(serialized: bytes) -> bytes:
    """The model with its first Tanh node moved into an undeclared domain, as an op that does not exist."""
    import onnx

    proto = onnx.load_model_from_string(serialized)
    for node in proto.graph.node:
        if node.op_type == "Tanh":
            node.op_type = "Tan"  # same arity, same types: only the op is wrong...
            node.domain = "onnxfuzz.no.such.domain"  # ...and in a domain nobody declares
            break
    return proto.SerializeToString()


class AbortingRuntime(OrtUnoptimized):
    """ONNX Runtime, except that it dies with SIGABRT on any model containing Sigmoid."""

    name = "aborter"

    def run(self, session, feeds):
        if b"Sigmoid" in self._model:
            os.abort()
        return super().run(session, feeds)

    def load(self, model):
        self._model = model
        return super().load(model)


class HangingRuntime(OrtUnoptimized):
    """A runtime whose load never returns on a model containing Exp, and refuses any other
    model at once as a documented gap.

    No call into it takes long legitimately, so it declares a short stage_timeout of its own:
    any hang the campaign records against it is right however slowly a loaded machine runs,
    and the campaign's limit for every other stage stays at a size no legitimate stage
    reaches under load."""

    name = "hanger"
    stage_timeout = 1.0

    def load(self, model):
        if b"Exp" not in model:
            raise NotImplementedError("hanger: this runtime only loads models with Exp")
        while True:
            time.sleep(1)

    def is_unsupported(self, error):
        return "hanger: this runtime only loads" in str(error)


class HoggingRuntime(OrtUnoptimized):
    """ONNX Runtime, except that it allocates without bound on models containing Neg."""

    name = "hog"

    def run(self, session, feeds):
        if b"Neg" in self._model:
            hoard = []
            while True:
                hoard.append(bytearray(64 << 20))  # 64 MiB, touched: bytearray zero-fills
                time.sleep(0.01)
        return super().run(session, feeds)

    def load(self, model):
        self._model = model
        return super().load(model)


PLUGINS = ",".join([
    "converter:signflip=tests.plugins.faulty:SignFlipExporter",
    "runtime:aborter=tests.plugins.faulty:AbortingRuntime",
    "runtime:hanger=tests.plugins.faulty:HangingRuntime",
    "runtime:hog=tests.plugins.faulty:HoggingRuntime",
    "converter:flipopt=tests.plugins.faulty:SignFlipTransformer",
    "converter:crashopt=tests.plugins.faulty:CrashingTransformer",
    "converter:invalidopt=tests.plugins.faulty:InvalidatingTransformer",
])
