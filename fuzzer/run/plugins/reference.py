"""onnx.reference.ReferenceEvaluator: the ONNX spec's own Python implementation."""
from __future__ import annotations

import re

from fuzzer.run.base import Runtime

# "Pillow must be installed": image ops need an optional dependency onnxfuzz does not install
_GAP = re.compile(r"no (?:implementation|class) for|not implemented|Unable to find|Pillow must be installed", re.I)


class ReferenceEvaluator(Runtime):
    name = "onnx-reference"
    requires = ("onnx",)
    imports = ("onnx.reference",)

    def load(self, model: bytes):
        import onnx
        from onnx.reference import ReferenceEvaluator as RE

        proto = onnx.load_model_from_string(model)
        session = RE(proto)
        # the evaluator computes on whatever it is fed; ONNX Runtime refuses a feed of another
        # type than the model declares, and so must this runtime, or it "runs correctly" a model
        # whose declared input type is the bug (tf2onnx's bfloat16 inputs declared float16)
        session.onnxfuzz_declared = {i.name: i.type.tensor_type.elem_type for i in proto.graph.input
                                     if i.type.HasField("tensor_type")}
        return session

    def input_names(self, session):
        return list(session.input_names)

    def run(self, session, feeds):
        _check_feed_types(getattr(session, "onnxfuzz_declared", {}), feeds)
        return list(session.run(None, feeds))

    def repro_source(self) -> str:
        """A standalone run_model() for bug repros (imports onnx only)."""
        return '''
def run_model(model_bytes, feeds):
    import numpy as np
    import onnx
    from onnx.reference import ReferenceEvaluator
    model = onnx.load_model_from_string(model_bytes)
    session = ReferenceEvaluator(model)
    feeds = {name: feeds[name] for name in session.input_names}
    for i in model.graph.input:  # as ONNX Runtime does: a feed must have the declared type
        elem = i.type.tensor_type.elem_type
        if i.name in feeds and elem and np.asarray(feeds[i.name]).dtype != onnx.helper.tensor_dtype_to_np_dtype(elem):
            raise TypeError(f"input {i.name!r} is declared {onnx.helper.tensor_dtype_to_string(elem)} "
                            f"but is fed {np.asarray(feeds[i.name]).dtype}")
    return list(session.run(None, feeds))
'''

    def is_unsupported(self, error):
        if isinstance(error, FeedTypeError):
            return False
        return isinstance(error, NotImplementedError) or bool(_GAP.search(str(error)))


class FeedTypeError(TypeError):
    """A feed whose element type is not the one the model declares for that input."""


def _check_feed_types(declared: dict[str, int], feeds) -> None:
    import numpy as np
    from onnx import helper

    for name, value in feeds.items():
        elem = declared.get(name)
        if not elem:
            continue
        want = np.dtype(helper.tensor_dtype_to_np_dtype(elem))
        got = np.asarray(value).dtype
        if got != want:
            raise FeedTypeError(f"input {name!r} is declared {helper.tensor_dtype_to_string(elem)} "
                                f"but the case feeds {got}")
