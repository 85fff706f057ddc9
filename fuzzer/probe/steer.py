"""Steering the generator towards what the selected runtimes support.

In the published study 42% of generated models failed to load in ONNX
Runtime, almost all through kernel gaps. Such a case can only come back
"unsupported". So an (op spec, dtype) pair is not generated when every
selected runtime's cached probe says definitively that it does not support
it: the probe case of that very spec and dtype was called a gap, or, without
one, the op's main ONNX op was, for that dtype, at a few common opsets. An
unknown answer (no probe case, no cache yet) never steers: steering only
removes what is known to be wasted.
"""
from __future__ import annotations

from fuzzer.ops import all_specs

#: the opsets the probe answer is looked up at; unsupported at all of them means unsupported
OPSETS = (13, 17, 18, 20)


def avoided_pairs(runtimes, capabilities_of) -> frozenset:
    """(op name, dtype) pairs no runtime in `runtimes` supports.

    Args:
        runtimes: runtime plugins.
        capabilities_of: plugin -> Capabilities or None (e.g. fuzzer.probe.cached).
    """
    caps = [capabilities_of(r) for r in runtimes]
    if not caps or any(c is None for c in caps):
        return frozenset()  # a runtime we know nothing about might support anything
    avoid = set()
    for spec in all_specs():
        for dtype in spec.dtypes:
            if all(_refuses(c, spec, dtype.value) for c in caps):
                avoid.add((spec.name, dtype.value))
    return frozenset(avoid)


def _refuses(caps, spec, dtype: str) -> bool:
    direct = caps.supports_spec(spec.name, dtype)
    if direct is not None:
        return not direct
    if not spec.onnx_ops:
        return False
    answers = [caps.supports(spec.onnx_ops[0], dtype, opset) for opset in OPSETS]
    return any(a is False for a in answers) and not any(a is True for a in answers)
