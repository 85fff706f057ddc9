"""onnx.version_converter: the model rewritten for another opset, up or down.

`version-up` converts to the newest opset ONNX Runtime supports (read from
ORT itself, capped at the newest opset onnx knows); `version-down` converts
to max(opset - 2, 7). A model already at the target is returned unchanged.

The converter has no adapter for many (op, version) steps, mostly going down:
"No Adapter From Version", "No Previous Version of X exists", a type the
older op does not allow, an input the older op wants as a constant
attribute, a broadcast Max/Min/Sum/Mean the opset-6 versions cannot express. Those are documented limits of the tool (`is_unsupported`), not
bugs. A model it does convert is judged like any other.
"""
from __future__ import annotations

import re
from functools import lru_cache

from fuzzer.convert.base import Transformer

_GAP = re.compile(
    r"No Adapter (?:From|To) Version"
    r"|adapter_lookup"
    r"|No Previous Version of \w+ exists"
    r"|No initializer or constant input"
    r"|must be a constant or initializer"
    r"|isUnallowed|unallowed_types"
    # OptionalHasElement/OptionalGetElement take a plain tensor from opset 18 on; the adapter
    # refuses to take such a node below 18, where only an optional input exists
    r"|is unallowed for Opset Version"
    r"|mod_\d+_float_types"
    r"|\b(?:is|are) not supported"
    r"|downgrade:"
    r"|Attribute \w+ must have value"
    # an attribute value the older opset cannot express, refused in words: Resize-18's
    # keep_aspect_ratio_policy "must be 'stretch' when converting from opset 18 to opset 17"
    r"|must be '\w+' when converting from opset \d+ to opset \d+"
    # down to 7/6: Max/Min/Sum/Mean that broadcast, or take more than 2 inputs, have no older form
    r"|req_broadcast != -1|can only broadcast between 2 inputs"
    # an output the older op does not have: MaxPool-7 has no Indices ("Opset version 7 of MaxPool
    # cannot include Indices output", review 16)
    r"|Opset version \d+ of \w+ cannot include",
)

DOWN_STEP = 2
DOWN_FLOOR = 7


def model_opset(proto) -> int | None:
    """The model's default-domain (ai.onnx) opset, None when it imports none."""
    for o in proto.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return None


@lru_cache(maxsize=None)
def ort_max_opset() -> int:
    """The newest ai.onnx opset that both onnx and the installed ONNX Runtime support."""
    import onnx
    from onnx import TensorProto, helper

    newest = onnx.defs.onnx_opset_version()
    try:
        import onnxruntime as ort
    except Exception:
        return newest
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "probe", [x], [y])
    for opset in range(newest, 6, -1):
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        model.ir_version = min(model.ir_version, onnx.IR_VERSION)
        opts = ort.SessionOptions()
        opts.log_severity_level = 4
        try:
            ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
            return opset
        except Exception as e:  # "Current official support for domain ai.onnx is till opset 28."
            m = re.search(r"is till opset (\d+)", str(e))
            if m:
                return min(int(m.group(1)), newest)
    return newest


class _VersionConverter(Transformer):
    requires = ("onnx", "onnxruntime")
    imports = ("onnx.version_converter",)

    def target(self, opset: int) -> int:
        raise NotImplementedError

    def transform(self, model: bytes, opset: int) -> bytes:
        import onnx
        from onnx import version_converter

        proto = onnx.load_model_from_string(model)
        current = model_opset(proto)
        if current is None:
            return model  # the converter converts ai.onnx only: nothing to do
        target = self.target(current)
        if target == current:
            return model
        out = version_converter.convert_version(proto, target).SerializeToString()
        from fuzzer.coverage.version_converter import record

        record(proto, current, target)
        return out

    def is_unsupported(self, error: BaseException) -> bool:
        return bool(_GAP.search(str(error)))

    def target_source(self) -> str:
        """The target as a Python expression of `current` (for repros)."""
        raise NotImplementedError

    def repro_source(self) -> str:
        """A standalone transform_model() for bug repros (imports onnx only)."""
        return f'''
def transform_model(model_bytes, opset):
    import onnx
    from onnx import version_converter
    proto = onnx.load_model_from_string(model_bytes)
    current = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    target = {self.target_source()}
    if target == current:
        return model_bytes
    return version_converter.convert_version(proto, target).SerializeToString()
'''


class VersionUp(_VersionConverter):
    name = "version-up"

    def target(self, opset: int) -> int:
        return max(opset, ort_max_opset())

    def target_source(self) -> str:
        return f"max(current, {ort_max_opset()})  # the newest opset onnxruntime supports here"


class VersionDown(_VersionConverter):
    name = "version-down"

    def target(self, opset: int) -> int:
        return max(opset - DOWN_STEP, min(opset, DOWN_FLOOR))

    def target_source(self) -> str:
        return f"max(current - {DOWN_STEP}, min(current, {DOWN_FLOOR}))"
