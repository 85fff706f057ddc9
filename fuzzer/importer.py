"""ONNX ModelProto -> IR Graph.

Every node becomes one `onnx_node` (fuzzer/ops/onnx_node.py) holding its op type,
domain and attributes; every intermediate value gets the static type strict
shape inference gives it. An imported graph therefore materializes only through
the direct ONNX frontend, and its ground truth is onnx's reference evaluator,
node by node (in float64 where the op allows).

What the IR cannot hold is refused with a UsageError that says why: subgraph
attributes (If/Loop/Scan bodies), sequence, map, optional and string values,
element types the IR has no dtype for, ops outside the default domain, shapes
that are not static, and nondeterministic ops (no ground truth to compare with).

`node_test_seeds()` imports onnx's own node test cases (the models under
onnx.backend.test), so they can seed campaigns; `reproduce_node_test` checks an
import against the test's expected outputs.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from fuzzer.errors import UsageError
from fuzzer.ir import DType, Graph, TensorType, Value

#: ops whose outputs are random: no reference to judge them against
NONDETERMINISTIC = frozenset({
    "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Bernoulli", "Multinomial",
})

#: bumped whenever an import would come out differently, so no cache serves a stale one
IMPORT_VERSION = 5

_ELEM_DTYPES = {
    "FLOAT16": DType.float16, "BFLOAT16": DType.bfloat16, "FLOAT": DType.float32, "DOUBLE": DType.float64,
    "INT8": DType.int8, "UINT8": DType.uint8, "INT16": DType.int16, "INT32": DType.int32,
    "INT64": DType.int64, "BOOL": DType.bool,
}


class ImportRefused(UsageError):
    """The model holds something the IR cannot represent."""


def _dtype(elem_type: int, what: str) -> DType:
    from onnx import TensorProto

    name = TensorProto.DataType.Name(elem_type)
    try:
        return _ELEM_DTYPES[name]
    except KeyError:
        raise ImportRefused(f"{what} has element type {name}, which the IR has no dtype for") from None


def _tensor_type(vi_type, what: str) -> TensorType:
    kind = vi_type.WhichOneof("value")
    if kind != "tensor_type":
        raise ImportRefused(f"{what} is a {kind or 'untyped'} value; only tensors can be imported")
    tt = vi_type.tensor_type
    dtype = _dtype(tt.elem_type, what)
    if dtype == DType.bfloat16:
        # the truth runs on onnx.reference, which does not take the ml_dtypes arrays the IR uses
        raise ImportRefused(f"{what} is bfloat16, which onnx.reference cannot be fed from the IR's arrays")
    if not tt.HasField("shape"):
        raise ImportRefused(f"{what} has no inferred shape (unknown rank)")
    dims = []
    for d in tt.shape.dim:
        if not d.HasField("dim_value"):
            raise ImportRefused(f"{what} has a dynamic dim ({d.dim_param or '?'}); the IR holds static shapes")
        dims.append(d.dim_value)
    return TensorType(dtype, tuple(dims))


def import_model(model, *, const_inputs: dict[str, np.ndarray] | None = None,
                 domains: dict[str, tuple[float, float]] | None = None) -> Graph:
    """The IR graph of an ONNX model (a ModelProto, its bytes, or a path).

    Args:
        const_inputs: graph inputs to fix to these values (inputs that fix shapes or indices,
            which random inputs would break); they become part of the nodes that read them.
        domains: (lo, hi) to draw each remaining graph input from, by ONNX input name.
    Raises:
        ImportRefused (a UsageError) naming what cannot be imported.
    """
    import onnx
    from onnx import numpy_helper

    from fuzzer.ops.onnx_node import encode_attribute, tensor_json

    if isinstance(model, (bytes, bytearray)):
        model = onnx.load_model_from_string(bytes(model))
    elif not isinstance(model, onnx.ModelProto):
        model = onnx.load(str(model))
    const_inputs = dict(const_inputs or {})
    domains = domains or {}
    opset = _default_opset(model)
    g = model.graph
    for node in g.node:
        if node.domain not in ("", "ai.onnx"):
            raise ImportRefused(f"node {node.op_type} is in domain {node.domain!r}; only the default domain is imported")
        if node.op_type in NONDETERMINISTIC:
            raise ImportRefused(f"{node.op_type} is nondeterministic: there is no ground truth to judge it by")
        if node.op_type == "Dropout" and len(node.input) > 2 and node.input[2]:
            raise ImportRefused("Dropout with a training_mode input is nondeterministic: no ground truth to judge it by")
        for a in node.attribute:
            if a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
                raise ImportRefused(f"{node.op_type} has a subgraph attribute {a.name!r} (If/Loop/Scan bodies are not imported)")
    types = _infer_types(model, const_inputs)

    graph = Graph()
    values: dict[str, Value] = {}
    inits = {t.name: t for t in g.initializer}
    for vi in g.input:
        if vi.name in inits or vi.name in const_inputs:
            continue
        t = _tensor_type(vi.type, f"input {vi.name!r}")
        values[vi.name] = graph.add_input(t, domain=domains.get(vi.name))
    for name, array in const_inputs.items():
        # values fixed by the caller stay inside the nodes reading them (attrs "frozen"): as graph
        # constants they would be perturbed by the sensitivity probe, and a OneHot depth or a
        # Range limit moved by 1e-6 can change a shape
        if np.asarray(array).dtype.kind in "OUS":
            raise ImportRefused(f"input {name!r} holds strings")
    for name, tensor in inits.items():
        if name not in values:
            values[name] = _const(graph, numpy_helper.to_array(tensor), types, name)
    for node in g.node:
        in_slots = [i for i, n in enumerate(node.input) if n and n not in const_inputs]
        frozen = {str(i): tensor_json(const_inputs[n]) for i, n in enumerate(node.input) if n in const_inputs}
        out_slots = [i for i, n in enumerate(node.output) if n]
        operands = []
        for i in in_slots:
            name = node.input[i]
            if name not in values:
                raise ImportRefused(f"{node.op_type} reads {name!r}, which nothing defines")
            operands.append(values[name])
        outs = [types.get(node.output[i]) for i in out_slots]
        for i, t in zip(out_slots, outs):
            if t is None:
                raise ImportRefused(f"{node.op_type} output {node.output[i]!r} has no inferred type")
        try:
            attributes = {a.name: encode_attribute(a) for a in node.attribute}
        except ValueError as e:
            raise ImportRefused(f"{node.op_type}: {e}") from None
        attrs: dict[str, Any] = {
            "op_type": node.op_type, "domain": "", "opset": opset, "attributes": attributes,
            "in_slots": in_slots, "out_slots": out_slots,
            "in_types": [v.type.to_json() for v in operands], "outputs": [t.to_json() for t in outs],
        }
        if frozen:
            attrs["frozen"] = frozen
        ir_node = graph.add_node("onnx_node", operands, attrs, outs)
        for i, v in zip(out_slots, ir_node.outputs):
            values[node.output[i]] = v
    outputs = []
    for vi in g.output:
        v = values.get(vi.name)
        if v is None or v.producer().op_type == "input":
            raise ImportRefused(f"graph output {vi.name!r} is not computed by any node")
        if v.producer().op_type == "const":
            raise ImportRefused(f"graph output {vi.name!r} is a constant")
        outputs.append(v)
    if not graph.op_nodes:
        raise ImportRefused("the model has no nodes")
    graph.outputs = outputs
    # every sink is an output, as in generated graphs, so no converter prunes a node away
    sinks = [v for n in graph.op_nodes for v in n.outputs if not v.uses() and v not in outputs]
    graph.outputs = outputs + sinks
    return graph


def _default_opset(model) -> int:
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    raise ImportRefused("the model imports no default-domain opset")


def _const(graph: Graph, array: np.ndarray, types, name: str) -> Value:
    if array.dtype.kind in "OUS":
        raise ImportRefused(f"constant {name!r} holds strings")
    try:
        dtype = DType(str(array.dtype)) if str(array.dtype) != "bfloat16" else DType.bfloat16
    except ValueError:
        raise ImportRefused(f"constant {name!r} has dtype {array.dtype}, which the IR has no dtype for") from None
    return graph.add_const(array, dtype)


def _infer_types(model, const_inputs: dict[str, np.ndarray]) -> dict[str, TensorType]:
    """Every value's type from strict shape inference, with the declared output types left
    out, so a shape that depends on input values shows up as not static."""
    import onnx
    from onnx import numpy_helper

    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    if const_inputs:
        keep = [vi for vi in g.input if vi.name not in const_inputs]
        del g.input[:]
        g.input.extend(keep)
        for name, array in const_inputs.items():
            g.initializer.append(numpy_helper.from_array(np.asarray(array), name))
    del g.value_info[:]
    for vi in g.output:
        if vi.type.WhichOneof("value") != "tensor_type":
            raise ImportRefused(f"output {vi.name!r} is a {vi.type.WhichOneof('value') or 'untyped'} value; "
                                "only tensors can be imported")
        vi.type.tensor_type.ClearField("shape")
    try:
        inferred = onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True, data_prop=True)
    except Exception as e:
        raise ImportRefused(f"strict shape inference fails: {str(e).splitlines()[0][:200]}") from None
    types: dict[str, TensorType] = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
        types[vi.name] = _tensor_type(vi.type, f"value {vi.name!r}")
    return types


# -- onnx's node tests ------------------------------------------------------------
@lru_cache(maxsize=1)
def node_test_cases() -> tuple:
    """onnx's node test cases (name, model, inputs, expected outputs), from its test loader."""
    import warnings

    from onnx.backend.test.loader import load_model_tests

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = []
        for case in load_model_tests(kind="node"):
            if case.model is None or not case.data_sets:
                continue
            ins, outs = case.data_sets[0]
            out.append((case.name, case.model, list(ins), list(outs), case.rtol, case.atol))
    return tuple(out)


