"""Reduction passes over the IR: each proposes smaller candidate graphs.

A pass never checks validity itself. It proposes a candidate, `retype` gives
every node the types its spec infers from the new inputs and refuses one whose
operands break a spec's preconditions (`OpSpec.requires`), the reducer holds
it to the generator's validity rules (fuzzer.minimize.validity), and the
failure check (which runs torch eager on the way) rejects whatever is invalid. The
passes go from coarse to fine, as delta debugging does: whole outputs first,
then single nodes, then shapes, ranks, dtypes, attributes and values.
"""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from fuzzer.ir import CONST, INPUT, DType, Graph, TensorType
from fuzzer.materialize.torch_source import TorchSourceContext
from fuzzer.ops import get_spec

Pass = Callable[[Graph], Iterator[Graph]]


def retype(g: Graph) -> Graph | None:
    """g with every op node's output types re-inferred in order, or None if some spec refuses:
    its primary operand is not one it accepts, its other operands break a precondition its
    draw keeps (`requires`), or it cannot infer."""
    for node in g.op_nodes:
        spec = get_spec(node.op_type)
        ins = [v.type for v in node.inputs]
        if not spec.accepts(ins[0]):  # keep within what the spec itself would have built
            return None
        try:
            if spec.requires(ins, node.attrs) is not None:  # a precondition torch may not enforce
                return None
            types = spec.infer(ins, node.attrs)
        except Exception:  # attributes it needs are gone (simplify_attrs), say
            return None
        if len(types) != len(node.output_types) or any(t.numel <= 0 for t in types):
            return None
        g.set_output_types(node, types)
    return g


def _finish(g: Graph) -> Graph | None:
    g.prune()
    g.drop_unused_sources()
    if not g.outputs or not g.op_nodes:
        return None
    return retype(g)


def unread_operands(node) -> int:
    """How many of node's trailing operands its torch lowering (the semantics every other
    lowering follows) no longer reads: an optional operand whose attribute went, such as
    batch_norm's weight and bias once `affine` is dropped. Only trailing ones count, since
    removing one in the middle would shift the slots of those after it."""
    names = [f"__operand{i}__" for i in range(len(node.inputs))]
    try:
        expr = get_spec(node.op_type).torch(TorchSourceContext(), node.attrs, names)
    except Exception:  # a lowering that cannot render these attrs: leave the node as it is
        return 0
    unread = 0
    for name in reversed(names[1:]):  # the first operand is the one the op is drawn on: always kept
        if name in expr:
            break
        unread += 1
    return unread


def tidy(g: Graph) -> Graph:
    """g with every operand no lowering reads detached, then whatever nobody reads pruned
    (inputs, weights, op nodes): what a reduction leaves behind must not stay in the graph,
    nor as initializers in the models built from it. Returns g itself when detaching would
    leave a node its spec can no longer type, or nothing to prune."""
    unread = {node.id: k for node in g.op_nodes if (k := unread_operands(node))}
    if not unread and all(any(v.uses() for v in n.outputs) for n in g.nodes if n.op_type in (INPUT, CONST)):
        return g
    c = g.copy()
    for nid, k in unread.items():
        keep = len(c.node(nid).inputs) - k
        for src, dst, key, data in list(c.nx.in_edges(nid, keys=True, data=True)):
            if data["slot"] >= keep:
                c.nx.remove_edge(src, dst, key)
    out = _finish(c)
    return out if out is not None else g


