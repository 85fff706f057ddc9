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

        return RE(onnx.load_model_from_string(model))

    def input_names(self, session):
        return list(session.input_names)

    def run(self, session, feeds):
        return list(session.run(None, feeds))

    def repro_source(self) -> str:
        """A standalone run_model() for bug repros (imports onnx only)."""
        return '''
def run_model(model_bytes, feeds):
    import onnx
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return list(session.run(None, {name: feeds[name] for name in session.input_names}))
'''

    def is_unsupported(self, error):
        return isinstance(error, NotImplementedError) or bool(_GAP.search(str(error)))
