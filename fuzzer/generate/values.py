"""The values graph inputs and constants hold: ordinary values, mixed with special ones.

Uniform values in a small window (DEFAULT_FLOAT_DOMAIN, DEFAULT_INT_DOMAIN) never reach the
edges where kernels and converters break: 0 and -0.0, +-1, the bounds of an op's domain, a
dtype's largest finite values and its smallest normal and subnormal ones, integers with many
significant bits (int64 values past 2**31 that a converter squeezes through int32 or float32),
and repeated values (ties for argmax, sort, unique; one index written many times). So a drawn
tensor is ordinary most of the time, and otherwise mixes in values from a pool of special ones
for its dtype that lie inside its domain (an op's domain is never left: a divisor stays >= 0.5,
an index in its range).

Everything is drawn from one numpy Generator seeded by the Choices sequence (fuzzer.choices
.rng_for), so a (generator version, seed) pair replays the same values. `draw_array` returns how
many elements came from the special mixture, which `gen --check --json` reports as a share.

Whether a special value makes the case unjudgeable (a float32 input at its largest value,
doubled; a cast of 1e30 to int32; an int32 sum that wraps) is decided after the fact by the
ground truth (fuzzer.run.overflow), which then redraws the inputs with fewer special values.
"""
from __future__ import annotations

import math

import numpy as np

from fuzzer.ir import DType, TensorType

#: where graph inputs and weights are drawn when no op asks for a narrower domain
DEFAULT_FLOAT_DOMAIN = (-2.0, 2.0)
DEFAULT_INT_DOMAIN = (-8, 8)
#: the chance that a drawn tensor mixes in special values (scaled by draw_array's `special`)
SPECIAL_TENSOR = 0.35
#: the share of a mixed tensor's elements replaced by special values, drawn per tensor
SPRINKLE = (0.1, 0.3, 1.0)
#: the chance that a mixed tensor is instead filled from 1-3 values only (ties, repeated indices)
REPEAT = 0.3
#: the kinds of special values far from 1 in magnitude: a graph input that overflows on one is
#: redrawn, but a constant stays, and the graph is discarded when every draw overflows
LARGE = ("extreme", "edge", "many_bits")
#: the chance that a mixed constant may hold LARGE values (inputs always may)
CONST_LARGE = 0.1


def default_domain(dtype: DType) -> tuple[float, float]:
    if dtype.is_float:
        return DEFAULT_FLOAT_DOMAIN
    if dtype == DType.uint8:
        return (0, 16)
    return DEFAULT_INT_DOMAIN


def ordinary(rng: np.random.Generator, t: TensorType, domain=None) -> np.ndarray:
    """Values of type t uniform inside domain, intersected with the dtype's default window."""
    if t.dtype == DType.bool:
        return np.asarray(rng.random(t.shape) < 0.5)  # a 0-d compare gives a numpy scalar, not an array
    lo, hi = default_domain(t.dtype)
    if domain is not None:
        lo, hi = max(lo, domain[0]), min(hi, domain[1])
        if not lo < hi:  # the domain lies outside the default window: sample near its edge
            lo, hi = (domain[0], domain[0] + 4) if math.isfinite(domain[0]) else (domain[1] - 4, domain[1])
    if t.dtype.is_float:
        return rng.uniform(lo, hi, size=t.shape).astype(t.dtype.numpy)
    lo_i, hi_i = math.ceil(lo), math.floor(hi)
    if lo_i > hi_i:
        lo_i = hi_i = math.ceil(lo)
    return rng.integers(lo_i, hi_i, endpoint=True, size=t.shape).astype(t.dtype.numpy)


def _finfo(dtype: DType):
    if dtype == DType.bfloat16:
        import ml_dtypes

        return ml_dtypes.finfo(ml_dtypes.bfloat16)
    return np.finfo(dtype.numpy)


def int_range(dtype: DType) -> tuple[int, int]:
    info = np.iinfo(dtype.numpy)
    return int(info.min), int(info.max)


