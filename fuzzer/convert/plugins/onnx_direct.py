"""The direct ONNX frontend as an exporter: IR graph to ModelProto, no framework between.

It is onnxfuzz's own materializer, not a system under test: it exists so that
graphs of ops torch never emits (BitShift, GatherND, Loop, ...) reach the
ONNX-to-ONNX converters and the runtimes. A model it builds that the checker
rejects is a bug in an op spec's lowering, which `onnxfuzz gen --check` reports.
"""
from __future__ import annotations

from fuzzer.convert.base import Exporter, ExportRequest
from fuzzer.ops import OLDEST_OPSET
from fuzzer.ops.lowering import newest_opset


class OnnxDirect(Exporter):
    name = "onnx-direct"
    frontend = "onnx"
    supports_dynamic = True  # model_proto declares the request's dims symbolic
    requires = ("onnx",)
    imports = ("onnx",)
    # from 7 (a case's opset is drawn no older than its nodes' opset_floor: each op's first
    # version, later where a drawn attribute has no older form) to the newest the installed onnx defines
    opsets = tuple(range(OLDEST_OPSET, newest_opset() + 1))

    def export(self, request: ExportRequest) -> bytes:
        from fuzzer.materialize.onnx_model import model_proto

        return model_proto(request.graph, request.opset, dynamic=request.dynamic).SerializeToString()

    def is_unsupported(self, error: BaseException) -> bool:
        """A draw with no form at the opset forced on the case (`run --opset N`): an attribute,
        dtype or op older versions lack (fuzzer.materialize.opset_forms). Cases whose opset is
        drawn never meet it: they are drawn from the graph's lowest_opset up."""
        from fuzzer.errors import OlderFormMissing

        return isinstance(error, OlderFormMissing)

    def repro_source(self) -> str:
        """A repro of a direct model embeds the model itself: there is no exporter to call."""
        return '''
def export_model(model, args, input_names, output_names, opset):
    raise RuntimeError("a direct ONNX case has no exporter; the repro loads MODEL_BYTES instead")
'''
