"""torch.onnx.export with the TorchScript (tracing) exporter."""
from __future__ import annotations

import io
import re

from fuzzer.convert.base import Exporter, ExportRequest

# "Exporting the operator 'aten::xyz' to ONNX opset version 13 is not supported"
_GAP = re.compile(r"is not supported|UnsupportedOperatorError|Unsupported: ONNX export of", re.I)


class TorchScriptExporter(Exporter):
    name = "torchscript"
    requires = ("torch", "onnx")
    imports = ("torch.onnx",)
    opsets = tuple(range(13, 21))  # 20 is the newest this exporter emits

    def export(self, request: ExportRequest) -> bytes:
        import torch

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
            )
        return buf.getvalue()

    def repro_source(self) -> str:
        """A standalone export_model() for bug repros (imports torch only)."""
        return '''
def export_model(model, args, input_names, output_names, opset):
    import io
    import torch
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(model, args, buf, dynamo=False, opset_version=opset,
                          input_names=input_names, output_names=output_names)
    return buf.getvalue()
'''

    def is_unsupported(self, error: BaseException) -> bool:
        return type(error).__name__ == "UnsupportedOperatorError" or bool(_GAP.search(str(error)))
