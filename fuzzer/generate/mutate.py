"""Mutation: a valid graph in, a slightly different valid graph out.

Campaigns start some cases from seed graphs of real architectures (seeds/) or
imported ONNX models instead of from scratch; mutation then explores around
them. Every mutation keeps the graph valid by construction, as the generator
does: new nodes are built by op specs through the generator's Builder, and a
node is only removed, replaced or re-attributed where the types every consumer
sees stay exactly the same.

    insert   an op spec builds a node on an existing value; its result becomes a new
             sink or, when its type equals the operand's, takes over the operand's uses
    delete   a node whose result has the type of one of its operands is bypassed
    replace  another spec builds a node on the same operand with the same result type
    reattr   a node's attributes are redrawn by its spec, kept when the result types hold
             (with its extra operands too, for specs whose attributes depend on them)
    dtype    a value passes through a cast to another dtype and back

Values an op relies on staying inside its input domain (a divisor, a log
argument, any operand of an imported ONNX node, whose domain the IR does not
know) are protected, with the few nodes upstream that guard them: no mutation
removes, replaces, re-attributes or rewires them, so a mutated graph never
divides by zero where its seed could not.

Each mutation is tried on a copy and dropped when it does not apply, so a
failed attempt leaves no trace. Node ids stay topological (new nodes feeding old
ones are renumbered), and, as in generated graphs, every sink is an output.
"""
from __future__ import annotations

import networkx as nx

from fuzzer.choices import Choices
from fuzzer.errors import Rejected
from fuzzer.generate.builder import Builder
from fuzzer.generate.generator import GenConfig
from fuzzer.ir import CONST, INPUT, DType, Graph, Value
from fuzzer.ops import get_spec

KINDS = ("insert", "delete", "replace", "reattr", "dtype")
#: attempts at each mutation before giving it up (a random pick may not fit)
TRIES = 8


def mutate(graph: Graph, choices: Choices, config: GenConfig = GenConfig(), *, count: int | None = None,
           log: list[str] | None = None) -> Graph:
    """A mutated copy of graph: 1-3 mutations (or count), each of a randomly chosen kind.

    Only ops config's frontend serves are inserted. The input graph is left unchanged.
    log, when given, receives the kind of each mutation applied. Returns a graph that
    may equal the input when no mutation applied.
    """
    g = _renumber(graph)
    n = count if count is not None else choices.integer(1, 3)
    for _ in range(n):
        kinds = list(KINDS)
        while kinds:
            kind = kinds.pop(choices.integer(0, len(kinds) - 1))
            out = _try(kind, g, choices, config)
            if out is not None:
                g = out
                if log is not None:
                    log.append(kind)
                break
    return g


def _try(kind: str, graph: Graph, choices: Choices, config: GenConfig) -> Graph | None:
    fn = {"insert": _insert, "delete": _delete, "replace": _replace, "reattr": _reattr, "dtype": _dtype}[kind]
    for _ in range(TRIES):
        g = graph.copy()
        try:
            if fn(g, Builder(g, choices, config)):
                if not nx.is_directed_acyclic_graph(g.nx):
                    # a new op reused a value downstream of the one whose uses it took over
                    continue
                _finish_keeping_outputs(g)
                if len(g) == 0:
                    continue
                return _renumber(g)
        except Rejected:
            continue
    return None


def _specs(config: GenConfig):
    return [s for s in config.specs() if s.weight > 0]


def _operands(g: Graph) -> list[Value]:
    return [v for n in g.nodes if n.op_type != CONST for v in n.outputs]


def _usable(spec, t, config: GenConfig) -> bool:
    return spec.accepts(t) and (spec.name, t.dtype.value) not in config.avoid


#: how far upstream of a domain-sensitive operand the guard chain (abs/add, tanh/mul/add) reaches
GUARD_DEPTH = 3


def _sensitive(consumer, slot: int) -> bool:
    spec = get_spec(consumer.op_type)
    if consumer.op_type == "onnx_node":
        return True
    if slot == 0 and spec.domain is not None:
        return True
    return slot == 1 and getattr(spec, "rhs_domain", None) is not None


def _protected(g: Graph) -> set[Value]:
    """Values feeding a domain-sensitive operand, and those up to GUARD_DEPTH ops upstream."""
    frontier = {v for v in g.values() for consumer, slot in v.uses() if _sensitive(consumer, slot)}
    out = set(frontier)
    for _ in range(GUARD_DEPTH - 1):
        frontier = {u for v in frontier if v.producer().is_op for u in v.producer().inputs} - out
        out |= frontier
    return out


def _rewire(g: Graph, old: Value, new: Value, keep_from: int) -> None:
    """Feed every consumer of old that existed before node id keep_from from new instead."""
    for src, dst, key, data in list(g.nx.out_edges(old.node_id, keys=True, data=True)):
        if data["index"] == old.output_index and dst < keep_from:
            g.nx.remove_edge(src, dst, key)
            g.nx.add_edge(new.node_id, dst, slot=data["slot"], index=new.output_index)
    g.outputs = [new if v == old else v for v in g.outputs]


def _insert(g: Graph, b: Builder) -> bool:
    c = b.choices
    spec = c.choice(_specs(b.config))
    values = [v for v in _operands(g) if _usable(spec, v.type, b.config)]
    if not values:
        return False
    x = c.choice(values)
    first_new = g._next_id
    with b.transaction():
        node = spec.build(b, x)
    y = node.outputs[0]
    if y.type == x.type and x.uses() and x not in _protected(g) and c.boolean(0.6):
        # splice it in: x's old consumers now read the new op's result
        _rewire(g, x, y, first_new)
    return True


