"""onnxsim (onnx-simplifier): constant folding through ONNX Runtime, shape inference, onnxoptimizer's passes.

onnxsim can check its own result by running the model before and after on
random inputs (`check_n`). That check is off here: the oracles judge the
simplified model on the case's own inputs against the float64 truth, with a
tolerance for each element, which is both stricter and less noisy (random
inputs outside an op's domain give NaN on both sides, and onnxsim's fixed
rtol/atol flags ill-conditioned graphs). Should onnxsim still report a failed
check, its model is returned anyway, for the oracles to judge.
"""
from __future__ import annotations

from fuzzer.convert.base import Transformer
from fuzzer.run.plugins.onnxruntime import is_gap


class OnnxSim(Transformer):
    name = "onnxsim"
    requires = ("onnxsim", "onnx", "onnxruntime")
    imports = ("onnxsim",)
    # it folds constants by running them in ONNX Runtime
    folds_with = "onnxruntime"

    def transform(self, model: bytes, opset: int) -> bytes:
        import onnx
        import onnxsim

        proto = onnx.load_model_from_string(model)
        simplified, _check_ok = onnxsim.simplify(proto, check_n=0)
        from fuzzer.coverage.onnxsim import record

        record(proto)  # after the transform it judges: a rule run alone that fails is not its failure
        return simplified.SerializeToString()

    def is_unsupported(self, error: BaseException) -> bool:
        # onnxsim folds constants by running them in ONNX Runtime: a missing ORT kernel is ORT's gap
        return is_gap(error)

    def repro_source(self) -> str:
        """A standalone transform_model() for bug repros (imports onnx and onnxsim only)."""
        return '''
def transform_model(model_bytes, opset):
    import onnx
    import onnxsim
    simplified, _ = onnxsim.simplify(onnx.load_model_from_string(model_bytes), check_n=0)
    return simplified.SerializeToString()
'''
