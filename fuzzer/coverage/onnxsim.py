"""Rules of onnxsim ("onnxsim:passes"): its optimizer passes and its constant folding, those
that change a model.

onnxsim runs its passes and its constant folding inside one C++ call and reports
neither, but it takes the names of passes to skip (`skipped_optimizers`, the
names its core lists as its default set) and can skip folding. So a pass is hit
when simplifying with that pass alone gives another model than with no pass at
all, and constant folding when folding alone does: one simplify per rule, about
1-3 ms each on a campaign model without folding. As for onnxoptimizer's passes
(fuzzer.coverage.onnxoptimizer), only some models pay for it: those with an op
type not seen yet in this process and every Nth other one
(ONNXFUZZ_COVERAGE_ONNXSIM_EVERY, default 16), within a share of the process's
time (ONNXFUZZ_COVERAGE_ONNXSIM_SHARE, default 0.01). The inventory is the
installed onnxsim's default pass list and "constant_folding".
"""
from __future__ import annotations

import os

from fuzzer import coverage
from fuzzer.coverage.onnxoptimizer import _Sampler

SYSTEM = "onnxsim:passes"
FOLDING = "constant_folding"


def _passes() -> list[str]:
    from onnxsim import onnx_simplifier

    return [p for p in onnx_simplifier.C._list_optimizers() if p != "nop"]


def inventory() -> dict:
    from importlib.metadata import version

    return {"version": version("onnxsim"), "rules": sorted([*_passes(), FOLDING])}


def rules_that_change(proto) -> list[str]:
    """The passes (and constant folding) that change proto (an onnx.ModelProto) each run alone."""
    import onnxsim

    passes = _passes()

    def alone(skipped: list[str], fold: bool) -> bytes:
        out, _ = onnxsim.simplify(proto, check_n=0, skipped_optimizers=skipped, skip_constant_folding=not fold)
        return out.graph.SerializeToString()  # its metadata records the options: only the graph tells

    base = alone(passes, False)
    hits = [p for p in passes if alone([q for q in passes if q != p], False) != base]
    if alone(passes, True) != base:
        hits.append(FOLDING)
    return hits


_SAMPLER = _Sampler()
_SAMPLER.every = max(1, int(os.environ.get("ONNXFUZZ_COVERAGE_ONNXSIM_EVERY", "16")))
_BUDGET = coverage.Budget(float(os.environ.get("ONNXFUZZ_COVERAGE_ONNXSIM_SHARE", "0.01")))


@coverage.quietly
def record(proto) -> None:
    """Record the rules that change proto, when coverage is on and this model is sampled."""
    if not coverage.enabled() or not _BUDGET.allows() or not _SAMPLER.wants({n.op_type for n in proto.graph.node}):
        return
    with _BUDGET.charge():
        hits = rules_that_change(proto)
    coverage.hit(SYSTEM, hits, inventory)
