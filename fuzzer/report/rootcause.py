"""One key per root cause: what both filers (a campaign's and `onnxfuzz check`'s) fold on.

A defect is met through many graphs, paths and settings. The key keeps only
what names the defect itself:
- the system's family: ONNX Runtime at every optimization level, threaded or
  not, and its offline optimizer (`ort-offline-*`, the same graph transformers
  run ahead of time) are one family; the dynamo exporter with and without its
  optimizer is one;
- the symptom and the stage (ONNX Runtime's offline optimizer failing to
  convert is ONNX Runtime failing to load: the same transformers run there);
- the error with names, numbers and paths taken out, node names included (an
  exporter's "/MaxPool" and onnxfuzz's "node_max_pool2d" name one node);
- the op at fault: the op the error names, else the op whose output is the
  minimal graph's output (the framework's op for an exporter's bug, the ONNX op
  for any other system's). A minimal graph is 1-minimal under the reducer's
  passes, one of which hands a graph output over to the node before it, so
  the node making the output is the first whose output is wrong: the op
  where a numeric mismatch starts;
- whether the defect needs dynamic dims.
The runtime that ran a converter's broken model does not count, nor its
wording of the load or run error (onnxruntime and onnx-reference word one bad
Reshape differently): one converter bug is one bug whichever runtime showed it.

onnxfuzz itself (its direct ONNX builder, its lowerings, its ground truth) is
never a system under test: `is_own` says when a blame or a failure is its own.
"""
from __future__ import annotations

import hashlib
import re

from oracles import Kind, normalize_error

#: the names a blame gives onnxfuzz itself: its own direct builder is no system under test
OWN_SYSTEMS = ("onnxfuzz", "onnx-direct")

#: the stages whose error text is worded by whichever runtime ran the model
RUNTIME_STAGES = ("load", "run")

#: plugins that are one system with another (same code, other settings or another entry point)
_FAMILY_PREFIXES = (("onnxruntime", "onnxruntime"), ("ort-offline", "onnxruntime"), ("dynamo", "dynamo"))


#: families whose offline optimizer (a transformer) runs what their runtime runs at load
_OPTIMIZES_AT_LOAD = ("onnxruntime",)


def system_family(system: str) -> str:
    """The system a plugin is a setting of: "onnxruntime-basic", "ort-offline-extended" ->
    "onnxruntime"; "dynamo-noopt" -> "dynamo"; anything else is its own family."""
    for prefix, family in _FAMILY_PREFIXES:
        if system == prefix or system.startswith(prefix + "-"):
            return family
    return system


def is_own(system: str, role: str = "") -> bool:
    """Is this blame onnxfuzz's own defect (its direct builder, a lowering, the ground truth)?"""
    return role == "own" or system in OWN_SYSTEMS


# node names as the checker and the runtimes quote them; quoted names normalize_error drops already
_NODE_NAMES = [
    # checker: "(op_type:MaxPool, node name: /MaxPool)"; a node without a name: "(op_type:MaxPool)"
    (re.compile(r",?\s*node name:\s*[^),]*"), ""),
    (re.compile(r"\bNode\s*\(([^()]*)\)"), "Node ()"),  # checker, ORT: Node (node_Reshape_1)'s input 0
    (re.compile(r"\bName:\s*'[^']*'"), "Name:"),  # ORT: running MaxPool node. Name:'/MaxPool'
    (re.compile(r"\bnode\s+\S+\s+\(OpType:"), "node (OpType:"),
]

#: where an error names the op that fails
_OP_NAMED = [
    re.compile(r"op_type:\s*([A-Za-z_][\w.]*)"),
    re.compile(r"running ([A-Za-z_][\w.]*) node"),
    re.compile(r"\bOp \(([A-Za-z_][\w.]*)\)"),
    re.compile(r"for operator ([A-Za-z_][\w.]*)"),
    re.compile(r"OpType:\s*([A-Za-z_][\w.]*)"),
    re.compile(r'#\d+ "[^"]*" ([A-Za-z_][\w.]*)'),  # tract: Translating node #3 "_n3" Gemm
]


def strip_node_names(text: str) -> str:
    for pattern, repl in _NODE_NAMES:
        text = pattern.sub(repl, text)
    return text


def root_error(kind: Kind | str, error: str) -> str:
    """normalize_error, with node names taken out too."""
    return normalize_error(Kind(kind), strip_node_names(error or ""))


def named_op(error: str) -> str | None:
    """The op type the first line of error names as failing, if it names one."""
    first = (error or "").strip().splitlines()[0] if (error or "").strip() else ""
    for pattern in _OP_NAMED:
        m = pattern.search(first)
        if m:
            return m.group(1)
    return None


def onnx_op_of(ir_op: str) -> str:
    """The ONNX op type an IR op is lowered to first (its spec's onnx_ops), so that a campaign's
    minimal graph and a checked model's name one op alike; the IR name when it has none."""
    from fuzzer.ops import get_spec

    try:
        ops = get_spec(ir_op).onnx_ops
    except KeyError:  # an op of an older onnxfuzz, or an ONNX op type already
        return ir_op
    return ops[0] if ops else ir_op


def graph_sink_ops(graph, role: str = "") -> list[str]:
    """The op types of the nodes that make a minimal IR graph's outputs: for an exporter's bug
    the framework's op (its conversion of that op is at fault: torch.var and torch.mean are two
    symbolic functions), for any other system the ONNX op it is lowered to, as the model that
    system was given names it (and as a checked model does)."""
    name = (lambda op: op) if role == "exporter" else onnx_op_of
    return sorted({name(graph.node(v.node_id).op_type) for v in graph.outputs if graph.node(v.node_id).is_op}) \
        or sorted({name(op) for op in graph.op_types()})


def model_sink_ops(model) -> list[str]:
    """The op types of the nodes that make an ONNX model's outputs, looking through Identity."""
    made = {o: n for n in model.graph.node for o in n.output}
    sinks = set()
    for out in model.graph.output:
        node = made.get(out.name)
        while node is not None and node.op_type == "Identity" and node.input and node.input[0] in made:
            node = made[node.input[0]]
        if node is not None:
            sinks.add(node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}")
    return sorted(sinks) or sorted({n.op_type for n in model.graph.node})


def failing_op(error: str, sink_ops: list[str]) -> str:
    """The op at fault: the one the error names, else the ops that make the minimal outputs."""
    return named_op(error) or ",".join(sink_ops)


def root_key(system: str, role: str, kind: str, stage: str, error: str, runtime: str, sink_ops: list[str],
             dynamic: bool) -> str:
    """The root-cause key (see the module docstring). runtime: the runtime that showed the failure
    ("" before any ran); its wording of a load or run error counts only when the failure is its
    own family's (a runtime's own bug, or ORT's offline optimizer's output failing on ORT)."""
    family = system_family(system)
    worded_by_other = stage in RUNTIME_STAGES and role != "runtime" and system_family(runtime or "") != family
    if family in _OPTIMIZES_AT_LOAD and stage == "convert":
        # its offline optimizer runs the graph transformers a session runs when it loads the
        # model: one failure of theirs is a convert crash offline and a load crash online
        kind, stage = "load_crash", "load"
    parts = [family, kind, stage]
    if worded_by_other:
        parts.append(",".join(sink_ops))
    else:
        parts += [root_error(kind, error), failing_op(error, sink_ops)]
    if dynamic:
        parts.append("dynamic")
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:10]
