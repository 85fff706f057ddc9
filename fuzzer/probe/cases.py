"""Probe cases: ONNX's own node tests, one op each, with known inputs and outputs.

`onnx.backend.test.loader.load_model_tests(kind="node")` builds them in memory
(about 1,900 models; it takes a few seconds, once per process). The
`*_expanded*` variants are left out: they test an op's function body, not the
op. Every other node test is a single node, so it names exactly one
(op, input dtype, opset) combination.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class ProbeCase:
    name: str
    #: op type, prefixed with its domain outside ai.onnx ("ai.onnx.ml.LabelEncoder")
    op: str
    #: the op's first input type: a dtype name ("float32", "int64", "bool"), "seq(float32)", ...
    dtype: str
    #: the model's opset for the op's domain
    opset: int
    #: the op's schema version at that opset (the opset in which the op last changed)
    since: int
    model: bytes
    inputs: tuple  # values in graph input order (arrays, or lists for sequences)
    #: expected values, in graph output order; None when only loading and running are judged
    outputs: tuple | None
    rtol: float
    atol: float

    @property
    def input_names(self) -> list[str]:
        import onnx

        graph = onnx.load_model_from_string(self.model).graph
        init = {t.name for t in graph.initializer}
        return [i.name for i in graph.input if i.name not in init]


_DEFAULT_DOMAINS = ("", "ai.onnx")


def op_key(op_type: str, domain: str) -> str:
    return op_type if domain in _DEFAULT_DOMAINS else f"{domain}.{op_type}"


def dtype_name(elem_type: int) -> str:
    """numpy-style name of an ONNX element type: FLOAT -> float32, FLOAT8E4M3FN -> float8e4m3fn."""
    from onnx import TensorProto

    special = {TensorProto.FLOAT: "float32", TensorProto.DOUBLE: "float64", TensorProto.UNDEFINED: "undefined"}
    if elem_type in special:
        return special[elem_type]
    return TensorProto.DataType.Name(elem_type).lower()


def type_name(tp) -> str:
    """A readable name for an ONNX TypeProto: "float32", "seq(int64)", "opt(seq(float32))", "map(int64,float32)"."""
    which = tp.WhichOneof("value")
    if which == "tensor_type":
        return dtype_name(tp.tensor_type.elem_type)
    if which == "sparse_tensor_type":
        return f"sparse({dtype_name(tp.sparse_tensor_type.elem_type)})"
    if which == "sequence_type":
        return f"seq({type_name(tp.sequence_type.elem_type)})"
    if which == "optional_type":
        return f"opt({type_name(tp.optional_type.elem_type)})"
    if which == "map_type":
        return f"map({dtype_name(tp.map_type.key_type)},{type_name(tp.map_type.value_type)})"
    return "undefined"


def since_version(op_type: str, domain: str, opset: int) -> int | None:
    """The version of op_type's schema in force at opset, or None when the op does not exist there."""
    import onnx

    try:
        return onnx.defs.get_schema(op_type, opset, domain).since_version
    except Exception:
        return None


def _describe(name: str, proto, rtol: float, atol: float, data) -> ProbeCase | None:
    graph = proto.graph
    if len(graph.node) != 1:
        return None
    node = graph.node[0]
    domain = node.domain
    domains = _DEFAULT_DOMAINS if domain in _DEFAULT_DOMAINS else (domain,)
    opset = next((o.version for o in proto.opset_import if o.domain in domains), None)
    if opset is None:
        return None
    since = since_version(node.op_type, domain, opset) or opset
    types = {vi.name: vi.type for vi in list(graph.input) + list(graph.value_info) + list(graph.output)}
    for t in graph.initializer:
        if t.name not in types:
            from onnx import helper

            types[t.name] = helper.make_tensor_type_proto(t.data_type, list(t.dims))
    first = next((i for i in node.input if i), None)
    if first is not None and first in types:
        dtype = type_name(types[first])
    elif node.output and node.output[0] in types:  # ops without inputs (Constant, RandomNormal, ...)
        dtype = type_name(types[node.output[0]])
    else:
        dtype = "undefined"
    inputs, outputs = (tuple(_value(v) for v in vs) for vs in data)
    return ProbeCase(
        name=name, op=op_key(node.op_type, domain), dtype=dtype, opset=opset, since=since,
        model=proto.SerializeToString(), inputs=tuple(inputs), outputs=tuple(outputs), rtol=rtol, atol=atol,
    )


def _value(v):
    """A test value as runtimes take it: numpy arrays (numpy scalars and TensorProtos converted),
    lists for sequences, None for an empty optional."""
    if isinstance(v, list):
        return [_value(x) for x in v]
    if v is None or isinstance(v, dict):
        return v
    if type(v).__name__ == "TensorProto":
        from onnx import numpy_helper

        return numpy_helper.to_array(v)
    return np.asarray(v)


