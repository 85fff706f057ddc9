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

# ORT's type error inside a function body it inlined for a missing kernel: the model is valid,
# the kernel is missing all the same
from fuzzer.run.plugins.onnxruntime import BODY_TYPE_ERROR

#: "Could not find an implementation for Relu(14) node with name 'n3'", and when ORT has kernels
#: of the op but none fits: "Failed to find kernel for OneHot(11) (node:'n3' ep:'CPUExecutionProvider')"
MISSING_KERNEL = re.compile(r"(?:implementation|kernel) for (\w+)\((\d+)\) (?:node with name '([^']*)'|\(node:'([^']*)')")




def parse(message: str) -> tuple[str, int | None, str] | None:
    """(op type, schema version, node name) from ORT's missing-kernel message, or None. From a
    type error inside an inlined function body: (the body's op type, None, "")."""
    m = MISSING_KERNEL.search(message)
    if m:
        return m.group(1), int(m.group(2)), m.group(3) if m.group(3) is not None else m.group(4)
    m = BODY_TYPE_ERROR.search(message)
    return (m.group(1), None, "") if m else None


def missing_kernel(model, message: str) -> dict | None:
    """The gap ORT's missing-kernel `message` names in `model` (a ModelProto or its bytes).

    Returns {"op", "domain", "since", "types": {type parameter: dtype}, "dtypes": sorted dtypes
    of the node's inputs and outputs}, or None when the message is not a missing-kernel
    error, the node is not in the model (an optimizer made it), or its types are unknown.
    A nameless node is one ORT made inlining a function op's body (LeakyRelu at opset 16 is
    Less, Mul and Where): the gap is then the function op's, with "inlined" naming the
    body's node.
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
    node = None
    if since is not None:
        node = next((n for g in graphs for n in g.node if n.op_type == op and (n.name == name or not name)), None)
    inlined = None
    if node is None and not name:
        # ORT inlined a function op of the model (its kernel missing, its body defined for the
        # model's opset) and a node of the body has no kernel either: the gap is the function op's
        types = {v.name: v.type for g in graphs for v in (*g.input, *g.value_info, *g.output)}
        for g in graphs:
            for t in g.initializer:
                types.setdefault(t.name, onnx.helper.make_tensor_type_proto(t.data_type, list(t.dims)))
        node = _inlining(graphs, op, {o.domain: o.version for o in model.opset_import}, types)
        if node is None:
            return None
        inlined = f"{op}({since})" if since is not None else f"{op} (type error in the body)"
        since = _schema_version(node, model)
    if node is None:
        return None
    elem = {}
    for g in graphs:
        elem.update({v.name: v.type.tensor_type.elem_type for v in (*g.input, *g.value_info, *g.output)
                     if v.type.HasField("tensor_type")})
        elem.update({t.name: t.data_type for t in g.initializer})
    if any(n and not elem.get(n) for n in (*node.input, *node.output)):
        _propagate(graphs, elem, {o.domain: o.version for o in model.opset_import})
    dtype_of = {n: _dtype(elem[n]) for n in (*node.input, *node.output) if n and elem.get(n)}
    types = _binding(node, since, dtype_of)
    if types is None:
        return None
    gap = {"op": node.op_type, "domain": node.domain if node.domain != "ai.onnx" else "", "since": since,
           "types": types, "dtypes": sorted(set(dtype_of.values()))}
    if inlined:
        gap["inlined"] = inlined  # the body's node ORT named; not part of the gap's key
    return gap


def _opset_of(domain: str, opsets: dict[str, int]) -> int | None:
    return opsets.get(domain, opsets.get("ai.onnx")) if domain in ("", "ai.onnx") else opsets.get(domain)


def _inlining(graphs, op: str, opsets: dict[str, int], types: dict):
    """The first node whose function body, as ORT would inline it at the model's opset, holds an
    `op` node, directly or in a body inlined inside it."""
    nodes = [n for g in graphs for n in g.node]
    for n in nodes:
        opset = _opset_of(n.domain, opsets)
        if opset is not None and _reaches(n.op_type, n.domain, opset, op, 3):
            return n
    # a context-dependent body (Gelu, Softmax, Celu) is built from the node and its input types
    for n in nodes:
        opset = _opset_of(n.domain, opsets)
        if opset is not None and op in _context_body(n, opset, types):
            return n
    return None


def _context_body(node, opset: int, types: dict) -> set[str]:
    """The op types of node's context-dependent function body at opset (empty when none)."""
    import onnx

    try:
        schema = onnx.defs.get_schema(node.op_type, opset, node.domain)
        versions = [v for v in schema.context_dependent_function_opset_versions if v <= opset]
        if not versions or any(i and i not in types for i in node.input):
            return set()
        raw = schema.get_context_dependent_function_with_opset_version(
            max(versions), node.SerializeToString(), [types[i].SerializeToString() for i in node.input if i])
    except Exception:
        return set()
    body = onnx.FunctionProto()
    body.ParseFromString(raw)
    return {n.op_type for n in body.node}


