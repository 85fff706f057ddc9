"""torch.onnx.export with the dynamo (torch.export) exporter, with its optimizer on and off.

`dynamo` runs the exporter's ONNX optimizer (onnxscript's: constant folding,
dead-code removal, function inlining); `dynamo-noopt` exports without it.
The difference between the two blames a bug on the exporter's translation
or on its optimizer.
"""
from __future__ import annotations

import re

from fuzzer.convert.base import Exporter, ExportRequest

# ops without a translation: "No decompositions registered", "not supported"
_GAP = re.compile(r"no decompositions registered|is not supported|unsupported operator|DispatchError", re.I)


class DynamoExporter(Exporter):
    name = "dynamo"
    requires = ("torch", "onnx", "onnxscript")
    imports = ("torch.onnx", "onnxscript")
    # Below 18 the exporter goes through the version converter, whose missing
    # adapters are a limit of that tool, not a bug: keep to native opsets.
    opsets = tuple(range(18, 24))
    optimize = True

    def export(self, request: ExportRequest) -> bytes:
        import torch

        with torch.no_grad():
            program = torch.onnx.export(
                request.module,
                request.args,
                dynamo=True,
                opset_version=request.opset,
                input_names=request.input_names,
                output_names=request.output_names,
                optimize=self.optimize,
                verbose=False,
                report=False,
            )
        return program.model_proto.SerializeToString()

    def is_unsupported(self, error: BaseException) -> bool:
        return bool(_GAP.search(f"{type(error).__name__}: {error}"))

    def repro_source(self) -> str:
        """A standalone export_model() for bug repros (imports torch only)."""
        return f'''
def export_model(model, args, input_names, output_names, opset):
    import torch
    with torch.no_grad():
        program = torch.onnx.export(model, args, dynamo=True, opset_version=opset,
                                    input_names=input_names, output_names=output_names,
                                    optimize={self.optimize!r}, verbose=False, report=False)
    return program.model_proto.SerializeToString()
'''


class DynamoNoOptExporter(DynamoExporter):
    name = "dynamo-noopt"
    optimize = False