@lru_cache(maxsize=1)
def node_cases() -> tuple[ProbeCase, ...]:
    """Every single-op node test onnx ships, sorted by name."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the generators overflow on purpose (casts, log(0), ...)
        with np.errstate(all="ignore"):
            from onnx.backend.test.loader import load_model_tests

            tests = load_model_tests(kind="node")
    out = []
    for t in tests:
        if "_expanded" in t.name or not t.data_sets or t.model is None:
            continue
        case = _describe(t.name, t.model, t.rtol, t.atol, t.data_sets[0])
        if case is not None:
            out.append(case)
    return tuple(sorted(out, key=lambda c: c.name))


def select(names: str | None = None, ops: tuple[str, ...] | None = None) -> tuple[ProbeCase, ...]:
    """Node cases whose name matches the regex `names` and whose op is in `ops` (either may be None)."""
    pattern = re.compile(names) if names else None
    return tuple(
        c for c in node_cases()
        if (pattern is None or pattern.search(c.name)) and (ops is None or c.op in ops)
    )


def spread(cases) -> list[ProbeCase]:
    """The cases reordered round-robin over ops, so that a probe cut short by its time budget
    has still tried every op at least once."""
    by_op: dict[str, list[ProbeCase]] = {}
    for c in cases:
        by_op.setdefault(c.op, []).append(c)
    queues = [by_op[k] for k in sorted(by_op)]
    out = []
    depth = 0
    while len(out) < len(cases):
        for q in queues:
            if depth < len(q):
                out.append(q[depth])
        depth += 1
    return out


#: the dtypes a node test is retyped to (onnxfuzz's dtypes, as ONNX element type names)
RETYPE_DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool")
RETYPED = ":as:"


@lru_cache(maxsize=1)
def retyped_cases() -> tuple[ProbeCase, ...]:
    """Node tests moved to the other dtypes their op's schema allows, for the kernels alone.

    ONNX's node tests are nearly all float32, and a kernel gap at another dtype shows only
    where some model has that op at that dtype: a spec case reaches ReduceSum in bfloat16
    only when its attributes happen to ask for it. So the first node test of each (op, schema
    version) is also built with the type parameter of its first input bound to every other
    dtype the schema allows. There is no expected output at that dtype: such a case is judged
    on loading and running only (outputs None), which is what a kernel gap is about.
    """
    out = []
    seen = set()
    for case in node_cases():
        if (case.op, case.since) in seen or case.dtype not in RETYPE_DTYPES:
            continue
        seen.add((case.op, case.since))
        for dtype in RETYPE_DTYPES:
            if dtype == case.dtype:
                continue
            moved = _retype(case, dtype)
            if moved is not None:
                out.append(moved)
    return tuple(out)


def _retype(case: ProbeCase, dtype: str) -> ProbeCase | None:
    """case with its first input's type parameter bound to dtype, or None when the schema
    does not allow that, or the model does not say where that parameter is used."""
    import onnx
    from onnx import numpy_helper

    from fuzzer.ir import DType

    model = onnx.load_model_from_string(case.model)
    graph = model.graph
    node = graph.node[0]
    try:
        schema = onnx.defs.get_schema(node.op_type, case.opset, node.domain)
    except Exception:
        return None
    if not schema.inputs or not node.input:
        return None
    param = schema.inputs[0].type_str
    allowed = {c.type_param_str: set(c.allowed_type_strs) for c in schema.type_constraints}.get(param)
    spelled = {"float32": "float", "float64": "double"}.get(dtype, dtype)
    if not allowed or f"tensor({spelled})" not in allowed:
        return None
    names = set()
    for formals, actuals in ((schema.inputs, node.input), (schema.outputs, node.output)):
        for i, name in enumerate(actuals):
            if formals and name and formals[min(i, len(formals) - 1)].type_str == param:
                names.add(name)
    elem = onnx.helper.np_dtype_to_tensor_dtype(DType(dtype).numpy)
    for vi in (*graph.input, *graph.output, *graph.value_info):
        if vi.name in names:
            if not vi.type.HasField("tensor_type"):
                return None
            vi.type.tensor_type.elem_type = elem
    for i, t in enumerate(graph.initializer):
        if t.name in names:
            graph.initializer[i].CopyFrom(numpy_helper.from_array(_cast(numpy_helper.to_array(t), dtype), t.name))
    order = case.input_names
    inputs = []
    for name, value in zip(order, case.inputs):
        if name in names:
            if not isinstance(value, np.ndarray):
                return None
            value = _cast(value, dtype)
        inputs.append(value)
    return ProbeCase(
        name=f"{case.name}{RETYPED}{dtype}", op=case.op, dtype=dtype, opset=case.opset, since=case.since,
        model=model.SerializeToString(), inputs=tuple(inputs), outputs=None, rtol=case.rtol, atol=case.atol,
    )


def _cast(value: np.ndarray, dtype: str) -> np.ndarray:
    """value in dtype, kept in a small range so that int casts of float test data stay defined."""
    from fuzzer.ir import DType

    target = DType(dtype).numpy
    if value.dtype.kind == "f" and np.dtype(target).kind in "iub":
        value = np.clip(np.nan_to_num(value), -8, 8)
    with np.errstate(all="ignore"):
        return value.astype(target)