def drop_outputs(g: Graph) -> Iterator[Graph]:
    """Keep only half of the outputs, then only one, then all but one."""
    n = len(g.outputs)
    if n <= 1:
        return
    keeps = [g.outputs[: n // 2], g.outputs[n // 2:]] + [[v] for v in g.outputs] + [
        [w for w in g.outputs if w != v] for v in g.outputs
    ]
    seen = set()
    for keep in keeps:
        key = tuple((v.node_id, v.output_index) for v in keep)
        if key in seen or len(keep) in (0, n):
            continue
        seen.add(key)
        c = g.copy()
        c.outputs = [c.node(v.node_id).outputs[v.output_index] for v in keep]
        out = _finish(c)
        if out is not None:
            yield out


def delete_nodes(g: Graph) -> Iterator[Graph]:
    """Remove one op node, feeding its consumers from one of its own inputs of the same
    type (a bypass), from a new graph input of its output's type, or from a literal of that
    type (zeros, then ones). A node that only feeds
    graph outputs may also hand them over to one of its op-made inputs, whatever its type:
    otherwise the last op of a chain whose output type differs from its input's (a
    GridSample after a GridSample) could never go."""
    for node in reversed(g.op_nodes):
        for replacement in ("bypass", "input", "zeros", "ones"):
            c = g.copy()
            n = c.node(node.id)
            ok = True
            for out in n.outputs:
                if replacement == "bypass":
                    same = [v for v in n.inputs if v.type == out.type]
                    if not same:
                        ok = False
                        break
                    new = same[0]
                elif not out.uses():
                    continue
                elif replacement == "input":
                    new = c.add_input(out.type, domain=_consumer_domain(out))
                else:  # a literal of its type: a zero built as add(x, x, alpha=-1) is a zero
                    fill = np.zeros if replacement == "zeros" else np.ones
                    new = c.add_const(fill(out.type.shape, dtype=out.type.dtype.numpy), out.type.dtype)
                if out in c.outputs and new.producer().op_type in (INPUT, CONST):
                    c.outputs = [v for v in c.outputs if v != out]  # an output cannot be an input
                c.replace_all_uses(out, new)
            if not ok:
                continue
            c.remove_node(n)
            result = _finish(c)
            if result is not None:
                yield result
        yield from _promote_inputs(g, node)


def cut_operands(g: Graph) -> Iterator[Graph]:
    """Drop one operand of a variadic op (Mean, Sum, Max, Min of n inputs): two inputs
    that show a bug are clearer than four."""
    for node in g.op_nodes:
        if len(node.inputs) < 2 or not _variadic(node.op_type):
            continue
        for k in range(len(node.inputs)):
            c = g.copy()
            edges = sorted(c.nx.in_edges(node.id, keys=True, data=True), key=lambda e: e[3]["slot"])
            for src, dst, key, _ in edges:
                c.nx.remove_edge(src, dst, key)
            slot = 0
            for i, (src, dst, _, data) in enumerate(edges):
                if i != k:
                    c.nx.add_edge(src, dst, slot=slot, index=data["index"])
                    slot += 1
            out = _finish(c)
            if out is not None:
                yield out


def chains(attrs: dict) -> list[str]:
    """The attributes of an op that are chains of body steps (a Loop's body, an If's branch,
    a Scan's step: fuzzer.ops.control), each a list of {"op", "attrs", "args"}."""
    return [k for k, v in attrs.items()
            if isinstance(v, list) and v and all(isinstance(st, dict) and "op" in st and "args" in st for st in v)]


def body_steps(g: Graph) -> int:
    """How many body steps g's control-flow ops hold: what a smaller graph has fewer of too."""
    return sum(len(n.attrs[k]) for n in g.op_nodes for k in chains(n.attrs))


def drop_body_steps(g: Graph) -> Iterator[Graph]:
    """Remove one step of a control-flow op's body (a Relu inside a Loop): every step keeps
    the running value's type, so the chain without it still types, and an empty chain is an
    Identity body. An operand only the removed step read is detached by tidy afterwards."""
    for node in g.op_nodes:
        for key in chains(node.attrs):
            for k in range(len(node.attrs[key])):
                c = g.copy()
                attrs = dict(c.node(node.id).attrs)
                attrs[key] = attrs[key][:k] + attrs[key][k + 1:]
                c.nx.nodes[node.id]["attrs"] = attrs
                out = retype(c)
                if out is not None:
                    yield out


def _variadic(op: str) -> bool:
    """Does op take any number of operands (its spec says so, or derives from Variadic)?"""
    spec = get_spec(op)
    return bool(getattr(spec, "variadic", False)) or any(k.__name__ == "Variadic" for k in type(spec).__mro__)


def _promote_inputs(g: Graph, node) -> Iterator[Graph]:
    """node removed, the graph outputs it made taken over by each op-made input of it in turn
    (only for a node nothing else reads: a consumer would need its output's type)."""
    if any(v.uses() for v in node.outputs) or not any(v in g.outputs for v in node.outputs):
        return
    seen = set()
    for v in node.inputs:
        if not v.producer().is_op or (v.node_id, v.output_index) in seen:
            continue
        seen.add((v.node_id, v.output_index))
        c = g.copy()
        new = c.node(v.node_id).outputs[v.output_index]
        outputs = []
        for o in c.outputs:
            o = new if o.node_id == node.id else o
            if o not in outputs:
                outputs.append(o)
        c.outputs = outputs
        c.remove_node(c.node(node.id))
        result = _finish(c)
        if result is not None:
            yield result


def _consumer_domain(value) -> tuple[float, float] | None:
    """The interval every consumer of value accepts in the slot it reads it from."""
    lo, hi = -np.inf, np.inf
    for consumer, slot in value.uses():
        spec = get_spec(consumer.op_type)
        dom = spec.domain if slot == 0 else getattr(spec, "rhs_domain", None) if slot == 1 else None
        if dom is not None:
            lo, hi = max(lo, dom[0]), min(hi, dom[1])
    return None if (lo, hi) == (-np.inf, np.inf) else (float(lo), float(hi))


def shrink_shapes(g: Graph) -> Iterator[Graph]:
    """Halve one dimension of a graph input or weight, or make it 1."""
    for src in [n for n in g.nodes if n.op_type in (INPUT, CONST)]:
        shape = src.output_types[0].shape
        for axis, d in enumerate(shape):
            for new in sorted({1, d // 2} - {0, d}):
                c = g.copy()
                n = c.node(src.id)
                new_shape = shape[:axis] + (new,) + shape[axis + 1:]
                if n.op_type == CONST:
                    index = tuple(slice(0, new) if i == axis else slice(None) for i in range(len(shape)))
                    c.set_const(n, np.require(n.value[index], requirements="C"))
                else:
                    c.set_output_types(n, [TensorType(n.output_types[0].dtype, new_shape)])
                out = retype(c)
                if out is not None:
                    yield out


def shrink_ranks(g: Graph) -> Iterator[Graph]:
    """Remove one length-1 axis of a graph input or weight (rank r -> r-1)."""
    for src in [n for n in g.nodes if n.op_type in (INPUT, CONST)]:
        shape = src.output_types[0].shape
        for axis, d in enumerate(shape):
            if d != 1:
                continue
            c = g.copy()
            n = c.node(src.id)
            new_shape = shape[:axis] + shape[axis + 1:]
            if n.op_type == CONST:
                c.set_const(n, np.require(n.value.reshape(new_shape), requirements="C"))  # 0-d stays 0-d
            else:
                c.set_output_types(n, [TensorType(n.output_types[0].dtype, new_shape)])
            out = retype(c)
            if out is not None:
                yield out


#: the narrower dtype each dtype is tried as
NARROWER = {DType.float64: DType.float32, DType.int64: DType.int32, DType.int32: DType.int8}


def narrow_dtypes(g: Graph) -> Iterator[Graph]:
    """Narrow one dtype everywhere it enters the graph (every input and weight of it at once:
    narrowing a single one would mix dtypes in ops whose specs take equal ones)."""
    sources = [n for n in g.nodes if n.op_type in (INPUT, CONST)]
    for wide in sorted({n.output_types[0].dtype for n in sources} & set(NARROWER), key=str):
        narrow = NARROWER[wide]
        c = g.copy()
        for src in sources:
            if src.output_types[0].dtype != wide:
                continue
            n = c.node(src.id)
            if n.op_type == CONST:
                c.set_const(n, n.value.astype(narrow.numpy))
            else:
                c.set_output_types(n, [TensorType(narrow, n.output_types[0].shape)])
        out = retype(c)
        if out is not None:
            yield out


def simplify_attrs(g: Graph) -> Iterator[Graph]:
    """Drop one attribute (the op's default then applies)."""
    for node in g.op_nodes:
        for key in list(node.attrs):
            c = g.copy()
            attrs = dict(c.node(node.id).attrs)
            del attrs[key]
            c.nx.nodes[node.id]["attrs"] = attrs
            out = retype(c)
            if out is not None:
                yield out


def simplify_consts(g: Graph) -> Iterator[Graph]:
    """Replace one weight by ones, then by its values rounded to one decimal."""
    for node in g.consts:
        a = node.value
        if a.dtype == np.bool_:
            continue
        for simple in (np.ones_like(a), np.round(a.astype(np.float64), 1).astype(a.dtype)):
            if np.array_equal(simple, a):
                continue
            c = g.copy()
            c.set_const(c.node(node.id), simple)
            yield c


PASSES: list[tuple[str, Pass]] = [
    ("drop_outputs", drop_outputs),
    ("delete_nodes", delete_nodes),
    ("cut_operands", cut_operands),
    ("drop_body_steps", drop_body_steps),
    ("shrink_shapes", shrink_shapes),
    ("shrink_ranks", shrink_ranks),
    ("narrow_dtypes", narrow_dtypes),
    ("simplify_attrs", simplify_attrs),
    ("simplify_consts", simplify_consts),
]
