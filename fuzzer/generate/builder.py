"""The generator's handle on a graph under construction.

Op specs call back into the Builder to draw further operands (reusing an
existing value, or adding a graph input or a weight), to keep a value inside
their input domain, and to draw attributes through `choices`. A failed
`build` is rolled back with `transaction()`, so a rejected op leaves no trace.
"""
from __future__ import annotations

import contextlib
import math
import numpy as np

from fuzzer.choices import Choices, rng_for
from fuzzer.errors import Rejected
from fuzzer.ir import CONST, INPUT, DType, Graph, TensorType, Value
from fuzzer.ops import get_spec
from fuzzer.ops.contexts import DrawConfig

#: where graph inputs and weights are drawn when no op asks for a narrower domain
DEFAULT_FLOAT_DOMAIN = (-2.0, 2.0)
DEFAULT_INT_DOMAIN = (-8, 8)


class Builder:
    """fuzzer.ops.DrawContext over a Graph: what a spec draws its operands through."""

    def __init__(self, graph: Graph, choices: Choices, config: DrawConfig) -> None:
        self.graph = graph
        self.choices = choices
        self.config = config

    # -- operands -----------------------------------------------------------
    def operand(
        self,
        t: TensorType,
        *,
        weight: bool = False,
        reuse: float = 0.4,
        domain: tuple[float, float] | None = None,
    ) -> Value:
        """A value of exactly type t: an existing one, a new graph input, or a weight.

        Args:
            t: the type wanted.
            weight: a learned parameter (conv weight, bias): always a constant.
            reuse: the chance to reuse an existing value of type t when there is one.
            domain: (lo, hi) the values must lie in (a divisor, a log argument).
        """
        if weight:
            return self.const(t, domain)
        same = [v for v in self.graph.values() if v.type == t and v.producer().op_type != CONST]
        if same and self.choices.boolean(reuse):
            v = self.choices.choice(same)
            return v if domain is None else self.guard(v, domain)
        if self.choices.boolean(0.5) and len(self.graph.inputs) < self.config.max_inputs:
            return self.new_input(t, domain)
        return self.const(t, domain)

    def new_input(self, t: TensorType, domain=None) -> Value:
        return self.graph.add_input(t, domain=domain)

    def const(self, t: TensorType, domain: tuple[float, float] | None = None) -> Value:
        rng = rng_for(self.choices)
        return self.graph.add_const(sample_array(rng, t, domain), t.dtype)

    def int_const(self, values, dtype: DType = DType.int64) -> Value:
        return self.graph.add_const(np.asarray(values, dtype=dtype.numpy), dtype)

    # -- domains ------------------------------------------------------------
    def guard(self, x: Value, domain: tuple[float, float]) -> Value:
        """x itself if it can be kept inside domain, else x mapped into it by inserted ops.

        A graph input just narrows the interval its values are drawn from. Any
        other value passes through abs/add (half-open domains) or tanh/mul/add
        (bounded ones): common real-world patterns, and valid for every input.
        """
        lo, hi = float(domain[0]), float(domain[1])
        node = x.producer()
        if node.op_type == INPUT:
            cur = self.graph.domain(x) or _default_domain(x.type.dtype)
            new = (max(cur[0], lo), min(cur[1], hi))
            if new[0] < new[1]:
                self.graph.set_domain(x, new)
                return x
        if x.type.dtype == DType.bool:
            raise Rejected("bool value cannot be guarded into a numeric domain")
        if math.isfinite(lo) and math.isfinite(hi):
            if not x.type.dtype.is_float:
                raise Rejected("bounded domain on an integer value")
            y = self.apply(get_spec("tanh"), x)
            half, mid = (hi - lo) / 2 * 0.999, (hi + lo) / 2
            y = self.graph.add_node("mul", [y, self.scalar(half, y.type)], {}, [y.type]).outputs[0]
            return self.graph.add_node("add", [y, self.scalar(mid, y.type)], {}, [y.type]).outputs[0]
        if math.isfinite(lo) and lo >= 0:
            y = self.apply(get_spec("abs"), x)
            shift = lo + (1 if x.type.dtype.is_int else 0.1)
            return self.graph.add_node("add", [y, self.scalar(shift, y.type)], {}, [y.type]).outputs[0]
        raise Rejected(f"no guard for domain {domain}")

    def scalar(self, value: float, like: TensorType) -> Value:
        """A rank-0 constant of like's dtype."""
        return self.graph.add_const(np.asarray(value, dtype=like.dtype.numpy), like.dtype)

    def apply(self, spec, x: Value) -> Value:
        return spec.build(self, x).outputs[0]

    # -- rollback -------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self):
        """Undo every node and domain change made inside the block if it raises Rejected."""
        g = self.graph
        first_new = g._next_id
        domains = {v.node_id: g.domain(v) for v in g.inputs}
        try:
            yield
        except Rejected:
            for nid in [n for n in g.nx.nodes if n >= first_new]:
                g.nx.remove_node(nid)
            g._next_id = first_new
            for nid, dom in domains.items():
                g.nx.nodes[nid]["domain"] = dom
            raise


def _default_domain(dtype: DType) -> tuple[float, float]:
    if dtype.is_float:
        return DEFAULT_FLOAT_DOMAIN
    if dtype == DType.uint8:
        return (0, 16)
    return DEFAULT_INT_DOMAIN


def sample_array(rng: np.random.Generator, t: TensorType, domain=None) -> np.ndarray:
    """Values of type t inside domain (or the dtype's default domain)."""
    if t.dtype == DType.bool:
        return np.asarray(rng.random(t.shape) < 0.5)  # a 0-d compare gives a numpy scalar, not an array
    lo, hi = _default_domain(t.dtype)
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
