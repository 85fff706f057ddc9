"""A reduced graph is held to the generator's validity rules, not only to its failure.

The generator builds valid graphs by construction (fuzzer.generate.validity
checks that promise: torch eager runs the graph, and onnxfuzz's own direct ONNX
model of it passes the full checker with strict shape inference). A reduction
pass reshapes a graph after the fact, and torch eager is lenient where ONNX is
not; a candidate that is no longer a graph the generator could have built may
fail "the same way" for another reason (an exporter given an op whose
precondition broke). So a candidate is kept only while:
- every op's spec accepts its operands and their preconditions hold
  (`passes.retype`, `OpSpec.requires`);
- its direct ONNX model still passes the checker and breaks none of the
  spec's input constraints the checker skips (oracles.evidence.CONSTRAINTS),
  when the original graph's did (a graph whose own direct model fails, or that
  has ops without an ONNX lowering, is not held to this rule);
- torch eager runs it (the failure check runs the case, which starts there).
"""
from __future__ import annotations

from fuzzer.ir import Graph

#: the opset the direct models are checked at: the newest the installed onnx knows
_OPSET: int | None = None


def _direct_errors(graph: Graph) -> tuple[str | None, str | None]:
    """Why onnxfuzz's direct ONNX model of graph is invalid as campaigns judge a model, and which
    of the spec's input constraints the checker skips it breaks (oracles.evidence.CONSTRAINTS);
    None for each it passes."""
    global _OPSET
    from fuzzer.materialize.onnx_model import model_proto
    from fuzzer.ops import graph_opset_floor
    from oracles import Kind, judge_model
    from oracles.evidence import constraint_breaks

    if _OPSET is None:
        import onnx

        _OPSET = onnx.defs.onnx_opset_version()
    try:
        # a spec's opset floor may read an attribute a reduction dropped (simplify_attrs took
        # Multinomial's logits dtype: a failed triage in review 26's campaign): no direct model then
        opset = max(_OPSET, graph_opset_floor(graph))
        model = model_proto(graph, opset)
    except Exception as e:
        why = f"the direct model cannot be built: {type(e).__name__}: {e}"
        return why, why
    verdict, _ = judge_model(model.SerializeToString(), f"onnx-direct@{opset}")
    # a type gap is ONNX's limit, not a broken graph
    invalid = verdict.error if verdict is not None and verdict.kind is not Kind.UNSUPPORTED else None
    # a Gather index past the end of a Shape that a reduction made shorter, a Pad with pads for
    # another rank (review 10: an optimizer's crash on such a model, and a runtime's refusal of
    # one, were filed)
    broken = constraint_breaks(model) if invalid is None else []
    return invalid, "; ".join(broken) or None


class Validity:
    """The validity rules a reduction of one graph keeps (see the module docstring)."""

    def __init__(self, original: Graph) -> None:
        from fuzzer.ops import get_spec

        direct = all(get_spec(op).has_onnx for op in set(original.op_types()))
        invalid, broken = _direct_errors(original) if direct else ("", "")
        #: whether candidates must keep a direct model the checker passes: only when the original's does
        self.direct = direct and invalid is None
        #: whether they must keep one that breaks no checked constraint: only when the original's breaks none
        self.constrained = self.direct and broken is None
        #: candidates refused, for the reduction's counters
        self.refused = 0

    def why_not(self, candidate: Graph) -> str | None:
        """Why candidate breaks the rules, or None when it keeps them."""
        if not self.direct:
            return None
        invalid, broken = _direct_errors(candidate)
        why = invalid or (broken if self.constrained else None)
        if why is not None:
            self.refused += 1
        return why
