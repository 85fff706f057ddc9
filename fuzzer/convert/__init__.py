"""Step 3 of a test case: framework model -> ONNX (exporters), ONNX -> ONNX (transformers)."""
from fuzzer.convert.base import Converter, Exporter, ExportRequest, Transformer

__all__ = ["Converter", "Exporter", "ExportRequest", "Transformer"]
