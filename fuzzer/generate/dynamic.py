"""Which input dims of a generated graph may be exported as dynamic, and at what other sizes.

A graph is generated at one concrete size. To test dynamic shapes, a case
exports some input dims symbolically and runs the model again at other
sizes. That is only sound where the graph *means* the same thing at the other
size: an op whose attributes hard-code a shape (a reshape to (2, 12), a
constant added elementwise, a weight whose width is the input's width) ties
the dim to its base size. Rather than teach every op spec about symbols, the
planner re-types the graph at the other size, asking each spec's `infer`
again with its attributes and constants unchanged. A dim stays dynamic only
when that succeeds, every value stays within MAX_NUMEL, and (the caller's
`check`, `fuzzer.run.eager.types_hold`) torch eager on the re-typed graph
gives exactly the inferred types: some specs' infer does not look at every
operand (conv's at the weight's channels), torch does.

Dims of size 1 in the base graph are never made dynamic: a size-1 dim usually
broadcasts, and torch.export specializes 0/1 sizes anyway. Size 1 is often an
*alternative* size, though, since broadcasting of a dim that becomes 1 at run
time is where runtimes and optimizers go wrong.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from fuzzer.choices import Choices
from fuzzer.ir import CONST, INPUT, Graph, TensorType
from fuzzer.ops import MAX_NUMEL, get_spec

#: at most this many distinct symbols per case
MAX_SYMBOLS = 2
#: re-typings tried per case before giving up: keeps planning cheap on the hot path
MAX_TRIES = 8


@dataclass
class DynamicPlan:
    """Symbolic dims of a graph's inputs and the concrete sizes to run them at.

    dims: {input name: {axis: symbol}}; one symbol may name dims of several inputs
      (they must then be equal at every size).
    base: {symbol: size in the generated graph}.
    sizes: one {symbol: size} per alternative run, never equal to base.
    graphs: the graph re-typed at each of `sizes` (not serialized; rebuilt by `retype`).
    """

    dims: dict[str, dict[int, str]]
    base: dict[str, int]
    sizes: list[dict[str, int]]
    graphs: list[Graph] = field(default_factory=list, repr=False, compare=False)

    def to_json(self) -> dict:
        return {
            "dims": {name: {str(ax): sym for ax, sym in axes.items()} for name, axes in self.dims.items()},
            "base": dict(self.base),
            "sizes": [dict(s) for s in self.sizes],
        }

    @classmethod
    def from_json(cls, data: dict) -> "DynamicPlan":
        """The plan stored by to_json (its graphs are not included: see `replay`).

        Raises:
            ValueError: data is not a stored plan.
        """
        try:
            dims = {str(n): {int(ax): str(s) for ax, s in axes.items()} for n, axes in data["dims"].items()}
            base = {str(s): int(n) for s, n in data["base"].items()}
            sizes = [{str(s): int(n) for s, n in size.items()} for size in data["sizes"]]
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            raise ValueError(f"not a dynamic-shape plan: {data!r:.200} ({e})") from None
        return cls(dims, base, sizes)

    def shapes_at(self, graph: Graph, size: dict[str, int]) -> dict[str, tuple[int, ...]]:
        """Each dynamic input's shape at `size`."""
        out = {}
        for v in graph.inputs:
            axes = self.dims.get(v.name)
            if axes:
                out[v.name] = tuple(size.get(axes[i], d) if i in axes else d for i, d in enumerate(v.type.shape))
        return out

    def describe(self, size: dict[str, int]) -> str:
        """A size in words for a verdict: "x0[0]=1, x2[0]=1"."""
        parts = [f"{name}[{ax}]={size[sym]}" for name, axes in sorted(self.dims.items()) for ax, sym in sorted(axes.items())]
        return ", ".join(parts)


def retype(graph: Graph, shapes: dict[str, tuple[int, ...]]) -> Graph | None:
    """graph with the named inputs given new shapes and every op's types inferred again;
    None when an op rejects them or a value would leave the size limits."""
    # types first, the copy only for a size that works: most candidates fail early
    new_types: dict[int, list[TensorType]] = {}

    def type_of(v) -> TensorType:
        return new_types[v.node_id][v.output_index] if v.node_id in new_types else v.type

    for node in graph.nodes:  # node ids are topological
        if node.op_type == INPUT:
            v = node.outputs[0]
            if v.name in shapes:
                new_types[node.id] = [TensorType(v.type.dtype, tuple(shapes[v.name]))]
            continue
        if not node.is_op:
            continue
        inputs = node.inputs
        types = [type_of(v) for v in inputs]
        if all(t == v.type for t, v in zip(types, inputs)):
            continue  # nothing upstream changed: neither does this node
        if _tied_operand(inputs, types):
            return None
        old = node.output_types
        try:
            new = get_spec(node.op_type).infer(types, node.attrs)
        except Exception:  # an op whose attributes tie it to the base shape: any error means "not here"
            return None
        if len(new) != len(old) or any(n.dtype != o.dtype or n.rank != o.rank for n, o in zip(new, old)):
            return None
        if any(n.numel > MAX_NUMEL or (n.numel == 0) != (o.numel == 0) for n, o in zip(new, old)):
            return None
        new_types[node.id] = list(new)
    g = graph.copy()
    for nid, types in new_types.items():
        g.set_output_types(g.node(nid), types)
    return g


