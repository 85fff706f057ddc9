"""Attributes left at their default, sometimes written out with their default value.

An op's lowering writes only the attributes it sets; exporters do the same, so a converter or
runtime never meets `keepdims=1`, `mode="constant"`, `auto_pad="NOTSET"` or `saturate=1`
spelled out, though the spec makes the spelled and the omitted form the same model. Handlers
that read an attribute only when it is absent, or reject one they did not expect, differ there.

Which nodes get their defaults spelled is decided by a hash of the IR node they lower (its id,
op type and attributes), not by a draw: the same graph always gives the same model (a case
replays exactly, and a minimized graph keeps the spelling of every node it keeps), and the
generator's choice sequence is unchanged. About a third of the IR nodes spell defaults; of
those, each attribute with a default is spelled with a chance of about two in three.
"""
from __future__ import annotations

import functools

import zlib

#: IR nodes whose lowering spells defaults: one in SPELL_ONE_IN
SPELL_ONE_IN = 3


def node_key(node) -> str:
    """What decides whether an IR node's ONNX nodes spell their defaults: stable across runs."""
    return f"{node.id}|{node.op_type}|{sorted(node.attrs.items())!r}"


def _hash(text: str) -> int:
    return zlib.crc32(text.encode())


@functools.lru_cache(maxsize=None)
def _first_schema(op: str, domain: str):
    import onnx

    versions = [x for x in onnx.defs.get_all_schemas_with_history() if x.name == op and x.domain == domain]
    return min(versions, key=lambda x: x.since_version) if versions else None


def spell_defaults(nodes: list, key: str, opset: int) -> int:
    """Add, on the ONNX nodes one IR node (key) lowered to, some attributes the schema at opset
    gives a default and the node leaves out, each set to that default. Returns how many."""
    if _hash(key) % SPELL_ONE_IN:
        return 0
    import onnx

    added = 0
    for i, n in enumerate(nodes):
        try:
            schema = onnx.defs.get_schema(n.op_type, opset, n.domain or "")
        except Exception:  # a contrib op, or none at this opset: left as it is
            continue
        present = {a.name for a in n.attribute}
        # only attributes the op has had since its first version: an evaluator that implements an
        # older version (onnx.reference's CastLike-19 under CastLike-24, which added round_mode)
        # refuses a spelled newer one, which is its lag, not the bug this spelling looks for
        older = _first_schema(n.op_type, n.domain or "")
        for name in sorted(schema.attributes):
            if older is not None and name not in older.attributes:
                continue
            default = schema.attributes[name].default_value
            if name in present or default.type == onnx.AttributeProto.UNDEFINED:
                continue
            if _hash(f"{key}|{i}|{name}") % 3 == 0:
                continue
            spelled = onnx.AttributeProto()
            spelled.CopyFrom(default)
            spelled.name = name
            n.attribute.append(spelled)
            added += 1
    return added


__all__ = ["node_key", "spell_defaults"]