def import_node_test(model, inputs: list, expected: list | None = None) -> Graph:
    """A node test model as an IR graph.

    Integer inputs (indices, shapes, axes, counts) and 0-d inputs (parameters) become
    constants holding the test's values, since random ones would break the op; other float
    and bool inputs stay inputs, drawn
    from the test data's range. A test whose inputs are all integers keeps them as inputs
    (drawn from the test's range) when every shape stays static that way.
    """
    g = model.graph
    init_names = {t.name for t in g.initializer}
    names = [vi.name for vi in g.input if vi.name not in init_names]
    if len(names) != len(inputs):
        raise ImportRefused(f"{len(names)} graph inputs but {len(inputs)} test inputs")
    arrays = [as_array(name, a) for name, a in zip(names, inputs)]
    const_inputs, domains = {}, {}
    for name, a in zip(names, arrays):
        if a.dtype.kind in "iu" or a.size == 0 or a.ndim == 0:
            # integers fix shapes and indices; a 0-d input is a parameter (a dropout ratio, a
            # clip bound) whose valid range the IR does not know: all keep the test's values
            const_inputs[name] = a
        elif a.dtype.kind == "f" and np.isfinite(a.astype(np.float64)).all() and a.min() < a.max():
            domains[name] = (float(a.min()), float(a.max()))
    graph = import_model(model, const_inputs=const_inputs, domains=domains)
    if graph.inputs:
        return _agrees(graph, expected)
    ints = {n: a for n, a in const_inputs.items() if a.size}
    if not ints:
        raise ImportRefused("no input is left to draw: the case would be a constant")
    domains.update({n: _int_domain(a) for n, a in ints.items()})
    try:
        graph = import_model(model, const_inputs={n: a for n, a in const_inputs.items() if n not in ints},
                             domains=domains)
    except ImportRefused as e:
        raise ImportRefused(f"every input is an integer that fixes a shape ({e})") from None
    return _agrees(graph, expected)


