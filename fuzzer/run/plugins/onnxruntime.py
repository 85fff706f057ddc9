"""ONNX Runtime CPU, at each graph optimization level and with two threads.

Comparing the levels separates bugs in ORT's graph transformers (level 1
"basic": constant folding and redundant-node removal; level 2 "extended":
fusions into contrib ops; level 99 "all": layout transformations such as
NCHWc) from bugs in its kernels (no optimization). The two-thread variant
runs the same optimized graph with a parallel intra-op thread pool, where
kernels split their work (reductions, matmul, elementwise over chunks).
"""
from __future__ import annotations

import inspect
import re
from typing import ClassVar

from fuzzer.run.base import Runtime

#: ORT inlined the function body of an op it has no kernel for, and a node of that body (it has
#: no name) does not type-check: "Type Error: Type 'tensor(bfloat16)' of input parameter (m) of
#: operator (Where) in node () is invalid" (group 1: the body's op type)
BODY_TYPE_ERROR = re.compile(r"Type Error: .* of operator \((\w+)\) in node \(\) is invalid")

# Kernel and opset gaps: documented limits, not bugs. "No Op registered for X with
# domain_version of N": ORT's copy of the ONNX schemas lacks the op (the checker, which runs
# first in a case, knows it; so the model is valid, and ORT is older than onnx).
GAP = re.compile(
    r"Could not find an implementation for"
    r"|No Op registered for \w+ with domain_version"
    r"|NOT_IMPLEMENTED"
    r"|is not a registered function/op"
    r"|opset .* is under development"
    r"|Unsupported model IR version"
    r"|not supported for AutoPadType"
    r"|onnxruntime only \*?guarantees\*? support"
    r"|Batchwise recurrent operations \(layout == 1\) are not supported"
    # Resize: ORT's linear and cubic kernels take only some ranks and scale patterns (ONNX: any)
    r"|ScalesValidation '\w+' mode only supports"
    # ConvInteger: ORT takes one weight zero point, ONNX also one per output channel
    r"|Non per-tensor quantization is not supported"
    # kernels registered for a type they then refuse at run time (LSTM/GRU on double,
    # ScatterElements/ScatterND on float16): the load succeeds, the gap shows in the run
    r"|operator does not support \w+ yet"
    r"|\w+ data type is not supported with"  # MLFloat16 ScatterND; bool ScatterElements with min/max (review 10)
    # pooling: ORT refuses pads as large as the kernel on purpose (pool_attributes.h; ORT issues
    # #801 and #23088), where ONNX allows any pad >= 0; two blind reviews of three called it a gap
    r"|Pad should be smaller than kernel"
    # no kernel for the op at this type, so ORT inlines the op's ONNX function body, and the body
    # does not type-check (bfloat16 Clip-13 -> Where-9): a body node has no name, and the model
    # itself passed the checker's type check before it was loaded
    rf"|{BODY_TYPE_ERROR.pattern}",
    re.I,
)


def run_session(session, feeds):
    """session.run, except that bfloat16 goes in and out through OrtValues: ORT's numpy
    bridge has no bfloat16 and would fail the run for a reason outside the model."""
    import numpy as np

    bf16 = [o.name for o in session.get_outputs() if o.type == "tensor(bfloat16)"]
    if not bf16 and not any(getattr(v, "dtype", None) is not None and v.dtype.name == "bfloat16" for v in feeds.values()):
        return session.run(None, feeds)
    import ctypes

    import ml_dtypes
    import onnxruntime as ort

    values = {}
    for name, v in feeds.items():
        # np.require, not np.ascontiguousarray: that one makes a 0-d feed 1-d (review 23: a 0-d
        # Gather index fed as [0] made ONNX Runtime's right [1, 1] look like a wrong shape)
        v = np.require(v, requirements="C")
        if v.dtype.name == "bfloat16":
            values[name] = ort.OrtValue.ortvalue_from_numpy_with_onnx_type(v.view(np.uint16), 16)
        else:
            values[name] = ort.OrtValue.ortvalue_from_numpy(v)
    outputs = []
    for o in session.run_with_ort_values([o.name for o in session.get_outputs()], values):
        if o.data_type() != "tensor(bfloat16)":
            outputs.append(o.numpy())
            continue
        shape = tuple(o.shape())
        n = int(np.prod(shape, dtype=np.int64))
        raw = np.frombuffer((ctypes.c_uint16 * n).from_address(o.data_ptr()), dtype=np.uint16) if n else np.zeros(0, np.uint16)
        outputs.append(raw.copy().reshape(shape).view(ml_dtypes.bfloat16))
    return outputs


def is_gap(error: BaseException) -> bool:
    """ORT's own words for a missing kernel or opset (shared by the ORT-based transformers)."""
    return type(error).__name__ == "NotImplemented" or bool(GAP.search(str(error)))


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
        from fuzzer.coverage.onnxruntime import create_session

        # an InferenceSession on CPU that records the graph transformers that modified the model
        return create_session(model, opts, self.level)

    def input_names(self, session):
        return [i.name for i in session.get_inputs()]

    def run(self, session, feeds):
        return run_session(session, feeds)

    def is_unsupported(self, error):
        return is_gap(error)

    def repro_source(self, minimal: bool = False) -> str:
        """A standalone run_model() for bug repros (imports onnxruntime only).

        minimal: the repro feeds and reads no bfloat16, so plain session.run does.
        """
        if minimal:
            threads = f"\n    opts.intra_op_num_threads = {self.threads}" if self.threads != 1 else ""
            return f'''
def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.{self.level}{threads}
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {{i.name: feeds[i.name] for i in session.get_inputs()}})
'''
        return inspect.getsource(run_session) + f'''

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.{self.level}
    opts.intra_op_num_threads = {self.threads}
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return run_session(session, {{i.name: feeds[i.name] for i in session.get_inputs()}})
'''


class OrtOptimized(_Ort):
    name = "onnxruntime"
    level = "ORT_ENABLE_ALL"


class OrtUnoptimized(_Ort):
    name = "onnxruntime-noopt"
    level = "ORT_DISABLE_ALL"


class OrtBasic(_Ort):
    name = "onnxruntime-basic"
    level = "ORT_ENABLE_BASIC"


class OrtExtended(_Ort):
    name = "onnxruntime-extended"
    level = "ORT_ENABLE_EXTENDED"


class OrtMultiThreaded(_Ort):
    name = "onnxruntime-mt"
    level = "ORT_ENABLE_ALL"
    threads = 2