def special_pool(dtype: DType, domain=None) -> dict[str, list]:
    """The special values of dtype inside domain (None: the dtype's whole range), by kind.

    Kinds: "unit" (0, -0.0, +-1), "boundary" (the domain's finite bounds and their inner
    neighbours), "extreme" (the largest finite values, the smallest normal and subnormal ones
    and their neighbours; iinfo min/max and theirs), "edge" (integers where narrower types end:
    +-2**31, 2**24 + 1 and 2**53 + 1, the first integers float32 and float64 cannot hold).
    Many-bit integers are drawn apart (many_bits), being too many to list.
    """
    lo, hi = (-math.inf, math.inf) if domain is None else (float(domain[0]), float(domain[1]))
    kinds: dict[str, list] = {"unit": [], "boundary": [], "extreme": [], "edge": []}
    if dtype == DType.bool:
        return {"unit": [False, True]}
    if dtype.is_float:
        f = _finfo(dtype)
        big, tiny, sub = float(f.max), float(f.tiny), float(f.smallest_subnormal)
        below_big = float(np.nextafter(np.float64(big), 0)) if dtype == DType.float64 else big * (1 - float(f.eps))
        kinds["unit"] = [0.0, -0.0, 1.0, -1.0]
        kinds["extreme"] = [big, -big, below_big, -below_big, tiny, -tiny, sub, -sub, tiny - sub, sub - tiny]
        bounds = []
        if math.isfinite(lo):
            bounds += [lo, lo + abs(lo) * 1e-3 + 1e-3]
        if math.isfinite(hi):
            bounds += [hi, hi - abs(hi) * 1e-3 - 1e-3]
        kinds["boundary"] = bounds
        out = {}
        for kind, vals in kinds.items():
            # the dtype's rounding can move a value out of the domain (0.05 in float16): drop it then
            cast = [float(np.asarray(v, dtype=np.float64).astype(dtype.numpy)) for v in vals]
            out[kind] = [c for c, v in zip(cast, vals) if lo <= c <= hi and math.isfinite(c)
                         and (c != 0 or math.copysign(1, c) == math.copysign(1, v))]
        return out
    dmin, dmax = int_range(dtype)
    ilo = dmin if not math.isfinite(lo) else max(dmin, math.ceil(lo))
    ihi = dmax if not math.isfinite(hi) else min(dmax, math.floor(hi))
    kinds["unit"] = [0, 1, -1]
    kinds["boundary"] = [ilo, ilo + 1, ihi, ihi - 1] if math.isfinite(lo) or math.isfinite(hi) else []
    kinds["extreme"] = [dmin, dmin + 1, dmax, dmax - 1]
    kinds["edge"] = [2**31, 2**31 - 1, -2**31, -2**31 - 1, 2**32, 2**24 + 1, -(2**24 + 1), 2**53 + 1, 2**15, -2**15 - 1]
    return {k: sorted({v for v in vals if ilo <= v <= ihi}) for k, vals in kinds.items()}


def many_bits(rng: np.random.Generator, dtype: DType, lo: int, hi: int, n: int) -> np.ndarray:
    """n integers in [lo, hi] with many significant bits: magnitudes in [2**(b-8), 2**b) for a
    bit count b near the dtype's width (or the domain's), either sign where the domain allows."""
    width = int(np.iinfo(dtype.numpy).bits) - (0 if dtype == DType.uint8 else 1)
    out = np.empty(n, dtype=object)
    for i in range(n):
        b = int(rng.integers(max(1, width - 8), width + 1))
        mag = int(rng.integers(1 << max(0, b - 8), 1 << b, dtype=np.uint64))
        v = -mag if rng.random() < 0.5 else mag
        out[i] = min(max(v, lo), hi)
    return out


def draw_array(rng: np.random.Generator, t: TensorType, domain=None, *, special: float = 1.0,
               large: float = 1.0) -> tuple[np.ndarray, int]:
    """(values of type t inside domain, how many of its elements came from the special mixture).

    special: scales the chance of mixing special values in (0 gives ordinary values only; the
    ground truth lowers it when a draw turns out unjudgeable).
    large: the chance that a mixed tensor may hold LARGE special values (constants: CONST_LARGE).
    """
    base = ordinary(rng, t, domain)
    if special <= 0 or t.numel == 0 or rng.random() >= SPECIAL_TENSOR * special:
        return base, 0
    pool = {k: v for k, v in special_pool(t.dtype, domain).items() if v}
    numeric_int = t.dtype.is_int
    if numeric_int:
        dmin, dmax = int_range(t.dtype)
        lo = dmin if domain is None or not math.isfinite(domain[0]) else max(dmin, math.ceil(domain[0]))
        hi = dmax if domain is None or not math.isfinite(domain[1]) else min(dmax, math.floor(domain[1]))
        if hi - lo >= 1 << 12:  # a range with room for many-bit values (not an index range)
            pool["many_bits"] = []
    if large < 1 and rng.random() >= large:
        pool = {k: v for k, v in pool.items() if k not in LARGE}
    if not pool:
        return base, 0
    flat = base.reshape(-1).copy()
    n = flat.size
    kinds = sorted(pool)

    def pick(count: int) -> np.ndarray:
        picked = []
        for _ in range(count):
            kind = kinds[int(rng.integers(len(kinds)))]
            if kind == "many_bits":
                picked.append(many_bits(rng, t.dtype, lo, hi, 1)[0])
            else:
                vals = pool[kind]
                picked.append(vals[int(rng.integers(len(vals)))])
        return np.asarray(picked, dtype=object)

    if rng.random() < REPEAT or t.dtype == DType.bool:
        # a handful of values, repeated: ordinary ones and special ones alike
        k = int(rng.integers(1, 4))
        choices = np.concatenate([flat[:1].astype(object), pick(k)]) if n else pick(k)
        idx = rng.integers(0, len(choices), size=n)
        values = choices[idx]
        mask = idx > 0
        # keep the base's elements where the ordinary value was picked
    else:
        mask = rng.random(n) < SPRINKLE[int(rng.integers(len(SPRINKLE)))]
        values = np.empty(n, dtype=object)
        values[mask] = pick(int(mask.sum())) if mask.any() else values[mask]
        values[~mask] = flat[~mask].astype(object)
    out = _as_dtype(values, t.dtype).reshape(t.shape)
    return out, int(mask.sum())


def _as_dtype(values: np.ndarray, dtype: DType) -> np.ndarray:
    """An object array of exact values as dtype: Python ints stay exact (int64 beyond 2**53),
    floats keep their sign of zero."""
    if dtype.is_int:
        return np.array([int(v) for v in values], dtype=dtype.numpy)
    if dtype == DType.bool:
        return np.array([bool(v) for v in values], dtype=bool)
    return np.array([float(v) for v in values], dtype=np.float64).astype(dtype.numpy)
