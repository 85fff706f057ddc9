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
from fuzzer.generate.values import (CONST_LARGE, DEFAULT_FLOAT_DOMAIN, DEFAULT_INT_DOMAIN,
                                     default_domain as _default_domain, draw_array)
from fuzzer.generate.values import ordinary as sample_array

#: the node attribute where a drawn constant records how many of its elements are special values
#: (fuzzer.generate.values); not part of the graph's JSON, only `gen --check` reads it
SPECIAL_COUNT = "special_count"


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
        """A constant of type t holding drawn values: ordinary ones mixed with special ones."""
        rng = rng_for(self.choices)
        values, special = draw_array(rng, t, domain, large=CONST_LARGE)
        v = self.graph.add_const(values, t.dtype)
        self.graph.nx.nodes[v.node_id][SPECIAL_COUNT] = special
        return v

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


__all__ = ["Builder", "DEFAULT_FLOAT_DOMAIN", "DEFAULT_INT_DOMAIN", "SPECIAL_COUNT", "sample_array"]
