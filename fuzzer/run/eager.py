"""torch eager as the reference: the float64 ground truth and the float32 run.

Not a plugin: every case needs it, and it runs the IR graph directly, not an
ONNX model. It also measures the graph's sensitivity (how far the truth moves
under a tiny relative perturbation of inputs and weights), which the oracles
turn into per-element tolerances.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from fuzzer.choices import Choices, rng_for
from fuzzer.errors import OnnxfuzzError
from fuzzer.generate import draw_inputs
from fuzzer.ir import Graph
from fuzzer.materialize import build_module, torch_inputs
from fuzzer.run.overflow import unjudgeable
from oracles import Reference, sensitivity_delta

INPUT_DRAWS = 4
#: per input draw, how strongly it mixes special values in (fuzzer.generate.values): a draw the
#: overflow guard finds unjudgeable is followed by tamer ones, the last ordinary values only
SPECIAL_BY_DRAW = (1.0, 1.0, 0.5, 0.0)


class SpecBug(OnnxfuzzError):
    """An op spec inferred a type torch does not produce: a bug in onnxfuzz, not in a converter."""


def to_numpy(t) -> np.ndarray:
    import torch

    if t.dtype == torch.bfloat16:
        return t.float().numpy().astype(np.float64)
    return t.detach().numpy()


def _healthy(graph: Graph, values: dict, m64) -> bool:
    """Is the traced truth judgeable? (fuzzer.run.overflow: finite, no overflow of any op's dtype)"""
    consts = {n.outputs[0].name: getattr(m64, n.outputs[0].name) for n in graph.consts}
    return unjudgeable(graph, values, consts) is None


def reference(
    graph: Graph, choices: Choices, given: dict[str, np.ndarray] | None = None, *, special: bool = True
) -> tuple[Reference, dict[str, np.ndarray]] | None:
    """The ground truth for graph on inputs drawn from choices, or None when no draw
    gives a finite, overflow-free float64 evaluation (the case is then discarded).

    given: inputs to use first, each one whose name and type still fit the graph
    (the minimizer keeps a failing case's values while it shrinks the graph).
    special: mix special values into the inputs (SPECIAL_BY_DRAW); False for ordinary ones only.
    """
    import torch

    m64 = build_module(graph, truth=True)
    m32 = build_module(graph)
    fallback = None  # an unstable draw holding special values: used when no tamer draw is stable
    with torch.no_grad():
        for attempt in range(INPUT_DRAWS):
            tally: Counter = Counter()
            inputs = draw_inputs(graph, choices, special=SPECIAL_BY_DRAW[attempt] if special else 0.0, tally=tally)
            if given and attempt == 0:
                tally.clear()  # the minimizer's values are kept, stable or not
                for v in graph.inputs:
                    a = given.get(v.name)
                    if a is not None and a.dtype == v.type.dtype.numpy and a.shape == v.type.shape:
                        inputs[v.name] = a
            args64 = torch_inputs(graph, inputs, truth=True)
            try:
                values = m64.trace(*args64)
            except RuntimeError as e:
                # an integer divisor that reached 0 (a guard's `abs(x) + 1` wraps in uint8 at 255):
                # outside the op's domain, like an overflow, so this draw is unusable
                if "ZeroDivisionError" not in str(e):
                    raise
                continue
            if not _healthy(graph, values, m64):
                continue
            truth = [to_numpy(values[v.name]) for v in graph.outputs]
            eager32 = list(m32(*torch_inputs(graph, inputs)))
            _check_types(graph, eager32)
            delta = sensitivity_delta({v.type.dtype.value for v in graph.values()})
            jump = _sensitivity(m64, args64, truth, rng_for(choices), delta)
            inner = _inner_sensitivity(m64, args64, truth, delta)
            ops = [sorted({n.op_type for n in graph.ancestors(v) if n.is_op}) for v in graph.outputs]
            ref = Reference(
                truth=truth,
                eager32=[to_numpy(t) for t in eager32],
                jump=jump,
                inner_jump=inner,
                dtypes=[v.type.dtype.value for v in graph.outputs],
                ops=ops,
                delta=delta,
                peak=_peak(values, m64),
                int64_peak=_int64_peak(values, m64),
                remeasure=_remeasure(m64, args64, truth),
            )
            if tally["special"] and attempt < INPUT_DRAWS - 1 and not ref.stability()[0]:
                # special values that leave the graph's own float32 result off its truth give no
                # numeric verdict: a tamer draw may, and this one stays as the fallback
                fallback = fallback or (ref, inputs)
                continue
            return ref, inputs
    return fallback


def _remeasure(m64, args64, truth):
    """The truth's sensitivity at another perturbation, measured when a path that lowers the
    model's precision is judged (Reference.remeasure); its random signs come from a fixed seed, so
    every process that judges the case measures the same."""
    def at(delta: float) -> tuple[list, list]:
        import torch

        with torch.no_grad():
            return (_sensitivity(m64, args64, truth, np.random.default_rng(0), delta),
                    _inner_sensitivity(m64, args64, truth, delta))
    return at


def types_hold(graph: Graph, choices: Choices, module=None) -> bool:
    """Does torch eager on graph, at its declared input shapes, give every value exactly
    the type its op spec inferred? The dynamic-shape planner asks this of a graph
    re-typed at another size: an op whose attributes tie it to the base size either
    raises here or computes a different shape than inferred.

    module: the module of this graph at another size, when the caller has one: a torch
    lowering sees attributes and operands, never shapes, so the source is the same.
    """
    import torch

    try:
        if module is None:
            module = build_module(graph)
        with torch.no_grad():
            values = module.trace(*torch_inputs(graph, draw_inputs(graph, choices, special=0.0)))
    except Exception:  # any torch error at this size means the dim is not free to vary
        return False
    for v in graph.values():
        t = values.get(v.name)
        if isinstance(t, torch.Tensor):
            if (str(t.dtype).removeprefix("torch."), tuple(t.shape)) != (v.type.dtype.value, v.type.shape):
                return False
    return True


def _peak(values: dict, m64) -> float:
    """The largest |value| among the truth's float inputs, weights and intermediates."""
    import torch

    tensors = [*values.values(), *m64.buffers()]
    return max([float(t.abs().max()) for t in tensors
                if isinstance(t, torch.Tensor) and t.is_floating_point() and t.numel()] + [0.0])


def _int64_peak(values: dict, m64) -> int:
    """The largest |value| among the truth's int64 inputs, weights and intermediates."""
    import torch

    tensors = [*values.values(), *m64.buffers()]
    return max([max(abs(int(t.max())), abs(int(t.min()))) for t in tensors
                if isinstance(t, torch.Tensor) and t.dtype == torch.int64 and t.numel()] + [0])


def _check_types(graph: Graph, outputs) -> None:
    for v, t in zip(graph.outputs, outputs):
        got = (str(t.dtype).removeprefix("torch."), tuple(t.shape))
        want = (v.type.dtype.value, v.type.shape)
        if got != want:
            raise SpecBug(f"{v.producer().op_type}: torch gives {got}, spec inferred {want}")


def _sensitivity(m64, args64, truth, rng: np.random.Generator, delta: float,
                 patterns: tuple[str, ...] = ("random", "up", "down")) -> list[np.ndarray]:
    """Elementwise max |truth(x * (1 +- delta)) - truth(x)| over a few perturbation patterns.

    "random": a random sign per element. "up" and "down": a factor rising (falling) with each
    element's position in its tensor, so two equal elements of one tensor (repeated values) are
    pulled apart one way in one round and the other way in the next: an argmax, a max-pool index
    or a sort that breaks their tie flips in one of them and is found unstable, which random
    signs miss whenever both rounds happen to favour the same element.
    """
    import torch

    jump = [np.zeros(np.shape(t)) for t in truth]
    buffers = [b for b in m64.buffers() if b.is_floating_point()]
    saved = [b.clone() for b in buffers]

    def wiggle(t, pattern):
        if pattern == "random":
            return t * (1 + delta * torch.from_numpy(rng.choice([-1.0, 1.0], size=tuple(t.shape))))
        return _ramped(t, pattern, delta)

    try:
        for pattern in patterns:
            for b, s in zip(buffers, saved):
                b.copy_(wiggle(s, pattern))
            args = tuple(wiggle(a, pattern) if a.is_floating_point() else a for a in args64)
            _widen(jump, m64(*args), truth)
    finally:
        for b, s in zip(buffers, saved):
            b.copy_(s)
    return jump


def _inner_sensitivity(m64, args64, truth, delta: float) -> list[np.ndarray]:
    """Elementwise max |truth - truth with every computing op's float result, and a multi-step
    op's operands (fuzzer.materialize.exactness), scaled by (1 +- delta)|, the factor ramping with
    each element's position one way and then the other, then with a random sign per element (two
    results of one shape that cancel ramp alike and would not show it).

    A runtime rounds at every op, not only at its inputs. Two elements that are equal because
    they are computed alike from equal data (two rows of x @ ones, reduced) stay equal however the
    inputs move, yet a kernel that sums one row in another order than the next leaves them an ulp
    apart, and a TopK or ArgMax after them may rightly pick either (review 9's b1c233): only
    nudging the op's result itself shows that tie. The same nudges measure how far each op's own
    rounding carries to the output, which the oracle's tolerance allows for: x - mean(x) of three
    equal float16 values is 0 in the truth, and a runtime whose mean is an ulp off returns that ulp
    for every element (camp40's 0b3781, filed against the reference evaluator)."""
    import torch

    jump = [np.zeros(np.shape(t)) for t in truth]

    def nudge(pattern):
        def w(t):
            if not isinstance(t, torch.Tensor) or not t.is_floating_point() or bool((t == t.round()).all()):
                # whole numbers (a Floor's, or sums of them) are exact on every runtime: moving
                # them would flip every Cast after a Floor and hide the Cast's own defects
                return t
            if pattern == "random":
                return t * (1 + delta * torch.from_numpy(signs.choice([-1.0, 1.0], size=tuple(t.shape))).to(t.dtype))
            return _ramped(t, pattern, delta)
        return w

    # a fixed seed: the truth of one case is the same in every process that computes it
    signs = np.random.default_rng(0)
    for pattern in ("up", "down", "random"):
        try:
            outs = m64.wiggled(nudge(pattern), *args64)
        except (NameError, AttributeError):
            raise  # the rendered source is wrong (an operand renamed for its nudge): onnxfuzz's defect
        except Exception:  # noqa: BLE001 - a nudged value an op refuses: that op's domain edge, not a tie
            continue
        _widen(jump, outs, truth)
    return jump


def _ramped(t, pattern: str, delta: float):
    """t scaled by a factor rising ("up") or falling ("down") with each element's position, from
    1 - delta to 1 + delta."""
    import torch

    n = t.numel()
    if n == 1:
        # a lone value (a mean, a norm) moves the same way in both rounds: a ramp's middle would
        # leave it still, and against a ramp it differs from one end in each round
        return t * (1 + delta)
    ramp = torch.linspace(-1.0, 1.0, n, dtype=t.dtype)
    return t * (1 + delta * (ramp if pattern == "up" else -ramp).reshape(t.shape))


def _widen(jump: list[np.ndarray], outs, truth) -> None:
    """jump[i] = max(jump[i], |outs[i] - truth[i]|), elementwise; a non-finite difference is inf."""
    for i, (o, t) in enumerate(zip(outs, truth)):
        d = np.abs(to_numpy(o).astype(np.float64) - np.asarray(t, dtype=np.float64))
        jump[i] = np.maximum(jump[i], np.where(np.isfinite(d), d, np.inf))
