"""onnxscript's optimizer, the one torch's dynamo exporter runs: constant folding,
dead-code removal, function inlining and rewrite rules, applied to an onnx_ir model."""
from __future__ import annotations

from fuzzer.convert.base import Transformer


class OnnxScriptOptimizer(Transformer):
    name = "onnxscript-optimizer"
    # its constant folding evaluates nodes with onnx.reference's ops (_constant_folding.py)
    folds_with = "onnx-reference"
    requires = ("onnxscript", "onnx-ir", "onnx")
    imports = ("onnxscript.optimizer", "onnx_ir")

    def transform(self, model: bytes, opset: int) -> bytes:
        import onnx
        import onnx_ir as ir
        from onnxscript import optimizer

        ir_model = ir.from_proto(onnx.load_model_from_string(model))
        from fuzzer.coverage.onnxscript_rewriter import instrument

        instrument()  # once per process: each rewrite rule that fires records a hit
        optimizer.optimize(ir_model)  # in place on an ir.Model
        return ir.to_proto(ir_model).SerializeToString()

    def repro_source(self) -> str:
        """A standalone transform_model() for bug repros (imports onnx, onnx_ir and onnxscript only)."""
        return '''
def transform_model(model_bytes, opset):
    import onnx
    import onnx_ir as ir
    from onnxscript import optimizer
    model = ir.from_proto(onnx.load_model_from_string(model_bytes))
    optimizer.optimize(model)
    return ir.to_proto(model).SerializeToString()
'''
