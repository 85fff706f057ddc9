"""Rules of onnxoptimizer ("onnxoptimizer:passes"): the passes that change a model.

onnxoptimizer.optimize(model, passes) reports nothing about which pass did
what, so a pass is counted as hit when running it alone on the model the
plugin was given changes the model (compared with an optimize() of no pass,
which normalizes the model the same way). That is the localization approach
too (fuzzer.coverage.localize): one optimize() per pass, about 15 ms for the
default pass list on a campaign model. Like ORT's sessions, only some
transforms pay for it: those of a model with an op type not seen yet in this
process, and every Nth other one (ONNXFUZZ_COVERAGE_PASSES_EVERY, default 16);
and never more than a share of the process's time
(ONNXFUZZ_COVERAGE_PASSES_SHARE, default 0.01), since random graphs bring new
op types for a long while. The inventory is
onnxoptimizer.get_available_passes() of the installed version.
"""
from __future__ import annotations

import os

from fuzzer import coverage

SYSTEM = "onnxoptimizer:passes"


def inventory() -> dict:
    import onnxoptimizer

    try:
        from importlib.metadata import version

        v = version("onnxoptimizer")
    except Exception:
        v = getattr(onnxoptimizer, "__version__", "unknown")
    return {"version": v, "rules": sorted(onnxoptimizer.get_available_passes())}


def passes_that_change(proto, passes: list[str]) -> list[str]:
    """The passes, in order, that change the model (an onnx.ModelProto) when each runs alone.
    A pass that raises counts as changing it: it did something to the model."""
    import onnxoptimizer

    base = onnxoptimizer.optimize(proto, []).SerializeToString()
    changed = []
    for name in passes:
        try:
            out = onnxoptimizer.optimize(proto, [name]).SerializeToString()
        except Exception:
            changed.append(name)
            continue
        if out != base:
            changed.append(name)
    return changed


class _Sampler:
    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.count = 0
        self.every = max(1, int(os.environ.get("ONNXFUZZ_COVERAGE_PASSES_EVERY", "16")))

    def wants(self, ops: set[str]) -> bool:
        if not ops <= self.seen:
            self.seen |= ops
            return True
        self.count += 1
        return self.count % self.every == 0


_SAMPLER = _Sampler()
_BUDGET = coverage.Budget(float(os.environ.get("ONNXFUZZ_COVERAGE_PASSES_SHARE", "0.01")))


@coverage.quietly
def record(proto, passes: list[str]) -> None:
    """Record which of passes change proto on its own, when coverage is on and this model is sampled."""
    # the budget first: a model it turns away leaves its op types new for a later one
    if not coverage.enabled() or not _BUDGET.allows() or not _SAMPLER.wants({n.op_type for n in proto.graph.node}):
        return
    with _BUDGET.charge():
        changed = passes_that_change(proto, passes)
    coverage.hit(SYSTEM, changed, inventory)
