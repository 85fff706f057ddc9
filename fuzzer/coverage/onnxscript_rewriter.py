"""Rules of onnxscript's optimizer ("onnxscript:rewrite-rules"): the rewrite rules that fired.

onnxscript.optimizer.optimize (which the dynamo exporter runs with optimize=True,
and the onnxscript-optimizer transformer runs alone) applies the rule set
onnxscript.rewriter._DEFAULT_REWRITE_RULES; every rule tries each node through
RewriteRule.try_rewrite, which returns a replacement when the rule fires.
Wrapping that one method once per process records the rules that fired. The
inventory is the default rule set of the installed onnxscript. Many of its
rules have no name; those are named by their replacement function and their
place in the set ("identity#3"), stable for one installed version.
"""
from __future__ import annotations

import functools

from fuzzer import coverage

SYSTEM = "onnxscript:rewrite-rules"

_names: dict[int, str] = {}


def _rule_names() -> dict[int, str]:
    """{id(rule): its name} for the default rule set."""
    from onnxscript import rewriter

    if not _names:
        for index, rule in enumerate(rewriter._DEFAULT_REWRITE_RULES):
            _names[id(rule)] = rule.name or f"{_replacement_name(rule)}#{index}"
    return _names


def _replacement_name(rule) -> str:
    function = getattr(getattr(rule, "_replacement_pattern", None), "_function", None)
    return getattr(function, "__qualname__", None) or type(rule).__name__


def inventory() -> dict:
    from importlib.metadata import version

    return {"version": version("onnxscript"), "rules": sorted(_rule_names().values())}


def instrument() -> None:
    """Wrap RewriteRule.try_rewrite once per process so that a rule that fires records a hit."""
    from onnxscript.rewriter import _rewrite_rule

    original = _rewrite_rule.RewriteRule.try_rewrite
    if getattr(original, "__onnxfuzz_coverage__", False) or not coverage.enabled():
        return
    names = _rule_names()

    @functools.wraps(original)
    def try_rewrite(self, *args, **kwargs):
        replacement = original(self, *args, **kwargs)
        if replacement is not None:
            coverage.hit(SYSTEM, (names.get(id(self)) or self.name or _replacement_name(self),), inventory)
        return replacement

    try_rewrite.__onnxfuzz_coverage__ = True
    _rewrite_rule.RewriteRule.try_rewrite = try_rewrite
