"""Elementwise comparison with statistics, in the manner of Polygraphy's comparator.

A comparison never just says "failed": it reports max/mean/median abs and rel
error, where the worst element sits, and the smallest tolerance scale that
would have passed, so a user can tell a rounding artefact from a wrong kernel.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Comparison:
    ok: bool
    max_abs: float
    mean_abs: float
    median_abs: float
    max_rel: float
    mean_rel: float
    worst_index: tuple[int, ...]
    worst_actual: float
    worst_expected: float
    #: the factor by which the tolerance would have to grow for this comparison to pass
    needed_scale: float
    mismatched: int
    compared: int

    def to_json(self) -> dict:
        d = self.__dict__.copy()
        d["worst_index"] = list(self.worst_index)
        return d

    def summary(self) -> str:
        return (
            f"{self.mismatched}/{self.compared} elements off; max abs {self.max_abs:.3g}, max rel {self.max_rel:.3g} "
            f"at {list(self.worst_index)} (got {self.worst_actual:.6g}, expected {self.worst_expected:.6g}); "
            f"tolerance x{self.needed_scale:.3g} would pass"
        )


def compare(actual: np.ndarray, expected: np.ndarray, tol: np.ndarray, mask: np.ndarray | None = None) -> Comparison:
    """Compare actual against expected elementwise, within tol (same shape as expected).

    Elements where mask is False are not judged (numerically unstable there).
    """
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    use = np.ones(e.shape, bool) if mask is None else mask
    diff = np.where(use, np.abs(a - e), 0.0)
    diff = np.where(np.isnan(diff), np.inf, diff)
    rel = diff / np.maximum(np.abs(e), 1e-12)
    bad = diff > tol
    n = int(use.sum())
    if e.size == 0 or n == 0:
        return Comparison(True, 0.0, 0.0, 0.0, 0.0, 0.0, (), 0.0, 0.0, 0.0, 0, n)
    ratio = np.where(use, diff / np.maximum(tol, 1e-300), 0.0)
    worst = np.unravel_index(int(np.argmax(ratio)), e.shape)
    used = diff[use]
    return Comparison(
        ok=not bool(bad.any()),
        max_abs=float(used.max()),
        mean_abs=float(used.mean()),
        median_abs=float(np.median(used)),
        max_rel=float(rel[use].max()),
        mean_rel=float(rel[use].mean()),
        worst_index=tuple(int(i) for i in worst),
        worst_actual=float(a[worst]),
        worst_expected=float(e[worst]),
        needed_scale=float(ratio.max()),
        mismatched=int(bad.sum()),
        compared=n,
    )
