"""ONNX Runtime CPU, with all graph optimizations and with none.

Comparing the two separates bugs in ORT's graph transformers (fusions,
constant folding, layout changes) from bugs in its kernels.
"""
from __future__ import annotations

import re
from typing import ClassVar

from fuzzer.run.base import Runtime

# Kernel and opset gaps: documented limits, not bugs.
_GAP = re.compile(
    r"Could not find an implementation for"
    r"|NOT_IMPLEMENTED"
    r"|is not a registered function/op"
    r"|opset .* is under development"
    r"|Unsupported model IR version"
    r"|not supported for AutoPadType"
    r"|onnxruntime only \*?guarantees\*? support",
    re.I,
)


class _Ort(Runtime):
    requires = ("onnxruntime",)
    imports = ("onnxruntime",)
    level: ClassVar[str]
    threads: ClassVar[int] = 1

    def load(self, model: bytes):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.graph_optimization_level = getattr(ort.GraphOptimizationLevel, self.level)
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])

    def input_names(self, session):
        return [i.name for i in session.get_inputs()]

    def run(self, session, feeds):
        return session.run(None, feeds)

    def is_unsupported(self, error):
        return type(error).__name__ == "NotImplemented" or bool(_GAP.search(str(error)))


class OrtOptimized(_Ort):
    name = "onnxruntime"
    level = "ORT_ENABLE_ALL"


class OrtUnoptimized(_Ort):
    name = "onnxruntime-noopt"
    level = "ORT_DISABLE_ALL"
