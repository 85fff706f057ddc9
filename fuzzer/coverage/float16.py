"""Rules of onnxconverter-common's float16 converter ("float16:ops"): how it treated each op type.

The converter reports nothing, and its behaviour is per op type: an op computes in
float16 afterwards, or stays float32 between inserted Casts (its block list, and ops
it cannot convert). So the rules are "<Op>" (converted) and "kept:<Op>" (kept float32),
read off the converted model: each node's float inputs, typed by ONNX shape
inference, are float16 or float32. The converter's own Casts are not counted. The
inventory is every default-domain op type that takes float16 at the model's opset
range ("<Op>"), and "kept:<Op>" for the ONNX ops on the installed converter's
default block list.
"""
from __future__ import annotations

from fuzzer import coverage

SYSTEM = "float16:ops"


def inventory() -> dict:
    import onnx
    from importlib.metadata import version
    from onnxconverter_common import float16

    takes_half = sorted({s.name for s in onnx.defs.get_all_schemas_with_history() if s.domain in ("", "ai.onnx")
                         and any("tensor(float16)" in c.allowed_type_strs for c in s.type_constraints)})
    kept = sorted(f"kept:{op}" for op in float16.DEFAULT_OP_BLOCK_LIST if onnx.defs.has(op))
    return {"version": version("onnxconverter-common"), "rules": takes_half + kept}


def treated(converted) -> list[str]:
    """The rules a converted model (onnx.ModelProto) shows: "<Op>" or "kept:<Op>" per op type."""
    import onnx
    from onnx import TensorProto

    graph = onnx.shape_inference.infer_shapes(converted).graph
    types = {vi.name: vi.type.tensor_type.elem_type for vi in (*graph.input, *graph.output, *graph.value_info)}
    types.update({t.name: t.data_type for t in graph.initializer})
    rules = set()
    for node in graph.node:
        if node.op_type == "Cast" or node.domain not in ("", "ai.onnx"):
            continue
        floats = {types.get(name) for name in node.input if name} & {TensorProto.FLOAT16, TensorProto.FLOAT}
        if TensorProto.FLOAT16 in floats:
            rules.add(node.op_type)
        elif TensorProto.FLOAT in floats:
            rules.add(f"kept:{node.op_type}")
    return sorted(rules)


#: its shape inference runs on the campaign's per-case path: kept to a share of the process's time
_BUDGET = coverage.Budget(0.01)


@coverage.quietly
def record(converted) -> None:
    if not coverage.enabled() or not _BUDGET.allows():
        return
    with _BUDGET.charge():
        coverage.hit(SYSTEM, treated(converted), inventory)
