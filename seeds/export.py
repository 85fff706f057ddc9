"""Seed architecture blocks as ONNX models, exported by onnxfuzz's own exporter plugins:
real models for `onnxfuzz check` to test (no downloads)."""
from __future__ import annotations

from fuzzer.choices import NumpyChoices
from fuzzer.convert.base import ExportRequest
from fuzzer.generate.inputs import draw_inputs
from fuzzer.plugin import load_plugin
from seeds import load_seed


def export_seed(name: str, exporter: str, opset: int) -> bytes:
    """The seed called name, exported by the exporter plugin of that name at opset (serialized ModelProto)."""
    graph = load_seed(name)
    inputs = draw_inputs(graph, NumpyChoices(0))
    request = ExportRequest(graph, inputs, [v.name for v in graph.inputs], [f"out{i}" for i in range(len(graph.outputs))], opset)
    return load_plugin("converter", exporter).export(request)
