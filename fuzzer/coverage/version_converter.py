"""Rules of onnx's version converter ("version-converter:adapters"): the adapters it applied.

The converter walks a model one opset at a time, and at each step from v to
v+1 (or down, v to v-1) rewrites every node whose op changed at that step with
the adapter registered for (op, v, v+1). Which adapters ran is therefore a
function of the model's ops and the two opsets, derived here without touching
the converter: an op whose schema has a version introduced at s is adapted by
"Op:s-1->s" going up across s, and by "Op:s->s-1" going down. The inventory
is every such step in the installed onnx's schema history from opset 14 up
(campaign models start at 13), both directions. Some of those steps have no
adapter in the converter (it then refuses the model as unsupported), so the
inventory is an upper bound on what the converter can do.
"""
from __future__ import annotations

from functools import lru_cache

from fuzzer import coverage

SYSTEM = "version-converter:adapters"
#: the oldest opset a campaign model has, so the oldest step counted ends one above it
FLOOR = 13


@lru_cache(maxsize=1)
def _versions() -> dict[str, list[int]]:
    """{op: sorted since_versions} of the default domain."""
    from onnx import defs

    out: dict[str, set[int]] = {}
    for schema in defs.get_all_schemas_with_history():
        if schema.domain in ("", "ai.onnx"):
            out.setdefault(schema.name, set()).add(schema.since_version)
    return {op: sorted(v) for op, v in out.items()}


def inventory() -> dict:
    import onnx

    rules = []
    for op, versions in _versions().items():
        for s in versions:
            if s > FLOOR:
                rules += [f"{op}:{s - 1}->{s}", f"{op}:{s}->{s - 1}"]
    return {"version": onnx.__version__, "rules": sorted(rules)}


def _ops(graph) -> set[str]:
    ops = set()
    for node in graph.node:
        if node.domain in ("", "ai.onnx"):
            ops.add(node.op_type)
        for attr in node.attribute:
            for g in [attr.g] if attr.HasField("g") else list(attr.graphs):
                ops |= _ops(g)
    return ops


def adapters(proto, source: int, target: int) -> list[str]:
    """The adapters converting proto (an onnx.ModelProto) from opset source to target applies."""
    history = _versions()
    out = []
    for op in sorted(_ops(proto.graph)):
        for s in history.get(op, []):
            if source < s <= target:
                out.append(f"{op}:{s - 1}->{s}")
            elif target < s <= source:
                out.append(f"{op}:{s}->{s - 1}")
    return out


@coverage.quietly
def record(proto, source: int, target: int) -> None:
    """Record the adapters a successful conversion of proto from source to target applied."""
    if coverage.enabled():
        coverage.hit(SYSTEM, adapters(proto, source, target), inventory)