def _agrees(graph: Graph, expected: list | None) -> Graph:
    """graph, unless the types shape inference gave its outputs contradict the test's expected
    outputs (seen: STFT without an explicit onesided attribute is inferred two-sided)."""
    for i, (v, e) in enumerate(zip(graph.outputs, expected or [])):
        e = as_array(f"output {i}", e)
        if v.type.shape != e.shape:
            raise ImportRefused(f"shape inference gives output {i} shape {list(v.type.shape)}, "
                                f"the test expects {list(e.shape)}")
    return graph


def _int_domain(a: np.ndarray) -> tuple[float, float]:
    """Where to draw an integer input the test fed a: its range, kept clear of zero when the
    test's values are (a divisor or modulus: integer division by zero is undefined)."""
    lo, hi = float(a.min()), float(a.max())
    if (a != 0).all() and lo < 0 < hi:
        lo, hi = (1.0, hi) if hi >= -lo else (lo, -1.0)
    return lo, hi + 0.5  # + 0.5: a non-empty interval even when every value is the same


def as_array(name: str, a) -> np.ndarray:
    from onnx import TensorProto, numpy_helper

    if isinstance(a, TensorProto):
        try:
            a = numpy_helper.to_array(a)
        except Exception as e:
            raise ImportRefused(f"input {name!r}: {e}") from None
    if isinstance(a, np.generic):
        a = np.asarray(a)
    if not isinstance(a, np.ndarray):
        raise ImportRefused(f"input {name!r} is a {type(a).__name__}, not a tensor")
    return a


