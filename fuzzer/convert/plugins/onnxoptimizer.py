"""onnxoptimizer: its default fuse-and-eliminate pass list, or only its fuse_* passes.

Any single pass (or list of passes) can be fuzzed on its own without writing
code: this module makes a plugin class for every pass name on request, named
`onnxoptimizer-<pass>`. Register it through the environment, e.g.

    ONNXFUZZ_PLUGINS="converter:onnxoptimizer-eliminate_nop_transpose=fuzzer.convert.plugins.onnxoptimizer:eliminate_nop_transpose"

or subclass OnnxOptimizer with your own `name` and `passes` (see docs/plugins.md).
"""
from __future__ import annotations

from typing import ClassVar

from fuzzer.convert.base import Transformer


class OnnxOptimizer(Transformer):
    name = "onnxoptimizer"
    requires = ("onnxoptimizer", "onnx")
    imports = ("onnxoptimizer",)
    #: pass names; None for onnxoptimizer's default (get_fuse_and_elimination_passes)
    passes: ClassVar[tuple[str, ...] | None] = None
    #: keep to the fuse_* passes of the default list
    only_fuse: ClassVar[bool] = False
    fixed_point: ClassVar[bool] = False

    def pass_list(self) -> list[str]:
        import onnxoptimizer

        if self.passes is not None:
            return list(self.passes)
        default = onnxoptimizer.get_fuse_and_elimination_passes()
        if self.only_fuse:
            return [p for p in default if p.startswith("fuse_")]
        return list(default)

    def transform(self, model: bytes, opset: int) -> bytes:
        import onnx
        import onnxoptimizer

        from fuzzer.coverage.onnxoptimizer import record

        proto = onnx.load_model_from_string(model)
        out = onnxoptimizer.optimize(proto, self.pass_list(), fixed_point=self.fixed_point).SerializeToString()
        record(proto, self.pass_list())  # which passes change it alone (sampled): after the real run, whose crash comes first
        return out

    def repro_source(self) -> str:
        """A standalone transform_model() for bug repros (imports onnx and onnxoptimizer only)."""
        return f'''
def transform_model(model_bytes, opset):
    import onnx
    import onnxoptimizer
    passes = {self.pass_list()!r}
    model = onnx.load_model_from_string(model_bytes)
    return onnxoptimizer.optimize(model, passes, fixed_point={self.fixed_point!r}).SerializeToString()
'''


class OnnxOptimizerFuse(OnnxOptimizer):
    name = "onnxoptimizer-fuse"
    only_fuse = True


def __getattr__(attr: str):
    """A plugin class running only the pass `attr`, named onnxoptimizer-<attr> (see the module doc)."""
    if attr.startswith("__"):
        raise AttributeError(attr)
    try:
        import onnxoptimizer
    except Exception:  # the plugin then reports onnxoptimizer as missing
        available = None
    else:
        available = set(onnxoptimizer.get_available_passes())
    if available is not None and attr not in available:
        raise AttributeError(f"onnxoptimizer has no pass {attr!r}; passes: {', '.join(sorted(available))}")
    cls = type(f"OnnxOptimizer_{attr}", (OnnxOptimizer,), {"name": f"onnxoptimizer-{attr}", "passes": (attr,), "__module__": __name__, "__qualname__": attr})
    globals()[attr] = cls
    return cls
