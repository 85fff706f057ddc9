"""onnxslim: pattern-based graph slimming (constant folding, dead code, fusions)."""
from __future__ import annotations

from fuzzer.convert.base import Transformer


class OnnxSlim(Transformer):
    name = "onnxslim"
    requires = ("onnxslim", "onnx")
    imports = ("onnxslim",)
    # its constant folding runs the nodes in ONNX Runtime (onnx-graphsurgeon's fold_constants)
    folds_with = "onnxruntime"

    def transform(self, model: bytes, opset: int) -> bytes:
        import onnx
        import onnxslim

        from fuzzer.coverage.onnxslim import instrument

        instrument()  # once per process: the patterns and passes each slim() applies
        return onnxslim.slim(onnx.load_model_from_string(model)).SerializeToString()

    def repro_source(self) -> str:
        """A standalone transform_model() for bug repros (imports onnx and onnxslim only)."""
        return '''
def transform_model(model_bytes, opset):
    import onnx
    import onnxslim
    return onnxslim.slim(onnx.load_model_from_string(model_bytes)).SerializeToString()
'''
