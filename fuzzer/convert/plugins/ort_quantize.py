"""ONNX Runtime's dynamic quantization: int8 weights, activations quantized at run time.

quantize_dynamic rewrites MatMul, Gemm, Conv, Attention, LSTM and friends into
DynamicQuantizeLinear + MatMulInteger/ConvInteger (+ casts and scales); the
rest of the graph is left as is. The oracles judge the outputs with int8's
tolerance (`precision`), so only gross errors count.
"""
from __future__ import annotations

import os
import re
import tempfile

from fuzzer.convert.base import Transformer, fails_the_same
from fuzzer.run.plugins.onnxruntime import is_gap

# The quantizer's own refusals: it quantizes ai.onnx models only. Besides, a missing ORT
# kernel (it runs ORT on the model) is ORT's gap. A quantized model whose DynamicQuantizeLinear
# gets a float16 input fails the checker with a type gap, which the checker stage already
# classifies as unsupported. Nor does it quantize a weight whose type ONNX's shape inference
# leaves unknown (GroupNormalization has none in onnx 1.23, onnx#7157): it says so and names the
# `DefaultTensorType` option that works around it (review 12).
_GAP = re.compile(r"Failed to find proper ai\.onnx domain|Unable to find data type for weight_name=.*shape_inference failed "
                  r"to return a type", re.S)


class OrtQuantizeDynamic(Transformer):
    name = "ort-quantize"
    requires = ("onnxruntime", "onnx")
    imports = ("onnxruntime.quantization",)
    precision = "int8"

    def transform(self, model: bytes, opset: int) -> bytes:
        import logging

        from onnxruntime.quantization import quantize_dynamic

        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # it advises pre-processing on the root logger, every call
        try:
            with tempfile.TemporaryDirectory(prefix="onnxfuzz-quantize-") as d:
                src, dst = os.path.join(d, "model.onnx"), os.path.join(d, "quantized.onnx")
                with open(src, "wb") as f:
                    f.write(model)
                quantize_dynamic(src, dst)
                with open(dst, "rb") as f:
                    out = f.read()
        finally:
            root.setLevel(level)
        from fuzzer.coverage.ort_quantizer import record

        record(model, out)  # the op quantizers that rewrote a node
        return out

    def is_unsupported(self, error: BaseException) -> bool:
        return is_gap(error) or bool(_GAP.search(str(error)))

    def upstream_fault(self, model: bytes, opset: int, error: str) -> str | None:
        """version-up when the model is below opset 10, which quantize_dynamic first converts to
        opset 11 with onnx.version_converter (quant_utils.update_opset_version), and that
        conversion alone fails or writes a model the checker rejects with the same words."""
        if opset >= 10:
            return None
        import onnx

        from oracles import Kind, normalize_error

        try:
            converted = onnx.version_converter.convert_version(onnx.load_model_from_string(model), 11)
            onnx.checker.check_model(converted, full_check=True)
        except Exception as e:
            return "version-up" if fails_the_same(Kind.INVALID_MODEL, e, normalize_error(Kind.INVALID_MODEL, error)) else None
        return None

    def repro_source(self) -> str:
        """A standalone transform_model() for bug repros (imports onnxruntime only)."""
        return '''
def transform_model(model_bytes, opset):
    import os, tempfile
    from onnxruntime.quantization import quantize_dynamic
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "model.onnx"), os.path.join(d, "quantized.onnx")
        with open(src, "wb") as f:
            f.write(model_bytes)
        quantize_dynamic(src, dst)
        with open(dst, "rb") as f:
            return f.read()
'''
