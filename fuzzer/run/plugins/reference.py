"""onnx.reference.ReferenceEvaluator: the ONNX spec's own Python implementation."""
from __future__ import annotations

import inspect
import re

from fuzzer.run.base import Runtime

# "Pillow must be installed": image ops need an optional dependency onnxfuzz does not install
_GAP = re.compile(r"no (?:implementation|class) for|not implemented|Unable to find|Pillow must be installed", re.I)


def check_feed_types(model, feeds) -> None:
    """Raise TypeError for a feed whose type is not the one model declares for that input.

    The evaluator computes on whatever it is fed; ONNX Runtime refuses such a feed, and so must
    this runtime, or it "runs correctly" a model whose declared input type is the bug (tf2onnx's
    bfloat16 inputs declared float16). Shared, as source, with the bug repros' run_model.
    """
    import numpy as np
    from onnx import helper

    for i in model.graph.input:
        elem = i.type.tensor_type.elem_type
        if i.name in feeds and elem:
            got = np.asarray(feeds[i.name]).dtype
            if got != np.dtype(helper.tensor_dtype_to_np_dtype(elem)):
                raise TypeError(f"input {i.name!r} is declared {helper.tensor_dtype_to_string(elem)} but is fed {got}")


class ReferenceEvaluator(Runtime):
    name = "onnx-reference"
    requires = ("onnx",)
    imports = ("onnx.reference",)

    def load(self, model: bytes):
        import onnx
        from onnx.reference import ReferenceEvaluator as RE

        proto = onnx.load_model_from_string(model)
        return RE(proto), proto

    def input_names(self, session):
        # an IR 3 model (TorchScript below opset 9) lists its initializers among its inputs:
        # they have values, so they are not the caller's to feed (ONNX Runtime leaves them out too)
        evaluator, proto = session
        initialized = {t.name for t in proto.graph.initializer}
        return [n for n in evaluator.input_names if n not in initialized]

    def run(self, session, feeds):
        evaluator, proto = session
        check_feed_types(proto, feeds)
        return list(evaluator.run(None, feeds))

    def repro_source(self, minimal: bool = False) -> str:
        """A standalone run_model() for bug repros (imports onnx only).

        minimal: the repro feeds literal arrays of the declared types, so no feed check.
        """
        if minimal:
            return '''
def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})
'''
        return inspect.getsource(check_feed_types) + '''
def run_model(model_bytes, feeds):
    import onnx
    from onnx.reference import ReferenceEvaluator
    model = onnx.load_model_from_string(model_bytes)
    session = ReferenceEvaluator(model)
    feeds = {name: feeds[name] for name in session.input_names}
    check_feed_types(model, feeds)
    return list(session.run(None, feeds))
'''

    def is_unsupported(self, error):
        return isinstance(error, NotImplementedError) or bool(_GAP.search(str(error)))
