"""Rules of every runtime ("<runtime>:ops"): the (ONNX op, dtype, opset) triples it ran.

A rule reads "Add-14:float": the op, the version of its schema in force at the
model's opset (so opsets in which the op did not change count once), and the
element type of its first input (of its first output when it has none). A
runtime hits the rules of every node of a model it ran to completion, whatever
the verdict on its outputs, as long as this bookkeeping stays within its share
of the process's time (ONNXFUZZ_COVERAGE_OPS_SHARE, default 0.02). The inventory, the same for every runtime, is the
installed onnx's: every default-domain schema version in force at some opset
from 13 up, times each type its first input's constraint allows. Ops of other
domains (com.microsoft ops an ORT offline model holds) are recorded as hits
outside the inventory.
"""
from __future__ import annotations

import os
from functools import lru_cache

from fuzzer import coverage

#: the oldest opset campaign models have
FLOOR = 13


def system(runtime: str) -> str:
    return f"{runtime}:ops"


def _short(type_str: str) -> str:
    return type_str[len("tensor("):-1] if type_str.startswith("tensor(") and type_str.endswith(")") else type_str


@lru_cache(maxsize=1)
def inventory() -> dict:
    import onnx
    from onnx import defs

    newest = defs.onnx_opset_version()
    by_op: dict[str, list] = {}
    for schema in defs.get_all_schemas_with_history():
        if schema.domain in ("", "ai.onnx"):
            by_op.setdefault(schema.name, []).append(schema)
    rules = set()
    for op, schemas in by_op.items():
        schemas.sort(key=lambda s: s.since_version)
        for i, schema in enumerate(schemas):
            until = schemas[i + 1].since_version - 1 if i + 1 < len(schemas) else newest
            if until < FLOOR or schema.deprecated:
                continue  # not in force at any opset a campaign model has
            for dtype in _allowed(schema):
                rules.add(f"{op}-{schema.since_version}:{dtype}")
    return {"version": onnx.__version__, "rules": sorted(rules)}


def _allowed(schema) -> list[str]:
    formal = schema.inputs[0] if schema.inputs else (schema.outputs[0] if schema.outputs else None)
    if formal is None:
        return []
    constraints = {c.type_param_str: c.allowed_type_strs for c in schema.type_constraints}
    return [_short(t) for t in constraints.get(formal.type_str, [formal.type_str])]


@lru_cache(maxsize=4096)
def _since(op: str, opset: int) -> int | None:
    from onnx import defs

    try:
        return defs.get_schema(op, opset, "").since_version
    except Exception:
        return None


def executed(proto) -> list[str]:
    """The rules a runtime that ran proto (an onnx.ModelProto) to completion exercised."""
    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), None)
    types = _types(proto.graph)
    if any(_first(n) and _first(n) not in types for n in proto.graph.node):
        import onnx

        try:  # the model lacks some intermediate types: infer them (costs a few ms, only then)
            types = _types(onnx.shape_inference.infer_shapes(proto).graph)
        except Exception:
            pass
    rules = set()
    for node in proto.graph.node:
        dtype = types.get(_first(node), "?") if _first(node) else "?"
        if node.domain in ("", "ai.onnx"):
            since = _since(node.op_type, opset) if opset is not None else None
            rules.add(f"{node.op_type}-{since}:{dtype}")
        else:
            rules.add(f"{node.domain}::{node.op_type}:{dtype}")
    return sorted(rules)


def _first(node) -> str:
    """The value whose element type names the node's dtype: its first input, else its first output."""
    if node.input and node.input[0]:
        return node.input[0]
    return node.output[0] if node.output else ""


def _types(graph) -> dict[str, str]:
    """{value name: element type in ONNX's words ("float", "int64")} of what the graph declares."""
    types = {}
    for v in [*graph.input, *graph.value_info, *graph.output]:
        if v.type.HasField("tensor_type") and v.type.tensor_type.elem_type:
            types[v.name] = _onnx_name(v.type.tensor_type.elem_type)
    for init in graph.initializer:
        types[init.name] = _onnx_name(init.data_type)
    for node in graph.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            for attr in node.attribute:
                if attr.name == "value" and attr.HasField("t"):
                    types[node.output[0]] = _onnx_name(attr.t.data_type)
    return types


@lru_cache(maxsize=64)
def _onnx_name(elem_type: int) -> str:
    """TensorProto.FLOAT -> "float": the spelling of the schemas' type strings."""
    from onnx import TensorProto

    return TensorProto.DataType.Name(elem_type).lower()


#: reading a model's (op, dtype, opset) triples costs about 0.4 ms (more when its types must be
#: inferred), on every path of every case: kept to this share of the process's time
_BUDGET = coverage.Budget(float(os.environ.get("ONNXFUZZ_COVERAGE_OPS_SHARE", "0.02")))


@coverage.quietly
def record(model: bytes, runtimes: list[str]) -> None:
    """Record that each of runtimes ran model (serialized) to completion (unless the budget is spent)."""
    if not runtimes or not coverage.enabled() or not _BUDGET.allows():
        return
    import onnx

    with _BUDGET.charge():
        rules = executed(onnx.load_model_from_string(model))
    for name in runtimes:
        coverage.hit(system(name), rules, inventory)
