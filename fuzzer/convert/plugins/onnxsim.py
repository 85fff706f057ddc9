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


def _fails_alike(run, error: str) -> bool:
    """Does run() (which returns a model) raise, or return a model the checker rejects, as error
    (the campaign's words) says, as a crash or as an invalid model?"""
    import onnx

    from fuzzer.convert.base import fails_the_same
    from oracles import Kind, normalize_error

    try:
        onnx.checker.check_model(run(), full_check=True)
    except Exception as e:  # noqa: BLE001 - it failed: in the words seen?
        return any(fails_the_same(k, e, normalize_error(k, error)) for k in (Kind.CONVERT_CRASH, Kind.INVALID_MODEL))
    return False


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

    def upstream_fault(self, model: bytes, opset: int, error: str) -> str | None:
        """onnxoptimizer, when its passes, which onnxsim runs inside its own simplify (its default
        pass list is onnxoptimizer's), fail the same way on the model onnxsim was given, alone or
        all together as onnxsim runs them, or write a model the checker rejects in the same words
        (reviews 23 and 24: fuse_transpose_into_gemm and fuse_consecutive_log_softmax asserting
        on an attribute left to its default were blamed on onnxsim). Named by the onnxoptimizer
        plugin that fails so itself: its fuse_* passes, else its default list."""
        import onnx

        try:
            import onnxoptimizer
            from onnxsim import onnx_simplifier

            passes = [p for p in onnx_simplifier.C._list_optimizers() if p in set(onnxoptimizer.get_available_passes())]
        except Exception:  # noqa: BLE001 - no onnxoptimizer to ask
            return None
        proto = onnx.load_model_from_string(model)
        # each pass alone, then all of them as onnxsim runs them (to a fixed point): some fail only
        # on what another made (fuse_consecutive_transposes leaves a Transpose without its perm,
        # which fuse_transpose_into_gemm requires)
        if not any(_fails_alike(lambda run=run: onnxoptimizer.optimize(proto, run, fixed_point=len(run) > 1), error)
                   for run in [[name] for name in passes] + [passes]):
            return None
        from fuzzer.plugin import load_plugin

        for name in ("onnxoptimizer-fuse", "onnxoptimizer"):
            plugin = load_plugin("converter", name)
            if _fails_alike(lambda plugin=plugin: onnx.load_model_from_string(plugin.transform(model, opset)), error):
                return name
        return None

    def repro_source(self) -> str:
        """A standalone transform_model() for bug repros (imports onnx and onnxsim only)."""
        return '''
def transform_model(model_bytes, opset):
    import onnx
    import onnxsim
    simplified, _ = onnxsim.simplify(onnx.load_model_from_string(model_bytes), check_n=0)
    return simplified.SerializeToString()
'''
