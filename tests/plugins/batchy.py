"""Batchable fake exporters: TorchScript, marked batchable, failing on graphs with a Tanh.

They exercise batched exports (fuzzer.batch) at TorchScript's speed. TorchScript's
export reads only what a packed request provides (module, args, names, opset), so
these export a PackedRequest as they would one graph.
"""
from __future__ import annotations

import os

from fuzzer.convert.plugins.torchscript import TorchScriptExporter


def _has_tanh(serialized: bytes) -> bool:
    import onnx

    return any(n.op_type == "Tanh" for n in onnx.load_model_from_string(serialized).graph.node)


class BatchableTorchScript(TorchScriptExporter):
    """TorchScript, batched: exports every graph."""

    name = "ts-batch"
    batchable = True


class TanhRefusingExporter(BatchableTorchScript):
    """Raises on any model (packed or not) holding a Tanh, naming no graph."""

    name = "ts-batch-raise"

    def export(self, request):
        model = super().export(request)
        if _has_tanh(model):
            raise RuntimeError("ts-batch-raise: cannot export Tanh")
        return model


class TanhAbortingExporter(BatchableTorchScript):
    """Dies with SIGABRT on any model (packed or not) holding a Tanh."""

    name = "ts-batch-abort"

    def export(self, request):
        model = super().export(request)
        if _has_tanh(model):
            os.abort()
        return model


class TanhTranslationGap(BatchableTorchScript):
    """Fails as dynamo does on an op it cannot translate: naming the aten op, and the packed
    graph by its prefix (b<k>_)."""

    name = "ts-batch-gap"

    def export(self, request):
        requests = getattr(request, "requests", None) or [request]
        for k, r in enumerate(requests):
            if "tanh" in r.graph.op_types():
                where = f"b{k}_" if len(requests) > 1 else ""
                raise RuntimeError(f"Error when translating node %{where}tanh : "
                                   f"call_function[target=torch.ops.aten.tanh.default]")
        return super().export(request)


class TanhDocumentedGap(TanhTranslationGap):
    """ts-batch-gap whose refusal is a documented gap (an unsupported verdict), as dynamo's
    "No decompositions registered" is."""

    name = "ts-batch-unsupported"

    def is_unsupported(self, error: BaseException) -> bool:
        return "torch.ops.aten.tanh" in str(error)


PLUGINS = ",".join([
    "converter:ts-batch-unsupported=tests.plugins.batchy:TanhDocumentedGap",
    "converter:ts-batch-gap=tests.plugins.batchy:TanhTranslationGap",
    "converter:ts-batch=tests.plugins.batchy:BatchableTorchScript",
    "converter:ts-batch-raise=tests.plugins.batchy:TanhRefusingExporter",
    "converter:ts-batch-abort=tests.plugins.batchy:TanhAbortingExporter",
])
