"""The one source of randomness.

Every decision the generator, the op specs and input generation make goes
through a Choices object. Campaigns use a seeded numpy Generator, so a
(generator version, seed) pair replays a test case exactly. Property tests use
Hypothesis's `data.draw`, so Hypothesis shrinks a failing graph by shrinking
its choice sequence, and every shrunk sequence still builds a valid graph
(choices are always clamped into range, never filtered).
"""
from __future__ import annotations

from typing import Protocol, Sequence, TypeVar, runtime_checkable

import numpy as np

T = TypeVar("T")


@runtime_checkable
class Choices(Protocol):
    def integer(self, lo: int, hi: int) -> int:
        """An int in [lo, hi], both ends included; shrinks towards lo."""

    def boolean(self, p: float = 0.5) -> bool:
        """True with probability about p; shrinks towards False."""

    def choice(self, options: Sequence[T]) -> T:
        """One of options; shrinks towards the first."""

    def real(self, lo: float, hi: float) -> float:
        """A float in [lo, hi]."""

    def array_seed(self) -> int:
        """A seed for bulk data (weights, inputs); drawing each element separately would be slow."""


class NumpyChoices:
    """Choices from a seeded numpy Generator: what campaigns use."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._rng = np.random.default_rng(self.seed)

    def integer(self, lo: int, hi: int) -> int:
        if hi < lo:
            raise ValueError(f"empty range [{lo}, {hi}]")
        return int(self._rng.integers(lo, hi, endpoint=True))

    def boolean(self, p: float = 0.5) -> bool:
        return bool(self._rng.random() < p)

    def choice(self, options: Sequence[T]) -> T:
        if not options:
            raise ValueError("choice from an empty sequence")
        return options[int(self._rng.integers(0, len(options)))]

    def real(self, lo: float, hi: float) -> float:
        return float(self._rng.uniform(lo, hi))

    def array_seed(self) -> int:
        return int(self._rng.integers(0, 2**31 - 1))


class HypothesisChoices:
    """Choices drawn from a Hypothesis `data` object (st.data())."""

    def __init__(self, data) -> None:
        from hypothesis import strategies as st

        self._data = data
        self._st = st

    def integer(self, lo: int, hi: int) -> int:
        if hi < lo:
            raise ValueError(f"empty range [{lo}, {hi}]")
        return self._data.draw(self._st.integers(lo, hi))

    def boolean(self, p: float = 0.5) -> bool:
        # Hypothesis has no biased booleans in its public API; a small integer
        # draw keeps the bias and still shrinks towards 0 (False).
        return self._data.draw(self._st.integers(0, 99)) >= round(100 * (1 - p))

    def choice(self, options: Sequence[T]) -> T:
        if not options:
            raise ValueError("choice from an empty sequence")
        return options[self._data.draw(self._st.integers(0, len(options) - 1))]

    def real(self, lo: float, hi: float) -> float:
        return self._data.draw(self._st.floats(lo, hi, allow_nan=False, allow_infinity=False))

    def array_seed(self) -> int:
        return self._data.draw(self._st.integers(0, 2**31 - 1))


def rng_for(choices: Choices) -> np.random.Generator:
    """A numpy Generator for bulk data, seeded from the choice sequence."""
    return np.random.default_rng(choices.array_seed())
