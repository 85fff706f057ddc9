"""Plugins that make blame's witnesses matter (tests/unit/test_blame_evidence.py).

- `renamer`: a transformer whose output is valid and computes the same function (it renames
  every node), so it is never at fault;
- `picky`: ONNX Runtime, except that it refuses any model with a renamed node, as tract refused
  the node names ORT's offline optimizer writes: a runtime's own limitation;
- `gapper`: a runtime that refuses every model as a documented kernel gap: never a witness.
Registered through ONNXFUZZ_PLUGINS (PLUGINS).
"""
from __future__ import annotations

from fuzzer.convert.base import Transformer
from fuzzer.run.plugins.onnxruntime import OrtUnoptimized

MARK = "__renamed"


def rename_nodes(serialized: bytes) -> bytes:
    import onnx

    model = onnx.load_model_from_string(serialized)
    for k, node in enumerate(model.graph.node):
        node.name = f"n{k}{MARK}"
    return model.SerializeToString()


class RenamingTransformer(Transformer):
    name = "renamer"

    def transform(self, model, opset):
        return rename_nodes(model)

    def repro_source(self):
        import inspect

        return f"MARK = {MARK!r}\n" + inspect.getsource(rename_nodes) + """
def transform_model(model_bytes, opset):
    return rename_nodes(model_bytes)
"""


class PickyRuntime(OrtUnoptimized):
    name = "picky"

    def load(self, model):
        if MARK.encode() in model:
            raise RuntimeError("picky: node names clash with its own naming scheme")
        return super().load(model)


class GappyRuntime(OrtUnoptimized):
    name = "gapper"

    def load(self, model):
        raise RuntimeError("gapper: no kernel for any op (a documented gap)")

    def is_unsupported(self, error):
        return "gapper: no kernel" in str(error)


class TypeFussyRuntime(OrtUnoptimized):
    """Runs no renamed model: it says one op met an element type it did not expect, as
    onnx.reference does when a kernel of its returns a type the schema does not give."""
    name = "typefussy"

    renamed = False

    def load(self, model):
        self.renamed = MARK.encode() in model  # a case loads and then runs one model at a time
        return super().load(model)

    def run(self, session, feeds):
        if self.renamed:
            raise RuntimeError("RuntimeTypeError: Input type mismatch: float32 != float16 (operator 'Tanh')")
        return super().run(session, feeds)


PLUGINS = ",".join([
    f"converter:renamer={__name__}:RenamingTransformer",
    f"runtime:picky={__name__}:PickyRuntime",
    f"runtime:gapper={__name__}:GappyRuntime",
    f"runtime:typefussy={__name__}:TypeFussyRuntime",
])
