"""Which kernel a missing-kernel error is about: ONNX op, schema version and type binding.

ONNX Runtime refuses a model whose node has no kernel with
"Could not find an implementation for Relu(14) node with name 'n3'". The
message names the node and the op's schema version, not the types. Those are
read off the model itself: the node's inputs and outputs after shape
inference, grouped by the schema's type parameters ("T", "T1", "B"), which
is how ORT registers a kernel. So a gap is known exactly as

    {"op": "Relu", "domain": "", "since": 14, "types": {"T": "int16"}}

Both the probe (a probe case whose load failed, see fuzzer.probe.execute) and
`gen --check`'s validity check (a generated graph whose load failed) read the
gap the same way, here, so a gap the probe learned inside any case's model
answers for the same node in any other model.

A node binding one dtype to every parameter (Relu int16, Mul float16) names an
(op, dtype) pair; a node mixing dtypes (Cast float16 -> int8, Where with a
bool condition) names no single pair: which one of its dtypes lacks the
kernel is not known, so only the exact binding is remembered for it.
"""
from __future__ import annotations

import re

#: "Could not find an implementation for Relu(14) node with name 'n3'"
MISSING_KERNEL = re.compile(r"implementation for (\w+)\((\d+)\) node with name '([^']*)'")


def parse(message: str) -> tuple[str, int, str] | None:
    """(op type, schema version, node name) from ORT's missing-kernel message, or None."""
    m = MISSING_KERNEL.search(message)
    return (m.group(1), int(m.group(2)), m.group(3)) if m else None


def missing_kernel(model, message: str) -> dict | None:
    """The gap ORT's missing-kernel `message` names in `model` (a ModelProto or its bytes).

    Returns {"op", "domain", "since", "types": {type parameter: dtype}, "dtypes": sorted dtypes
    of the node's inputs and outputs}, or None when the message is not a missing-kernel
    error, the node is not in the model (an optimizer made it), or its types are unknown.
    """
    import onnx

    found = parse(message)
    if found is None:
        return None
    op, since, name = found
    if isinstance(model, (bytes, bytearray)):
        model = onnx.load_model_from_string(bytes(model))
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # the model was loaded by ORT, but be safe: use the declared types
        inferred = model
    graphs = list(_graphs(inferred.graph))
    node = next((n for g in graphs for n in g.node if n.op_type == op and (n.name == name or not name)), None)
    if node is None:
        return None
    elem = {}
    for g in graphs:
        elem.update({v.name: v.type.tensor_type.elem_type for v in (*g.input, *g.value_info, *g.output)
                     if v.type.HasField("tensor_type")})
        elem.update({t.name: t.data_type for t in g.initializer})
    dtype_of = {n: _dtype(elem[n]) for n in (*node.input, *node.output) if n and elem.get(n)}
    types = _binding(node, since, dtype_of)
    if types is None:
        return None
    return {"op": op, "domain": node.domain if node.domain != "ai.onnx" else "", "since": since,
            "types": types, "dtypes": sorted(set(dtype_of.values()))}


def single_dtype(gap: dict) -> str | None:
    """The one dtype of a gap whose binding uses a single dtype, else None."""
    kinds = set(gap["types"].values())
    return next(iter(kinds)) if len(kinds) == 1 else None


def key(gap: dict) -> tuple:
    """A hashable identity of a gap: (op, domain, since, sorted binding)."""
    return (gap["op"], gap.get("domain", ""), int(gap["since"]), tuple(sorted(gap["types"].items())))


def _binding(node, since: int, dtype_of: dict[str, str]) -> dict[str, str] | None:
    """{type parameter: dtype} of node under its schema at `since`; None when no parameter is
    known (every typed input unknown), or the schema is not found."""
    import onnx

    try:
        schema = onnx.defs.get_schema(node.op_type, since, node.domain)
    except Exception:
        return None
    params = {c.type_param_str for c in schema.type_constraints}
    out: dict[str, str] = {}
    for formals, actuals in ((schema.inputs, node.input), (schema.outputs, node.output)):
        for i, name in enumerate(actuals):
            if not formals:
                break
            formal = formals[min(i, len(formals) - 1)]  # a variadic last formal takes the rest
            if formal.type_str in params and name in dtype_of:
                out.setdefault(formal.type_str, dtype_of[name])
    return out or None


def _graphs(graph):
    """graph and every subgraph (If/Loop/Scan bodies) inside it, depth first."""
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _graphs(attr.g)
            for sub in attr.graphs:
                yield from _graphs(sub)


def _dtype(elem_type: int) -> str:
    from fuzzer.probe.cases import dtype_name

    return dtype_name(elem_type)