def _delete(g: Graph, b: Builder) -> bool:
    c = b.choices
    guarded = _protected(g)
    options = [(n, v) for n in g.op_nodes if len(n.outputs) == 1 and n.outputs[0] not in guarded
               for v in n.inputs if v.type == n.output_types[0]]
    if not options:
        return False
    node, keep = c.choice(options)
    out = node.outputs[0]
    g.replace_all_uses(out, keep)
    g.remove_node(node)
    g.outputs = [v for v in g.outputs if v.producer().is_op]
    g.prune()
    return True


def _replace(g: Graph, b: Builder) -> bool:
    c = b.choices
    guarded = _protected(g)
    nodes = [n for n in g.op_nodes if len(n.outputs) == 1 and n.inputs and get_spec(n.op_type).weight > 0
             and n.outputs[0] not in guarded]
    if not nodes:
        return False
    node = c.choice(nodes)
    x = node.inputs[0]
    specs = [s for s in _specs(b.config) if s.name != node.op_type and _usable(s, x.type, b.config)]
    if not specs:
        return False
    _rebuild(g, b, node, c.choice(specs))
    return True


def _rebuild(g: Graph, b: Builder, node, spec) -> None:
    """Build spec on node's first operand and let the new node take over node's uses; Rejected
    unless its results have exactly node's result types."""
    x, want = node.inputs[0], node.output_types
    first_new = g._next_id
    with b.transaction():
        new = spec.build(b, x)
        if new.output_types != want:
            raise Rejected(f"{spec.name} on {x.type} gives {new.output_types}, not {want}")
        if node.id in nx.ancestors(g.nx, new.id):
            # it reused a value computed from the node it is to replace
            raise Rejected(f"{spec.name} would read the result of the node it replaces")
    for old_v, new_v in zip(node.outputs, new.outputs):
        _rewire(g, old_v, new_v, first_new)
    g.remove_node(node)
    g.outputs = [v for v in g.outputs if v.producer().is_op]
    g.prune()


def _reattr(g: Graph, b: Builder) -> bool:
    guarded = _protected(g)
    nodes = [n for n in g.op_nodes if n.inputs and get_spec(n.op_type).weight > 0
             and not any(v in guarded for v in n.outputs)]
    if not nodes:
        return False
    node = b.choices.choice(nodes)
    spec = get_spec(node.op_type)
    if not spec.attrs_alone:
        # its attributes are drawn together with its operands (DrawsWithNotes): redraw both
        _rebuild(g, b, node, spec)
        return True
    types = [v.type for v in node.inputs]
    try:
        attrs = spec.sample_attrs(b, types)
        outs = spec.infer(types, attrs)
    except Rejected:
        return False
    if attrs == node.attrs or outs != node.output_types:
        return False
    g.nx.nodes[node.id]["attrs"] = dict(attrs)
    return True


def _dtype(g: Graph, b: Builder) -> bool:
    c = b.choices
    names = {s.name for s in b.config.specs()}
    if "cast" not in names:
        return False  # this frontend cannot materialize a cast
    guarded = _protected(g)
    values = [v for v in _operands(g) if v.uses() and v.type.dtype != DType.bool and v not in guarded]
    if not values:
        return False
    x = c.choice(values)
    targets = sorted((b.config.dtypes - {x.type.dtype, DType.bool}), key=str)
    targets = [d for d in targets if ("cast", d.value) not in b.config.avoid]
    if not targets:
        return False
    d = c.choice(targets)
    first_new = g._next_id
    there = g.add_node("cast", [x], {"to": d}, [x.type.with_dtype(d)]).outputs[0]
    back = g.add_node("cast", [there], {"to": x.type.dtype}, [x.type]).outputs[0]
    _rewire(g, x, back, first_new)
    return True


def _finish_keeping_outputs(g: Graph) -> None:
    """Drop unused inputs and constants; the outputs are the surviving old outputs (a seed may
    return a value it also uses, like a UNet skip) followed by every op sink."""
    for node in g.nodes:
        if node.op_type in (INPUT, CONST) and not any(v.uses() for v in node.outputs):
            g.remove_node(node)
    kept = [v for v in g.outputs if v.node_id in g.nx and v.producer().is_op]
    kept = list(dict.fromkeys(kept))
    g.outputs = kept + [v for n in g.op_nodes for v in n.outputs if not v.uses() and v not in kept]


def _renumber(graph: Graph) -> Graph:
    """A copy whose node ids follow a topological order again (materializers emit nodes in id
    order, so a new node feeding an older one must move ahead of it)."""
    data = graph.to_json()
    order = list(nx.lexicographical_topological_sort(graph.nx))
    new = {old: i for i, old in enumerate(order)}
    nodes = sorted(data["nodes"], key=lambda e: new[e["id"]])
    for e in nodes:
        e["id"] = new[e["id"]]
        e["inputs"] = [[new[s], i] for s, i in e["inputs"]]
    data["nodes"] = nodes
    data["outputs"] = [[new[s], i] for s, i in data["outputs"]]
    return Graph.from_json(data)


__all__ = ["KINDS", "mutate"]
