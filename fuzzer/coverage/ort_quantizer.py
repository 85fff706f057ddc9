"""Rules of ONNX Runtime's dynamic quantizer ("ort-quantize:op-quantizers"): the op quantizers that rewrote a node.

quantize_dynamic hands every node whose op type is in its registry
(onnxruntime.quantization.registry.IntegerOpsRegistry: MatMul, Conv, Gather,
LSTM...) to that op's quantizer class, which may rewrite it or leave it as it
was. A rule is hit when a node of that type in the input has no identical node
(same op type, same inputs) in the output: its quantizer rewrote it. Read from
the two models, no instrumentation.
"""
from __future__ import annotations

from collections import Counter

from fuzzer import coverage

SYSTEM = "ort-quantize:op-quantizers"


def inventory() -> dict:
    import onnxruntime as ort
    from onnxruntime.quantization import registry

    return {"version": ort.__version__, "rules": sorted(registry.IntegerOpsRegistry)}


def rewritten(before, after, op_types) -> list[str]:
    """The op types (of op_types) some node of which in before (a ModelProto) is not in after as it was."""
    kept = Counter((n.op_type, tuple(n.input)) for n in after.graph.node)
    out = set()
    for node in before.graph.node:
        if node.op_type in op_types and node.domain in ("", "ai.onnx"):
            key = (node.op_type, tuple(node.input))
            if kept[key]:
                kept[key] -= 1
            else:
                out.add(node.op_type)
    return sorted(out)


@coverage.quietly
def record(before: bytes, after: bytes) -> None:
    """Record the op quantizers that rewrote a node of before (serialized) into after."""
    if not coverage.enabled():
        return
    import onnx

    rules = inventory()["rules"]
    coverage.hit(SYSTEM, rewritten(onnx.load_model_from_string(before), onnx.load_model_from_string(after), set(rules)), inventory)
