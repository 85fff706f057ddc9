"""Judging one ONNX model before any runtime sees it: the one rule campaigns (fuzzer/case.py)
and `onnxfuzz gen --check` (fuzzer/generate/validity.py) both apply.

A model the ONNX checker (full check: strict shape inference with type checking) rejects is
an `invalid_model` finding, except when the checker's words say the op does not accept that
element type: torch computes the op on that dtype and ONNX cannot express it, a documented
gap of the format (`unsupported`), never a bug of whoever made the model.
"""
from __future__ import annotations

import re

from oracles.judge import judge_error
from oracles.verdict import Stage, Verdict

# The checker's words for "this op does not accept this element type".
TYPE_GAP = re.compile(r"has unsupported type:? tensor\(|Type Error: Type \(tensor\(\w+\)\) of input parameter")


def judge_model(model: bytes, path: str) -> tuple[Verdict | None, list[str]]:
    """(the CHECK-stage verdict on a serialized ModelProto, or None when it is valid; its op types).

    The verdict is `unsupported` for a type gap (TYPE_GAP) and `invalid_model` for any
    other rejection, including bytes that do not parse as a model.
    """
    import onnx

    try:
        proto = onnx.load_model_from_string(model)
    except Exception as e:
        return judge_error(Stage.CHECK, f"{type(e).__name__}: {e}", False, path, ""), []
    ops = sorted({n.op_type for n in proto.graph.node})
    try:
        onnx.checker.check_model(proto, full_check=True)  # full: strict shape inference, types checked
    except Exception as e:
        why = f"{type(e).__name__}: {e}"
        return judge_error(Stage.CHECK, why, TYPE_GAP.search(why) is not None, path, "", ops), ops
    return None, ops
