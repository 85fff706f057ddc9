"""Judging one model's outputs against the float64 ground truth.

Measured on NNSmith-style campaigns, naive tolerances drown users in false
alarms: rounding amplified by ill-conditioned ops (tan of large values,
floor/round/casts near integer boundaries, argmax near ties, comparisons near
equality). So the tolerance here reflects the graph's own sensitivity, per
element:

    tol = rtol(dtype) * (|truth| + 0.1 * scale)         dtype-aware base
        + 2 * |eager32 - truth|                         the graph's observed rounding error
        + jump * 50 * eps(dtype) / delta                rounding of ~50 ops, linearized
        + inner * 2 * eps(dtype) / delta                the ops' own rounding, carried to the output

where `jump` is how far the float64 truth moves when inputs and weights are
perturbed by a relative `delta`, and `inner` how far it moves when every
computing op's result, and a multi-step op's operands, are (a subtraction that
cancels two rounded values leaves their rounding, not 0). Elements whose response to that perturbation is
super-linear (a floor flipping, an argmax tie breaking) are not judged at all,
and neither are integer or bool elements that flip, under that perturbation or
under one of every op's result (a tie between values computed alike, which no
input moves). A case whose own float32 result misses the truth by more than the
base tolerance is unstable
and yields no numeric verdicts. A path that lowers the model's precision (the float16
converter) is judged as a model of that precision: `jump` and `inner` measured again with
`delta` half an ulp of it, since every value on that path rounds by that much.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from oracles.compare import Comparison, compare
from oracles.verdict import CRASH_AT, Kind, Stage, Verdict

#: the relative perturbation used to measure sensitivity, in graphs computed in float32 or wider
DELTA = 1e-6

# "int8" is the precision of a dynamically quantized model: only gross errors count.
_EPS = {"float16": 9.77e-4, "bfloat16": 7.81e-3, "float32": 1.19e-7, "float64": 2.22e-16, "int8": 7.8e-3}
# float64 no tighter than 1e-6: ONNX float attributes (alpha, beta...) are float32 even in float64 graphs
_RTOL = {"float16": 1e-2, "bfloat16": 6e-2, "float32": 1e-4, "float64": 1e-6, "int8": 0.25}
#: a response this many times steeper than linear marks an element unstable
_STEEP = 1e4
#: the largest magnitude a precision-lowering path can be judged on: onnxconverter-common's
#: float16 conversion clamps weights to +-1e4 (its max_finite_val), and float16 holds nothing
#: beyond 65504, so a case whose float values reach further is not a float16 model's to get right
_PRECISION_RANGE = {"float16": 1e4}


def sensitivity_delta(dtypes) -> float:
    """The perturbation for a graph whose values have these dtypes: DELTA, or half an ulp of
    its least precise float dtype. A float16 value rounds by up to that much on every
    runtime; a step (floor, a compare, a cast to int) that close to flipping must be
    found unstable, and a 1e-6 nudge would not reach it."""
    halves = [_EPS[d] / 2 for d in map(str, dtypes) if d in ("float16", "bfloat16")]
    return max([DELTA, *halves])


@dataclass
class Reference:
    """The ground truth of one case, and what is known about its stability."""

    truth: list[np.ndarray]  # float64 (floats) or exact (ints, bools)
    eager32: list[np.ndarray]  # the graph as specified, torch eager
    jump: list[np.ndarray]  # float64 |truth(perturbed) - truth|, elementwise max
    dtypes: list[str]  # declared output dtypes
    ops: list[list[str]] = field(default_factory=list)  # per output: the ops it depends on
    delta: float = DELTA  # the relative perturbation `jump` was measured with (sensitivity_delta)
    #: float64 |truth - truth with every computing op's result (and a multi-step op's operands)
    #: perturbed by `delta`|: it marks elements unstable (a tie inside the graph that no input
    #: moves) and carries each op's own rounding into the tolerance. Empty: not measured
    inner_jump: list[np.ndarray] = field(default_factory=list)
    #: the largest |value| of any float input, weight or intermediate of the truth (0: not measured)
    peak: float = 0.0
    #: the largest |value| of any int64 input, weight or intermediate of the truth (0: not measured)
    int64_peak: int = 0
    #: (jump, inner_jump) measured again at another relative perturbation, for judging a path that
    #: lowers the model's precision (sensitivity_delta of that precision); None where the truth's
    #: module is not at hand (a reference read back, or computed from a user's model). Not pickled
    remeasure: Callable[[float], tuple[list, list]] | None = field(default=None, repr=False, compare=False)
    # One case is judged once per (path, runtime): its tolerances and stability are computed once.
    _tolerances: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _stability: tuple[bool, str] | None = field(default=None, init=False, repr=False, compare=False)
    _remeasured: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["remeasure"], state["_remeasured"] = None, {}  # a closure over torch modules
        return state

    def _measured_at(self, delta: float) -> tuple[list, list, float]:
        """(jump, inner_jump, the delta they were measured with) for judging a path that computes
        with values rounded by up to delta: measured again when delta is coarser than the truth's
        own (remeasure), else the truth's. A path that lowers a float32 model to float16 rounds
        every value by up to half a float16 ulp: an element that close to a step (a QuantizeLinear
        rounding 3.4987 where the float16 model sees 3.5003, review 26's two false alarms) moves by
        a step under that perturbation, which the 1e-6 one the float32 graph was measured with
        does not show."""
        if self.remeasure is None or delta <= self.delta:
            return self.jump, self.inner_jump, self.delta
        if delta not in self._remeasured:
            self._remeasured[delta] = self.remeasure(delta)
        return (*self._remeasured[delta], delta)

    def tolerance(self, i: int, *, with_eager: bool = True, precision: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(tol, mask) for output i; mask is False where the element is not judged.

        precision: judge float outputs as if computed in this dtype ("float16", "int8"),
        for transformers that lower a model's precision on purpose.
        """
        key = (i, with_eager, precision)
        if key not in self._tolerances:
            self._tolerances[key] = self._tolerance(i, with_eager, precision)
        return self._tolerances[key]

    def _tolerance(self, i: int, with_eager: bool, precision: str | None) -> tuple[np.ndarray, np.ndarray]:
        t = np.asarray(self.truth[i], dtype=np.float64)
        e32 = np.asarray(self.eager32[i], dtype=np.float64)
        dtype = self.dtypes[i]
        jumps, inners, delta = self.jump, self.inner_jump, self.delta
        if precision is not None and dtype in _EPS and _EPS[precision] > _EPS[dtype]:
            dtype = precision
            jumps, inners, delta = self._measured_at(sensitivity_delta([precision]))
        jump = np.asarray(jumps[i], dtype=np.float64)
        inner = np.asarray(inners[i], dtype=np.float64) if i < len(inners) else np.zeros(t.shape)
        if dtype not in _EPS:  # ints and bools: exact, unless the value flips under perturbation
            mask = (jump == 0) & (inner == 0) & (e32 == t)
            return np.zeros(t.shape), mask
        scale = float(np.mean(np.abs(t))) if t.size else 1.0
        scale = max(scale, 1e-3)
        # quantization error scales with the tensor's range, not each element
        base = _RTOL[dtype] * (np.abs(t) + (1.0 if dtype == "int8" else 0.1) * scale)
        mask = np.maximum(jump, inner) <= delta * _STEEP * (np.abs(t) + scale)
        # `inner` is how far the output moves when every computing op's result, and a multi-step
        # op's operands, move by up to delta: two ulps per nudged value cover a kernel that rounds
        # at a few steps inside (a deviation's mean, then its square root), cancellation included
        tol = base + jump * 50 * _EPS[dtype] / delta + inner * 2 * _EPS[dtype] / delta
        if with_eager:
            diff = np.abs(e32 - t)
            tol = tol + 2 * np.where(np.isfinite(diff), diff, 0.0)
        return tol, mask

    def stability(self) -> tuple[bool, str]:
        """Does the graph's own float32 result agree with its float64 truth? (ok, why not)"""
        if self._stability is None:
            self._stability = self._check_stability()
        return self._stability

    def _check_stability(self) -> tuple[bool, str]:
        for i, (t, e) in enumerate(zip(self.truth, self.eager32)):
            if self.dtypes[i] not in _EPS:
                continue  # int/bool flips are masked per element instead
            tol, mask = self.tolerance(i, with_eager=False)
            if not np.isfinite(np.asarray(e, dtype=np.float64)[mask]).all():
                return False, f"output {i}: float32 eager overflows where float64 is finite"
            c = compare(e, t, tol, mask)
            if not c.ok:
                return False, f"output {i}: float32 eager vs float64: {c.summary()}"
        judged = sum(int(self.tolerance(i)[1].sum()) for i in range(len(self.truth)))
        if judged == 0:
            return False, "every output element is ill-conditioned"
        return True, ""


def judge_outputs(
    ref: Reference, outputs: list[np.ndarray], path: str, runtime: str, seconds: float = 0.0, precision: str | None = None
) -> Verdict:
    """The verdict on one runtime's outputs for one converted model.

    precision: see Reference.tolerance; the transformers on the path that lower precision set it.
    """

    def verdict(kind, error="", ops=(), stats=None):
        return Verdict(kind, Stage.JUDGE, path, runtime, list(ops), error, stats or {}, seconds)

    if len(outputs) != len(ref.truth):
        return verdict(Kind.SHAPE_MISMATCH, f"{len(outputs)} outputs, expected {len(ref.truth)}", sorted({o for ops in ref.ops for o in ops}))
    for i, (out, t) in enumerate(zip(outputs, ref.truth)):
        out = np.asarray(out)
        ops = ref.ops[i] if i < len(ref.ops) else []
        if tuple(out.shape) != tuple(np.shape(t)):
            return verdict(Kind.SHAPE_MISMATCH, f"output {i}: shape {list(out.shape)}, expected {list(np.shape(t))}", ops)
        if out.dtype.name != ref.dtypes[i]:
            return verdict(Kind.DTYPE_MISMATCH, f"output {i}: dtype {out.dtype.name}, expected {ref.dtypes[i]}", ops)
    stable, why = ref.stability()
    limit = _PRECISION_RANGE.get(precision or "")
    if limit is not None and ref.peak > limit:
        return verdict(Kind.UNSTABLE, f"values up to {ref.peak:.3g} are beyond what a {precision} model holds ({limit:g})")
    for i, (out, t) in enumerate(zip(outputs, ref.truth)):
        ops = ref.ops[i] if i < len(ref.ops) else []
        tol, mask = ref.tolerance(i, precision=precision)
        a = np.asarray(out, dtype=np.float64)
        nonfinite = ~np.isfinite(a) & mask
        if nonfinite.any():
            if not stable:
                return verdict(Kind.UNSTABLE, why)
            idx = tuple(int(j) for j in np.argwhere(nonfinite)[0])
            return verdict(Kind.NAN_INF, f"output {i}: {a[idx]} at {list(idx)} where the truth is {float(np.asarray(t, np.float64)[idx]):.6g}", ops)
        c: Comparison = compare(a, t, tol, mask)
        if not c.ok:
            if not stable:
                return verdict(Kind.UNSTABLE, why)
            return verdict(Kind.VALUE_MISMATCH, f"output {i}: {c.summary()}", ops, {"output": i, **c.to_json()})
    return verdict(Kind.PASS)


def judge_error(stage: Stage, error: BaseException | str, unsupported: bool, path: str, runtime: str, known_ops=(), seconds: float = 0.0) -> Verdict:
    """The verdict on a system under test raising at `stage`."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    if unsupported:
        return Verdict(Kind.UNSUPPORTED, stage, path, runtime, [], text[:2000], {}, seconds)
    ops = [op for op in known_ops if op and op in text]
    return Verdict(CRASH_AT[stage], stage, path, runtime, ops, text[:4000], {}, seconds)
