"""Rewrite motifs: op specs whose lowering is a pattern an optimizer under test rewrites.

Optimizer rules fire only on exact patterns with exact preconditions (a MatMul
whose output feeds only an Add of a broadcastable constant, a Transpose pair
whose permutations cancel). Random graphs almost never draw them, so a motif
is one spec that builds the whole pattern as a unit, and the generator plants
it like any other op. Its draw decides, through the choice sequence, whether
this instance keeps every precondition of the rewrite or breaks one guard
(a dtype, an axis, an operand that is an input instead of a constant), so
both sides of each guard are tested: the rewrite and the refusal to rewrite.

A motif names the rules it is made to trigger, as each system names them
(`rewrites`), and records the side of the guard it drew in its attributes
(`FIRES`): a firing test checks that an instance drawn to fire does make that
system report the rule (fuzzer.coverage.firing).
"""
from __future__ import annotations

from typing import ClassVar

#: the attribute every motif sets: True when the draw keeps every precondition of its rewrite
FIRES = "fires"


class Motif:
    """Mixin, listed before OpSpec (or an OpSpec subclass), for a rewrite motif.

    The spec's draw sets attrs[FIRES] (usually True, about 3 draws in 4) and,
    when it is False, breaks one precondition of the rewrite. Lowerings ignore
    FIRES: it only says which side of the guard the other attributes fell on.
    """

    #: (system, rule) pairs this motif is built to trigger, rule named as the system reports it:
    #: ("onnxruntime", "MatMulAddFusion"), ("onnxoptimizer", "fuse_matmul_add_bias_into_gemm")
    rewrites: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: motifs are written, and their firing tested, in the forms of opset 13 and newer (an older
    #: Dropout's mask is a float, an older Gemm needs its C); a motif may ask for a newer one
    min_opset: ClassVar[int] = 13


def is_motif(spec) -> bool:
    return isinstance(spec, Motif)
