"""torch.onnx.export with the TorchScript (tracing) exporter."""
from __future__ import annotations

import io
import re

from fuzzer.convert.base import Exporter, ExportRequest, fails_the_same

# "Exporting the operator 'aten::xyz' to ONNX opset version 13 is not supported"; and the
# exporter's explicit refusals of an op form: "conversion of scaled_dot_product_attention not
# implemented if enable_gqa is True", "ONNX export failed on X, which is not implemented for opset N";
# and refusals at an old opset: "Unsupported: ONNX export of cumsum in opset 9. Please try opset
# version 11", Slice's "step!=1 is currently not supported" before opset 10
_GAP = re.compile(r"is not supported|is currently not supported|UnsupportedOperatorError|Unsupported: ONNX export of|ONNX export does NOT support"
                  r"|ONNX does not support|\bnot implemented (?:if|for|when)\b"
                  r"|\bUnsupported type for\b"  # an explicit refusal (scaled_dot_product_attention's float64 mask)
                  # below opset 9 its pass casting every constant to a floating type has no case
                  # for bfloat16 (or complex), which no opset-7 or -8 op takes: a right refusal in
                  # misleading words (review 16)
                  r"|\bUnsupported types: complex, string\b",
                  re.I)


def dynamic_axes(request: ExportRequest) -> dict | None:
    """request.dynamic as torch.onnx.export's dynamic_axes ({name: {axis: symbol}}, inputs
    and any outputs it names), or None when nothing is dynamic."""
    names = set(request.input_names) | set(request.output_names)
    axes = {n: {int(a): s for a, s in d.items()} for n, d in request.dynamic.items() if d and n in names}
    return axes or None


class TorchScriptExporter(Exporter):
    name = "torchscript"
    requires = ("torch", "onnx")
    imports = ("torch.onnx",)
    opsets = tuple(range(7, 21))  # its whole range: 7 is the oldest it exports, 20 the newest
    #: honours ExportRequest.dynamic
    supports_dynamic = True

    def export(self, request: ExportRequest) -> bytes:
        import torch

        from fuzzer.coverage.torch_exporters import instrument_torchscript

        instrument_torchscript()  # once per process: its symbolic functions record that they ran
        buf = io.BytesIO()
        with torch.no_grad():
            torch.onnx.export(
                request.module,
                request.args,
                buf,
                dynamo=False,
                opset_version=request.opset,
                input_names=request.input_names,
                output_names=request.output_names,
                dynamic_axes=dynamic_axes(request),
            )
        return buf.getvalue()

    def upstream_fault(self, request: ExportRequest, error: str) -> str | None:
        """torch.jit.trace when tracing the module alone, or running what it traced, raises what
        the export did: the export traces first, and the tracer's own asserts (alias analysis
        finding no aten::masked_fill or aten::mul for a bool scalar) are torch.jit's defects,
        not the ONNX exporter's."""
        import torch

        from oracles import Kind

        try:
            with torch.no_grad():
                traced = torch.jit.trace(request.module, request.args, check_trace=False)
                traced(*request.args)  # a traced module runs on the inputs it was traced with
        except Exception as e:
            return "torch.jit.trace" if fails_the_same(Kind.EXPORT_CRASH, e, error) else None
        return None

    def repro_source(self) -> str:
        """A standalone export_model() for bug repros (imports torch only)."""
        return '''
def export_model(model, args, input_names, output_names, opset, dynamic=None):
    # dynamic: {input or output name: {axis: symbol}}, the dims the case exported as dynamic
    import io
    import torch
    buf = io.BytesIO()
    axes = {n: {int(a): s for a, s in d.items()} for n, d in (dynamic or {}).items() if d} or None
    with torch.no_grad():
        torch.onnx.export(model, args, buf, dynamo=False, opset_version=opset,
                          input_names=input_names, output_names=output_names, dynamic_axes=axes)
    return buf.getvalue()
'''

    def is_unsupported(self, error: BaseException) -> bool:
        return type(error).__name__ == "UnsupportedOperatorError" or bool(_GAP.search(str(error)))
