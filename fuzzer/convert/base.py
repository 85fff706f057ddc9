"""The converter plugin contract.

An *exporter* turns the framework model of a graph into ONNX. Transformers
(ONNX to ONNX) and importers (ONNX to a runtime's own format) share the base.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from fuzzer.plugin import Plugin


@dataclass
class ExportRequest:
    """Everything an exporter may need, materialized once per test case."""

    module: Any  # torch.nn.Module
    args: tuple  # example torch tensors, in forward() order
    input_names: list[str]
    output_names: list[str]
    opset: int


class Converter(Plugin):
    kind: ClassVar[str] = "exporter"
    #: the opsets this converter can target; a case draws one
    opsets: ClassVar[tuple[int, ...]] = ()


class Exporter(Converter):
    kind: ClassVar[str] = "exporter"

    def export(self, request: ExportRequest) -> bytes:
        """A serialized onnx.ModelProto; raises whatever the exporter raises."""
        raise NotImplementedError


class Transformer(Converter):
    """ONNX to ONNX: an optimizer, the version converter, a precision converter.

    A transformer is judged only on the runtimes where the model it was given
    is correct, so that it is never blamed for its input's faults.
    """

    kind: ClassVar[str] = "transformer"
    #: the precision its output computes in, when it lowers it on purpose ("float16", "int8"):
    #: the oracles then judge with that precision's tolerance
    precision: ClassVar[str | None] = None

    def transform(self, model: bytes, opset: int) -> bytes:
        """The transformed serialized ModelProto; raises whatever the tool raises."""
        raise NotImplementedError
