"""What the optimizer-pass motifs (fuzzer.ops.motifs_passes*) share: the draw of the side of
the guard, and the one way an intermediate gets a second consumer.

A motif's draw first decides whether the instance keeps every precondition of its rewrite
(about 3 in 4) or which one guard it breaks, then draws the pattern for that. A guard the
motifs share is "tap": the pattern's intermediate value is also an output of the node (so it
has a second consumer, the graph output or a later op), which every fusion here must refuse
or handle by keeping the intermediate.

No op specs live here (the registry finds no class with a name).
"""
from __future__ import annotations

from typing import Any, ClassVar

from fuzzer.ir import TensorType, Value
from fuzzer.ops.base import OpSpec
from fuzzer.ops.motif import FIRES, Motif

#: the chance that a draw keeps every precondition
P_FIRES = 0.75


class PassMotif(Motif, OpSpec):
    """A motif built in one draw: draw_motif(b, x, broken) returns (operands, attrs) for the
    guard `broken` (None: keep them all). FIRES and "broken" are added to the attributes."""

    exportable = False
    #: the preconditions a draw may break, by name (each draw_motif knows what to do for each)
    guards: ClassVar[tuple[str, ...]] = ()

    def draw(self, b, x: Value) -> tuple[list[Value], dict[str, Any]]:
        c = b.choices
        broken = None if not self.guards or c.boolean(P_FIRES) else c.choice(list(self.guards))
        ops, attrs = self.draw_motif(b, x, broken)
        attrs[FIRES] = broken is None
        attrs["broken"] = broken
        attrs["operand_types"] = [str(v.type) for v in ops]
        return ops, attrs

    def requires(self, types, attrs):
        """The operands must keep the types they were drawn with: the pattern's shapes, axes and
        constants were drawn for them together (the minimizer may not retype one alone)."""
        drawn = attrs.get("operand_types")
        if drawn is not None and [str(t) for t in types] != list(drawn):
            return f"{self.name} was drawn for operands {drawn}"
        return None

    def draw_motif(self, b, x: Value, broken: str | None) -> tuple[list[Value], dict[str, Any]]:
        raise NotImplementedError(f"{type(self).__name__}.draw_motif")


def tapped(outs: list[TensorType], middle: TensorType, attrs: dict) -> list[TensorType]:
    """The node's output types: outs, then the intermediate's when the draw taps it."""
    return outs + [middle] if attrs.get("tap") else outs


def chain(inner: str, outer: str, attrs: dict) -> str:
    """Torch source computing outer (an expression over `t`) with t = inner; a tuple (outer,
    t) when the draw taps the intermediate."""
    body = f"({outer}, t)" if attrs.get("tap") else outer
    return f"(lambda t: {body})({inner})"


def middle_name(ctx, outs: list[str], attrs: dict, hint: str) -> str:
    """The ONNX name of the intermediate: the node's second output when tapped, else fresh."""
    return outs[1] if attrs.get("tap") else ctx.fresh(hint)


__all__ = ["FIRES", "P_FIRES", "PassMotif", "chain", "middle_name", "tapped"]
