"""The converter plugin contract.

An *exporter* turns the framework model of a graph into ONNX. Transformers
(ONNX to ONNX) and importers (ONNX to a runtime's own format) share the base.
"""
from __future__ import annotations

import re

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from fuzzer.plugin import Plugin, required


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

    @cached_property
    def tf_function(self):
        """The graph as a tf.function over its inputs (fuzzer.materialize.tf_model)."""
        from fuzzer.materialize.tf_model import build_tf_function

        return build_tf_function(self.graph)

    #: True for a batched export (fuzzer.convert.batch.PackedRequest): module, args and
    #: tf_function hold several graphs, and graph is None
    packed: bool = field(default=False, init=False)


class Converter(Plugin):
    """Exporters and transformers: the `onnxfuzz.converters` entry-point group, `--converters`."""

    kind: ClassVar[str] = "exporter"


#: what Exporter.upstream_fault names when an export fails only in the optimizer the exporter
#: runs after its translation, and that optimizer's transformer plugin fails the same way
EXPORTERS_OPTIMIZER = "onnxscript's optimizer"
#: what Exporter.upstream_wrong names when the exporter's model computes the module's result
#: without its last optimization and not with it, and onnxscript's optimizer alone does not make
#: it wrong: onnxscript's fusions, which the exporter runs after that optimizer
EXPORTERS_FUSIONS = "onnxscript's fusions"


class Exporter(Converter):
    """A framework model to ONNX. Required: `name`, `opsets`, `export()`, `repro_source()`."""

    kind: ClassVar[str] = "exporter"
    required_attributes: ClassVar[tuple[str, ...]] = ("name", "opsets")
    #: required: the opsets it can target, oldest first; a case draws one, and a witness
    #: re-exports at the one nearest the case's
    opsets: ClassVar[tuple[int, ...]] = ()
    #: optional: the frontend that materializes its input ("torch", "onnx" or "tf"): a case's
    #: graph is drawn only from the ops that frontend serves
    frontend: ClassVar[str] = "torch"
    #: optional: declares the dims of ExportRequest.dynamic dynamic in its model (else the
    #: case is judged static); its repro's export_model then takes `dynamic`
    supports_dynamic: ClassVar[bool] = False
    #: optional: its export has a high fixed cost (torch.export, a TF trace), so campaigns pack
    #: several independent graphs into one module or function, export once and split the model
    #: back into one model per graph (fuzzer.convert.batch). Its export() must then accept a
    #: PackedRequest: it uses only request.module/args (torch) or request.tf_function (tf),
    #: input_names, output_names and opset, never request.graph
    batchable: ClassVar[bool] = False

    @required
    def export(self, request: ExportRequest) -> bytes:
        """Required: a serialized onnx.ModelProto at request.opset; raises whatever the exporter raises."""
        raise NotImplementedError

    def upstream_fault(self, request: ExportRequest, error: str) -> str | None:
        """Optional: the component outside the exporter, run before its own translation, that
        fails the same way on request by itself (the TorchScript exporter's torch.jit.trace),
        by name, or the optimizer it runs after the translation when the export passes without
        it (dynamo: "onnxscript's optimizer", whose rules its own transformer plugin answers
        for); None when the exporter's own code is at fault. error: the export's failure,
        normalized. By default: None."""
        return None

    def upstream_wrong(self, request: ExportRequest) -> str | None:
        """Optional: the component outside the exporter, run before its own translation, whose
        own result on request's module, run eagerly, is already wrong or fails (torch's
        decompositions), by name; None when it computes the module's result. Asked when the
        exporter's model is invalid or computes wrongly. By default: None."""
        return None

    def check_split(self, model) -> None:
        """Optional, for a batchable exporter: raise what export() raises for one graph alone
        when it is only visible in that graph's part of a batched model (model: an
        onnx.ModelProto split out of it). export() of a PackedRequest leaves such refusals
        here, so one graph's refusal does not fail the whole batch. By default: none."""


class Transformer(Converter):
    """ONNX to ONNX: an optimizer, the version converter, a precision converter.

    A transformer is judged only on the runtimes where the model it was given
    is correct, so that it is never blamed for its input's faults.
    Required: `name`, `transform()`, `repro_source()`.
    """

    kind: ClassVar[str] = "transformer"
    #: optional: the precision its output computes in, when it lowers it on purpose ("float16",
    #: "int8"): the oracles then judge with that precision's tolerance
    precision: ClassVar[str | None] = None
    #: optional: the runtime family its output is written for, when that output is documented as
    #: runnable there only (ORT's offline optimizer above the basic level writes ORT's own fused
    #: ops into the default domain): the checker does not judge it and only that family runs it
    output_for: ClassVar[str | None] = None
    #: optional: the runtime plugin whose kernels it computes constants with, when it folds them
    #: by running another system (onnxscript's optimizer runs onnx.reference's ops): a wrong
    #: result that runtime already gives on the model it was given is that runtime's, carried over
    folds_with: ClassVar[str | None] = None

    @required
    def transform(self, model: bytes, opset: int) -> bytes:
        """Required: the transformed serialized ModelProto (opset: the model's); raises whatever the tool raises."""
        raise NotImplementedError

    def upstream_fault(self, model: bytes, opset: int, error: str) -> str | None:
        """Optional: the converter plugin this tool runs first, inside its own transform, that fails
        the same way on model by itself (ORT's quantizer upgrades old opsets with
        onnx.version_converter: "version-up"), by plugin name; None when the tool's own code is
        at fault. error: the failure seen (a crash's or the checker's words). By default: None."""
        return None


#: where an assertion of onnx's IR says it failed ("<file>: find: "): two wheels that build onnx's
#: IR apart (onnxsim's, onnxoptimizer's) name it once and twice in one message
_WHERE = re.compile(r"<file>:\s*\w+:\s*")


def fails_the_same(kind, raised: BaseException, error: str) -> bool:
    """Did `raised` (a component run alone, for upstream_fault) fail as `error` (the normalized
    failure seen) did: its first line, normalized for kind, is part of it, wherever either says
    the assertion sat."""
    from oracles import normalize_error

    said = _WHERE.sub("", normalize_error(kind, f"{type(raised).__name__}: {raised}").split("\n")[0]).strip()
    return bool(said) and said in _WHERE.sub("", error or "")