def _reaches(op_type: str, domain: str, opset: int, target: str, depth: int) -> bool:
    import onnx

    try:
        schema = onnx.defs.get_schema(op_type, opset, domain)
    except Exception:
        return False
    body = inlined_body(schema, opset)
    if body is None or depth == 0:
        return False
    return any(o == target or _reaches(o, d, opset, target, depth - 1) for o, d in body[1])


def inlined_body(schema, opset: int) -> tuple[int, list] | None:
    """(version, sorted (op, domain) of its nodes) of the function body ONNX Runtime inlines for
    a node of `schema` in a model at `opset` when it has no kernel for it, or None.

    Measured on ORT 1.32: the body is the one for the newest opset at or below the model's,
    used only when every op it calls has the same schema version at the model's opset as at
    the body's (Relu(14) on int64 loads at opset 18 alone, through its body for 18; LeakyRelu's
    body for 16 serves 16 to 18).
    """
    import onnx

    versions = [v for v in schema.function_opset_versions if v <= opset]
    if not versions:
        return None
    version = max(versions)
    body = onnx.FunctionProto()
    body.ParseFromString(schema.get_function_with_opset_version(version))
    ops = sorted({(n.op_type, n.domain) for n in body.node})
    for op, domain in ops:
        if domain not in ("", "ai.onnx"):
            continue
        try:
            if onnx.defs.get_schema(op, version, domain).since_version != onnx.defs.get_schema(op, opset, domain).since_version:
                return None
        except Exception:
            return None
    return version, ops


def _schema_version(node, model) -> int:
    import onnx

    opsets = {o.domain: o.version for o in model.opset_import}
    return onnx.defs.get_schema(node.op_type, _opset_of(node.domain, opsets), node.domain).since_version


def _propagate(graphs, elem: dict[str, int], opsets: dict[str, int]) -> None:
    """Fill in elem the types shape inference left out, by the schemas' type parameters: an
    output bound to the same parameter as a typed input has its type (onnx infers no type after
    some ops, e.g. GroupNormalization at opset 21, and then none downstream either)."""
    import onnx

    for g in graphs:
        for node in g.node:  # ONNX nodes are in topological order
            opset = _opset_of(node.domain, opsets)
            try:
                schema = onnx.defs.get_schema(node.op_type, opset, node.domain)
            except Exception:
                continue
            bound = {}
            for i, name in enumerate(node.input):
                if schema.inputs and name and elem.get(name):
                    bound.setdefault(schema.inputs[min(i, len(schema.inputs) - 1)].type_str, elem[name])
            for i, name in enumerate(node.output):
                if schema.outputs and name and not elem.get(name):
                    param = schema.outputs[min(i, len(schema.outputs) - 1)].type_str
                    if param in bound:
                        elem[name] = bound[param]


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
