"""ONNX Runtime's offline optimizer: the graph ORT optimizes at a level, saved as a model.

ORT writes the optimized graph through SessionOptions.optimized_model_filepath
when it creates a session; the saved model is what the runtimes then load.
Level "basic" keeps to standard ONNX ops (constant folding, redundant nodes).
Levels "extended" and "all" fuse into ORT's contrib ops (domain com.microsoft,
e.g. FusedMatMul, FusedConv, Gelu) and "all" adds the CPU-specific NCHWc layout
(domain com.microsoft.nchwc): ORT documents such a model as runnable by ORT on
the same kind of machine only, and some fusions land in the default domain
under ORT's own schemas (LayerNormalization below opset 17,
SimplifiedLayerNormalization), which the ONNX checker rejects. So above the
basic level the output is ORT's (`output_for`): the checker does not judge it
and only ONNX Runtime runs it. The issue-13 review found three such folders
filed as bugs: two "invalid models" and one fed to tract.
"""
from __future__ import annotations

import os
import tempfile
from typing import ClassVar

from fuzzer.convert.base import Transformer
from fuzzer.run.plugins.onnxruntime import is_gap


class _OrtOffline(Transformer):
    requires = ("onnxruntime", "onnx")
    imports = ("onnxruntime",)
    level: ClassVar[str]

    def transform(self, model: bytes, opset: int) -> bytes:
        import onnxruntime as ort

        with tempfile.TemporaryDirectory(prefix="onnxfuzz-ort-offline-") as d:
            path = os.path.join(d, "optimized.onnx")
            opts = ort.SessionOptions()
            opts.graph_optimization_level = getattr(ort.GraphOptimizationLevel, self.level)
            opts.optimized_model_filepath = path
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            from fuzzer.coverage.onnxruntime import create_session

            create_session(model, opts, self.level)  # records the transformers that modified the model
            with open(path, "rb") as f:
                return f.read()

    def is_unsupported(self, error: BaseException) -> bool:
        return is_gap(error)

    def repro_source(self) -> str:
        """A standalone transform_model() for bug repros (imports onnxruntime only)."""
        return f'''
def transform_model(model_bytes, opset):
    import os, tempfile
    import onnxruntime as ort
    with tempfile.TemporaryDirectory() as d:
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.{self.level}
        opts.optimized_model_filepath = os.path.join(d, "optimized.onnx")
        ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
        with open(opts.optimized_model_filepath, "rb") as f:
            return f.read()
'''


class OrtOfflineBasic(_OrtOffline):
    name = "ort-offline-basic"
    level = "ORT_ENABLE_BASIC"


class OrtOfflineExtended(_OrtOffline):
    name = "ort-offline-extended"
    level = "ORT_ENABLE_EXTENDED"
    output_for = "onnxruntime"


class OrtOfflineAll(_OrtOffline):
    name = "ort-offline-all"
    level = "ORT_ENABLE_ALL"
    output_for = "onnxruntime"