Check = Callable[[Graph], bool]


def _tied_operand(inputs: list, types: list[TensorType]) -> bool:
    """Does an op whose operands changed shape (`inputs` had, now have `types`) take a fixed
    operand tied to the old shape?

    Two ties infer cannot see: a constant whose dims line up (right-aligned, as in
    broadcasting) with a changed dim at its old size, say a gather index of the input's
    shape; and integer constants or inputs drawn inside a domain, which are indices or
    sizes for the base shape (an index valid for 6 is out of range for 4).
    """
    changed = [i for i, (v, t) in enumerate(zip(inputs, types)) if v.type.shape != t.shape]
    for j, v in enumerate(inputs):
        if j in changed:
            continue
        producer = v.producer()
        is_const = producer.op_type == CONST
        if v.type.dtype.is_int and (is_const or (producer.op_type == INPUT and v.graph.domain(v) is not None)):
            return True
        if not is_const:
            continue
        for i in changed:
            old, new = inputs[i].type.shape, types[i].shape
            for p in range(1, min(len(old), v.type.rank) + 1):
                if old[-p] != new[-p] and old[-p] != 1 and v.type.shape[-p] == old[-p]:
                    return True
    return False


def plan(graph: Graph, choices: Choices, check: Check | None = None) -> DynamicPlan | None:
    """Draw dynamic dims and alternative sizes for graph, or None when no dim can vary.

    Dims of equal base size across inputs are first tried as one symbol (a batch
    dim shared by every input), then one at a time.

    check: a further test of a re-typed graph (fuzzer.run.eager.types_hold: torch
    eager agrees with the inferred types); a size it refuses is not used.
    """
    ok = check or (lambda g: True)
    by_size: dict[int, list[tuple[str, int]]] = {}
    for v in graph.inputs:
        for ax, d in enumerate(v.type.shape):
            if d >= 2:
                by_size.setdefault(d, []).append((v.name, ax))
    if not by_size:
        return None
    # leading dims first (batch-like), then the rest in a drawn order
    sizes = sorted(by_size)
    order = []
    while sizes:
        order.append(sizes.pop(choices.integer(0, len(sizes) - 1)))
    wanted = choices.integer(1, MAX_SYMBOLS)
    dims: dict[str, dict[int, str]] = {}
    base: dict[str, int] = {}
    alt: dict[str, int] = {}
    tries = 0
    last: Graph | None = None
    for b in order:
        if len(base) >= wanted or tries >= MAX_TRIES:
            break
        group = by_size[b]
        options = [group] + ([[d] for d in sorted(group, key=lambda d: (d[1], d[0]))] if len(group) > 1 else [])
        s = _other_size(choices, b)
        for dimset in options:
            tries += 1
            if tries > MAX_TRIES:
                break
            sym = f"d{len(base)}"
            trial = {n: dict(a) for n, a in dims.items()}
            for name, ax in dimset:
                trial.setdefault(name, {})[ax] = sym
            p = DynamicPlan(trial, {**base, sym: b}, [{**alt, sym: s}])
            g = retype(graph, p.shapes_at(graph, p.sizes[0]))
            if g is not None and ok(g):
                dims, base, alt, last = trial, p.base, p.sizes[0], g
                break
    if not base:
        return None
    result = DynamicPlan(dims, base, [alt], [last])
    if choices.boolean(0.3):  # a second size: often 1 where the first was not, or the other way
        second = {sym: _other_size(choices, b, avoid=alt[sym]) for sym, b in base.items()}
        g = retype(graph, result.shapes_at(graph, second))
        if g is not None and ok(g):
            result.sizes.append(second)
            result.graphs.append(g)
    return result


def replay(graph: Graph, stored: DynamicPlan, check: Check | None = None) -> DynamicPlan | None:
    """A stored plan applied to graph (a rerun or a minimizer's smaller graph): the dims
    whose input still exists with the same base size, at the sizes that still re-type."""
    present = {v.name: v.type.shape for v in graph.inputs}
    dims = {
        name: {ax: sym for ax, sym in axes.items() if ax < len(present[name]) and present[name][ax] == stored.base.get(sym)}
        for name, axes in stored.dims.items() if name in present
    }
    dims = {n: a for n, a in dims.items() if a}
    used = {sym for axes in dims.values() for sym in axes.values()}
    if not used:
        return None
    result = DynamicPlan(dims, {s: n for s, n in stored.base.items() if s in used}, [])
    for size in stored.sizes:
        size = {s: n for s, n in size.items() if s in used}
        g = retype(graph, result.shapes_at(graph, size))
        if g is not None and (check is None or check(g)):
            result.sizes.append(size)
            result.graphs.append(g)
    return result if result.sizes else None


def _other_size(choices: Choices, base: int, avoid: int | None = None) -> int:
    """An alternative for a dim of size base: 1 a quarter of the time, else a nearby size."""
    if avoid != 1 and choices.boolean(0.25):
        return 1
    pick = [n for n in range(2, base + 4) if n != base and n != avoid]
    return choices.choice(pick)


__all__ = ["DynamicPlan", "plan", "replay", "retype"]