def reproduce_node_test(graph: Graph, opset: int, inputs: list, expected: list, rtol: float, atol: float) -> bool:
    """Whether graph, built as a direct ONNX model at opset and run by onnx.reference on the
    test's inputs that import_node_test kept as inputs, gives the test's expected outputs."""
    from onnx.reference import ReferenceEvaluator

    from fuzzer.materialize.onnx_model import model_proto

    proto = model_proto(graph, opset)
    arrays = [as_array(str(i), a) for i, a in enumerate(inputs)]
    # the inputs import_node_test kept, in order: the non-integer ones, or (its fallback) all non-empty ones
    kept = [a for a in arrays if a.dtype.kind not in "iu" and a.size and a.ndim]
    if len(kept) != len(graph.inputs):
        kept = [a for a in arrays if a.size]
    feeds = {v.name: a for v, a in zip(graph.inputs, kept)}
    got = ReferenceEvaluator(proto).run(None, feeds)
    expected = [as_array(f"output {i}", e) for i, e in enumerate(expected)]
    if len(got) < len(expected):
        return False
    for g_, e in zip(got, expected):
        g_, e = np.asarray(g_), np.asarray(e)
        if g_.shape != e.shape or g_.dtype != e.dtype:
            return False
        if e.dtype.kind in "fc":
            if not np.allclose(g_.astype(np.float64), e.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True):
                return False
        elif not np.array_equal(g_, e):
            return False
    return True


def portable(graph: Graph, newest: int | None = None) -> bool:
    """Whether every imported node's schema at its model's opset is the one at the newest opset,
    so the node can be re-emitted there (campaigns build imported graphs at the newest opset)."""
    import onnx.defs

    newest = newest or onnx.defs.onnx_opset_version()
    for n in graph.op_nodes:
        if n.op_type != "onnx_node":
            continue
        a = n.attrs
        try:
            then = onnx.defs.get_schema(a["op_type"], a["opset"], "").since_version
            now = onnx.defs.get_schema(a["op_type"], newest, "").since_version
        except Exception:
            return False
        if then != now or onnx.defs.get_schema(a["op_type"], newest, "").deprecated:
            return False
    return True


@lru_cache(maxsize=1)
def _node_test_seed_json() -> tuple:
    out = []
    for name, model, ins, outs, _rtol, _atol in node_test_cases():
        try:
            g = import_node_test(model, ins, outs)
        except UsageError:
            continue
        if portable(g):
            out.append((f"onnx-node/{name}", g.dumps()))
    return tuple(out)


def node_test_seeds(cache_dir=None) -> dict[str, Graph]:
    """Every onnx node test that imports and can be built at the newest opset, by name.

    Importing them all takes tens of seconds; with cache_dir the result is kept there in a
    file named for the installed onnx version, so a campaign pays that once per workdir.
    """
    import json
    from pathlib import Path

    import onnx

    name = f"onnx-node-seeds-{onnx.__version__}-v{IMPORT_VERSION}.json"
    cache = Path(cache_dir) / name if cache_dir is not None else None
    if cache is not None and cache.exists():
        try:
            pairs = json.loads(cache.read_text())
            return {name: Graph.loads(text) for name, text in pairs}
        except (ValueError, KeyError):
            pass  # a damaged cache is rebuilt
    pairs = _node_test_seed_json()
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(pairs))
        tmp.replace(cache)
    return {name: Graph.loads(text) for name, text in pairs}


__all__ = ["ImportRefused", "import_model", "import_node_test", "node_test_cases", "node_test_seeds",
           "portable", "reproduce_node_test", "as_array"]


def node_test_report() -> dict:
    """Figures over every onnx node test: how many import, how many of those reproduce the
    expected outputs through import -> direct model -> onnx.reference, over how many op
    types, and the most common refusals. `python -m fuzzer.importer` prints them."""
    import collections

    refused: collections.Counter = collections.Counter()
    ops_all, ops_imported, ops_reproduced = set(), set(), set()
    imported = reproduced = port = 0
    not_reproduced = []
    cases = node_test_cases()
    for name, model, ins, outs, rtol, atol in cases:
        types = {n.op_type for n in model.graph.node}
        ops_all |= types
        try:
            g = import_node_test(model, ins, outs)
        except UsageError as e:
            refused[str(e).split(":")[0][:80]] += 1
            continue
        imported += 1
        ops_imported |= types
        port += portable(g)
        try:
            ok = reproduce_node_test(Graph.loads(g.dumps()), _default_opset(model), ins, outs, rtol, atol)
        except Exception as e:  # the reference evaluator has no kernel for some deprecated ops
            ok, why = False, f"{type(e).__name__}: {str(e)[:100]}"
        else:
            why = "outputs differ"
        if ok:
            reproduced += 1
            ops_reproduced |= types
        else:
            not_reproduced.append(f"{name}: {why}")
    return {"cases": len(cases), "imported": imported, "reproduced": reproduced, "portable_to_newest": port,
            "op_types": len(ops_all), "op_types_imported": len(ops_imported),
            "op_types_reproduced": len(ops_reproduced), "not_reproduced": not_reproduced,
            "refusals": dict(refused.most_common(15))}


if __name__ == "__main__":
    import json
    import warnings

    warnings.simplefilter("ignore")
    print(json.dumps(node_test_report(), indent=1))
