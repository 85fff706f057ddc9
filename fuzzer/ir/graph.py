"""The framework-neutral graph IR, kept on a networkx MultiDiGraph.

Words follow onnx-ir: a Node has an op_type, inputs and outputs; a Value is one
output of one node, with producer(), index() and uses(). Graph inputs and
constants are nodes too (op_type "input" and "const"), so that the whole model
is one networkx graph that the generator, the minimizer and the diversity
tracker can walk. A MultiDiGraph, not a plain DiGraph, because one node may
feed another through two slots (x + x). Each edge records the producer's
output index and the consumer's input slot.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Iterator

import networkx as nx
import numpy as np

from fuzzer.ir.types import DType, TensorType

INPUT = "input"
CONST = "const"


@dataclass(frozen=True)
class Value:
    graph: "Graph"
    node_id: int
    output_index: int

    def producer(self) -> "Node":
        return self.graph.node(self.node_id)

    def index(self) -> int:
        return self.output_index

    @property
    def type(self) -> TensorType:
        return self.graph._g.nodes[self.node_id]["outputs"][self.output_index]

    @property
    def name(self) -> str:
        return self.graph.value_name(self)

    def uses(self) -> list[tuple["Node", int]]:
        """(consumer node, input slot) pairs, in consumer order."""
        out = []
        for _, dst, data in self.graph._g.out_edges(self.node_id, data=True):
            if data["index"] == self.output_index:
                out.append((self.graph.node(dst), data["slot"]))
        return sorted(out, key=lambda u: (u[0].id, u[1]))

    def __hash__(self):
        return hash((id(self.graph), self.node_id, self.output_index))

    def __eq__(self, other):
        return (
            isinstance(other, Value)
            and other.graph is self.graph
            and (other.node_id, other.output_index) == (self.node_id, self.output_index)
        )

    def __repr__(self):
        return f"Value({self.name}: {self.type})"


@dataclass(frozen=True)
class Node:
    graph: "Graph"
    id: int

    @property
    def _data(self) -> dict:
        return self.graph._g.nodes[self.id]

    @property
    def op_type(self) -> str:
        return self._data["op"]

    @property
    def attrs(self) -> dict[str, Any]:
        return self._data["attrs"]

    @property
    def output_types(self) -> list[TensorType]:
        return self._data["outputs"]

    @property
    def outputs(self) -> list[Value]:
        return [Value(self.graph, self.id, i) for i in range(len(self.output_types))]

    @property
    def inputs(self) -> list[Value]:
        edges = sorted(self.graph._g.in_edges(self.id, data=True), key=lambda e: e[2]["slot"])
        return [Value(self.graph, src, data["index"]) for src, _, data in edges]

    @property
    def value(self) -> np.ndarray:
        """The array held by a const node."""
        return self._data["value"]

    @property
    def is_op(self) -> bool:
        return self.op_type not in (INPUT, CONST)

    def __repr__(self):
        return f"Node({self.id}: {self.op_type})"


class Graph:
    """A DAG of typed ops. Node ids grow in insertion order, which is topological."""

    def __init__(self) -> None:
        self._g = nx.MultiDiGraph()
        self._next_id = 0
        self.outputs: list[Value] = []

    # -- building ---------------------------------------------------------
    def _add(self, op: str, attrs: dict, outputs: list[TensorType], **extra) -> Node:
        nid = self._next_id
        self._next_id += 1
        self._g.add_node(nid, op=op, attrs=dict(attrs), outputs=list(outputs), **extra)
        return Node(self, nid)

    def add_input(self, ttype: TensorType, domain: tuple[float, float] | None = None) -> Value:
        node = self._add(INPUT, {}, [ttype], domain=domain)
        return node.outputs[0]

    def add_const(self, array: np.ndarray, dtype: DType | None = None) -> Value:
        dtype = DType(dtype) if dtype is not None else DType(str(array.dtype))
        array = np.asarray(array).astype(dtype.numpy)
        node = self._add(CONST, {}, [TensorType(dtype, array.shape)], value=array)
        return node.outputs[0]

    def add_node(self, op: str, inputs: list[Value], attrs: dict, outputs: list[TensorType]) -> Node:
        for v in inputs:
            if v.graph is not self:
                raise ValueError("input value belongs to another graph")
        node = self._add(op, attrs, outputs)
        for slot, v in enumerate(inputs):
            self._g.add_edge(v.node_id, node.id, slot=slot, index=v.output_index)
        return node

    def remove_node(self, node: Node) -> None:
        self._g.remove_node(node.id)
        self.outputs = [v for v in self.outputs if v.node_id != node.id]

    def drop_unused_sources(self) -> "Graph":
        """Remove the inputs and weights nothing reads (in place; returns self): the generator
        ends every graph with this, and the minimizer every candidate."""
        for n in self.nodes:
            if n.op_type in (INPUT, CONST) and not any(v.uses() for v in n.outputs):
                self.remove_node(n)
        return self

    def replace_all_uses(self, old: Value, new: Value) -> None:
        """Feed every consumer of old (and the graph outputs) from new instead."""
        for src, dst, key, data in list(self._g.out_edges(old.node_id, keys=True, data=True)):
            if data["index"] == old.output_index:
                self._g.remove_edge(src, dst, key)
                self._g.add_edge(new.node_id, dst, slot=data["slot"], index=new.output_index)
        self.outputs = [new if v == old else v for v in self.outputs]

    def prune(self) -> None:
        """Remove every node no graph output depends on."""
        live: set[int] = set()
        for v in self.outputs:
            live |= nx.ancestors(self._g, v.node_id) | {v.node_id}
        for nid in [n for n in self._g.nodes if n not in live]:
            self._g.remove_node(nid)

    def set_output_types(self, node: Node, types: list[TensorType]) -> None:
        self._g.nodes[node.id]["outputs"] = list(types)

    def set_const(self, node: Node, array: np.ndarray) -> None:
        """Replace a const node's array (its type follows the array)."""
        d = self._g.nodes[node.id]
        d["value"] = array
        d["outputs"] = [TensorType(DType(str(array.dtype)), array.shape)]

    def set_domain(self, value: Value, domain: tuple[float, float]) -> None:
        self._g.nodes[value.node_id]["domain"] = tuple(domain)

    def domain(self, value: Value) -> tuple[float, float] | None:
        return self._g.nodes[value.node_id].get("domain")

    # -- reading ----------------------------------------------------------
    def node(self, nid: int) -> Node:
        if nid not in self._g:
            raise KeyError(nid)
        return Node(self, nid)

    @property
    def nodes(self) -> list[Node]:
        return [Node(self, n) for n in sorted(self._g.nodes)]

    @property
    def op_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.is_op]

    @property
    def inputs(self) -> list[Value]:
        return [n.outputs[0] for n in self.nodes if n.op_type == INPUT]

    @property
    def consts(self) -> list[Node]:
        return [n for n in self.nodes if n.op_type == CONST]

    def values(self) -> Iterator[Value]:
        for n in self.nodes:
            yield from n.outputs

    def value_name(self, v: Value) -> str:
        op = self._g.nodes[v.node_id]["op"]
        prefix = {INPUT: "x", CONST: "c"}.get(op, "v")
        return f"{prefix}{v.node_id}" if v.output_index == 0 else f"{prefix}{v.node_id}_{v.output_index}"

    def ancestors(self, v: Value) -> list[Node]:
        ids = nx.ancestors(self._g, v.node_id) | {v.node_id}
        return [Node(self, n) for n in sorted(ids)]

    @property
    def nx(self) -> nx.MultiDiGraph:
        """The underlying networkx graph, read-only by convention."""
        return self._g

    def op_types(self) -> list[str]:
        return [n.op_type for n in self.op_nodes]

    def op_dtypes(self) -> list[tuple[str, str]]:
        """(op, dtype) per op node. The dtype is its primary (first) operand's, the one an op
        spec's `dtypes` constrains and steering avoids; an op with no operand gets its first
        output's."""
        out = []
        for n in self.op_nodes:
            inputs = n.inputs
            t = inputs[0].type if inputs else n.output_types[0]
            out.append((n.op_type, t.dtype.value))
        return out

    def __len__(self) -> int:
        return len(self.op_nodes)

    # -- JSON ---------------------------------------------------------------
    def to_json(self) -> dict:
        nodes = []
        for n in self.nodes:
            d = n._data
            entry = {
                "id": n.id,
                "op": d["op"],
                "attrs": _jsonable(d["attrs"]),
                "outputs": [t.to_json() for t in d["outputs"]],
                "inputs": [[v.node_id, v.output_index] for v in n.inputs],
            }
            if d["op"] == CONST:
                entry["value"] = _encode_array(d["value"])
            if d["op"] == INPUT and d.get("domain") is not None:
                entry["domain"] = list(d["domain"])
            nodes.append(entry)
        return {
            "format": "onnxfuzz-graph/1",
            "nodes": nodes,
            "outputs": [[v.node_id, v.output_index] for v in self.outputs],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)

    @classmethod
    def from_json(cls, data: dict) -> "Graph":
        if data.get("format") != "onnxfuzz-graph/1":
            raise ValueError(f"not an onnxfuzz graph (format={data.get('format')!r})")
        g = cls()
        for entry in data["nodes"]:
            nid = entry["id"]
            extra = {}
            if entry["op"] == CONST:
                extra["value"] = _decode_array(entry["value"])
            if entry["op"] == INPUT:
                dom = entry.get("domain")
                extra["domain"] = tuple(dom) if dom is not None else None
            g._g.add_node(
                nid,
                op=entry["op"],
                attrs=_unjsonable(entry["attrs"]),
                outputs=[TensorType.from_json(t) for t in entry["outputs"]],
                **extra,
            )
            for slot, (src, idx) in enumerate(entry["inputs"]):
                g._g.add_edge(src, nid, slot=slot, index=idx)
            g._next_id = max(g._next_id, nid + 1)
        g.outputs = [Value(g, nid, idx) for nid, idx in data["outputs"]]
        return g

    @classmethod
    def loads(cls, text: str) -> "Graph":
        return cls.from_json(json.loads(text))

    def copy(self) -> "Graph":
        return Graph.from_json(self.to_json())

    def summary(self) -> str:
        """One line per node, for reports and debugging."""
        lines = []
        for n in self.nodes:
            ins = ", ".join(self.value_name(v) for v in n.inputs)
            outs = ", ".join(f"{self.value_name(v)}: {v.type}" for v in n.outputs)
            attrs = "" if not n.attrs else " " + json.dumps(_jsonable(n.attrs), sort_keys=True)
            lines.append(f"{outs} = {n.op_type}({ins}){attrs}")
        lines.append("return " + ", ".join(self.value_name(v) for v in self.outputs))
        return "\n".join(lines)


def _encode_array(a: np.ndarray) -> dict:
    a = np.array(a, order="C")  # not ascontiguousarray: it turns 0-d arrays into 1-d
    return {"dtype": str(DType(str(a.dtype))), "shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode()}


def _decode_array(d: dict) -> np.ndarray:
    dtype = DType(d["dtype"]).numpy
    return np.frombuffer(base64.b64decode(d["b64"]), dtype=dtype).reshape(d["shape"]).copy()


def _jsonable(x):
    """Attributes are plain JSON values, except tuples (kept as lists) and DTypes."""
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, DType):
        return {"__dtype__": x.value}
    if isinstance(x, np.generic):
        return x.item()
    return x


def _unjsonable(x):
    if isinstance(x, dict):
        if set(x) == {"__dtype__"}:
            return DType(x["__dtype__"])
        return {k: _unjsonable(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_unjsonable(v) for v in x]
    return x
