"""The converter plugin contract.

An *exporter* turns the framework model of a graph into ONNX. Transformers
(ONNX to ONNX) and importers (ONNX to a runtime's own format) share the base.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from fuzzer.plugin import Plugin


@dataclass
class ExportRequest:
    """Everything an exporter may need. Framework models are built on first use, once
    per test case, so a direct ONNX export never pays for a torch module."""

    graph: Any  # fuzzer.ir.Graph
    inputs: dict  # input name -> numpy array
    input_names: list[str]
    output_names: list[str]
    opset: int
    #: {input name: {axis: symbol}}: dims to export as dynamic (empty: all static)
    dynamic: dict = field(default_factory=dict)

    @cached_property
    def module(self):
        """The graph as an eval-mode torch.nn.Module."""
        from fuzzer.materialize import build_module

        return build_module(self.graph)

    @cached_property
    def args(self) -> tuple:
        """Example torch tensors, in forward() order."""
        from fuzzer.materialize import torch_inputs

        return torch_inputs(self.graph, self.inputs)


class Converter(Plugin):
    kind: ClassVar[str] = "exporter"
    #: the opsets this converter can target; a case draws one
    opsets: ClassVar[tuple[int, ...]] = ()


class Exporter(Converter):
    kind: ClassVar[str] = "exporter"
    #: the frontend that materializes its input (fuzzer.materialize.frontends): a case's
    #: graph is drawn only from the ops that frontend serves
    frontend: ClassVar[str] = "torch"
    #: declares the dims of ExportRequest.dynamic dynamic in its model (else the case is judged static)
    supports_dynamic: ClassVar[bool] = False

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
