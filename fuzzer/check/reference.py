"""The ground truth of a user's ONNX model: inputs inside each op's domain, and a float64 evaluation.

A campaign's truth is torch eager in float64 on onnxfuzz's own graph. A user's
model has no such graph, so its truth is the ONNX reference evaluator on a
float64 copy of the model (every float tensor, weight, constant and cast target
widened). The reference evaluator is itself a system under test with known
gaps, so that truth is only trusted once another runtime family agrees with it
on the original model; otherwise the agreement of two independent runtimes
takes its place (see fuzzer.check.model).

The tolerance and stability machinery is the campaign's own (oracles.Reference):
`eager32` is the model as specified (the reference evaluator at the model's own
precision) and `jump` how far the float64 truth moves under a relative
perturbation of the float inputs and weights.
"""
from __future__ import annotations

import math

import numpy as np

from fuzzer.generate.builder import sample_array
from fuzzer.ir import DType, TensorType
from oracles import Reference, sensitivity_delta

#: dims a model leaves symbolic are drawn at this size
SYMBOLIC_DIM = 2

#: float input domains of ONNX ops, by (op type, input slot): inputs fed straight into these
#: slots are drawn inside them (the campaign's op specs do the same for their own ops)
_FLOAT_DOMAINS = {
    ("Log", 0): (0.05, 8.0), ("Sqrt", 0): (0.0, 8.0), ("Reciprocal", 0): (0.25, 8.0),
    ("Acos", 0): (-0.99, 0.99), ("Asin", 0): (-0.99, 0.99), ("Atanh", 0): (-0.99, 0.99),
    ("Acosh", 0): (1.01, 8.0), ("Pow", 0): (0.05, 4.0), ("Pow", 1): (-2.0, 2.0),
    ("Div", 1): (0.25, 8.0), ("Mod", 1): (0.25, 8.0), ("Tan", 0): (-1.4, 1.4),
}
#: integer slots that index along an axis of another input: (op, index slot, data slot, attr, default axis)
_INDEX_SLOTS = {
    ("Gather", 1): (0, "axis", 0), ("GatherElements", 1): (0, "axis", 0),
    ("ScatterElements", 1): (0, "axis", 0), ("GatherND", 1): (0, None, 0), ("ScatterND", 1): (0, None, 0),
}
#: integer slots that must be positive (divisors)
_INT_POSITIVE = {("Div", 1), ("Mod", 1)}

_ONNX_TO_DTYPE = {1: DType.float32, 2: DType.uint8, 3: DType.int8, 5: DType.int16, 6: DType.int32, 7: DType.int64,
                  9: DType.bool, 10: DType.float16, 11: DType.float64, 16: DType.bfloat16}
_FLOAT_ELEMS = {1, 10, 16}  # float, float16, bfloat16: widened to double (11)


def input_types(model) -> dict[str, TensorType]:
    """The model's graph inputs (not initializers), each with a concrete shape.

    Raises:
        ValueError: an input of a type onnxfuzz cannot draw (a sequence, a string tensor...).
    """
    inits = {i.name for i in model.graph.initializer}
    out = {}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        t = vi.type.tensor_type
        if not vi.type.HasField("tensor_type") or t.elem_type not in _ONNX_TO_DTYPE:
            raise ValueError(f"input {vi.name!r} has a type onnxfuzz cannot draw values for")
        shape = tuple(d.dim_value if d.HasField("dim_value") else SYMBOLIC_DIM for d in t.shape.dim)
        out[vi.name] = TensorType(_ONNX_TO_DTYPE[t.elem_type], shape)
    return out


def draw_feeds(model, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One value per graph input, inside the domain of the op slot it feeds where that is known."""
    types = input_types(model)
    shapes = _static_shapes(model)
    feeds = {}
    for name, t in types.items():
        feeds[name] = sample_array(rng, t, _domain(model, name, t, shapes))
    return feeds


def _domain(model, name: str, t: TensorType, shapes: dict) -> tuple[float, float] | None:
    lo, hi = -math.inf, math.inf
    for node in model.graph.node:
        for slot, inp in enumerate(node.input):
            if inp != name:
                continue
            key = (node.op_type, slot)
            if t.dtype.is_float and key in _FLOAT_DOMAINS:
                a, b = _FLOAT_DOMAINS[key]
                lo, hi = max(lo, a), min(hi, b)
            elif t.dtype.is_int and key in _INT_POSITIVE:
                lo = max(lo, 1)
            elif t.dtype.is_int and key in _INDEX_SLOTS:
                data_slot, attr, default = _INDEX_SLOTS[key]
                data = shapes.get(node.input[data_slot])
                if not data:
                    continue
                axis = next((a.i for a in node.attribute if a.name == attr), default) if attr else 0
                n = data[axis % len(data)]
                lo, hi = max(lo, 0), min(hi, n - 1)
    if lo == -math.inf and hi == math.inf:
        return None
    return lo, hi


def _static_shapes(model) -> dict[str, tuple[int, ...]]:
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:
        inferred = model
    out = {}
    for vi in [*inferred.graph.input, *inferred.graph.value_info, *inferred.graph.output]:
        dims = vi.type.tensor_type.shape.dim
        out[vi.name] = tuple(d.dim_value if d.HasField("dim_value") else SYMBOLIC_DIM for d in dims)
    for init in model.graph.initializer:
        out[init.name] = tuple(init.dims)
    return out


def widen(model):
    """A float64 copy of model (every float, float16 and bfloat16 tensor, weight, constant and
    cast target made double), or None when the copy does not pass the full checker: some ops
    take no double at some opsets, and then the model is its own reference."""
    import onnx
    from onnx import TensorProto, numpy_helper

    m = onnx.ModelProto()
    m.CopyFrom(model)
    if not any([_widen_types(g) for g in _graphs(m.graph)]):  # a list: every (sub)graph is widened
        return None  # nothing to widen: the model computes in ints and bools
    for g in _graphs(m.graph):
        for i, init in enumerate(g.initializer):
            if init.data_type in _FLOAT_ELEMS:
                wide = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float64), init.name)
                g.initializer[i].CopyFrom(wide)
        for node in g.node:
            for a in node.attribute:
                if a.type == onnx.AttributeProto.TENSOR and a.t.data_type in _FLOAT_ELEMS:
                    a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float64), a.t.name))
                elif a.name in ("to", "dtype") and a.type == onnx.AttributeProto.INT and a.i in _FLOAT_ELEMS:
                    a.i = TensorProto.DOUBLE
            if node.op_type == "Constant" and any(a.name in ("value_float", "value_floats") for a in node.attribute):
                a = next(a for a in node.attribute if a.name in ("value_float", "value_floats"))
                value = np.asarray(a.f if a.name == "value_float" else list(a.floats), np.float64)
                node.ClearField("attribute")
                node.attribute.append(onnx.helper.make_attribute("value", numpy_helper.from_array(value)))
    try:
        onnx.checker.check_model(m, full_check=True)
    except Exception:
        return None
    return m


def _graphs(graph):
    """graph and every subgraph (If, Loop, Scan bodies) inside it."""
    import onnx

    yield graph
    for node in graph.node:
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield from _graphs(a.g)
            elif a.type == onnx.AttributeProto.GRAPHS:
                for g in a.graphs:
                    yield from _graphs(g)


def _widen_types(graph) -> bool:
    from onnx import TensorProto

    changed = False
    del graph.value_info[:]  # the checker's inference recomputes them at double
    for vi in [*graph.input, *graph.output]:
        t = vi.type.tensor_type
        if t.elem_type in _FLOAT_ELEMS:
            t.elem_type = TensorProto.DOUBLE
            changed = True
    if any(i.data_type in _FLOAT_ELEMS for i in graph.initializer):
        changed = True
    return changed


def evaluate(model, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """model's outputs on the ONNX reference evaluator."""
    from onnx.reference import ReferenceEvaluator

    names = {vi.name for vi in model.graph.input}
    return [np.asarray(o) for o in ReferenceEvaluator(model).run(None, {k: v for k, v in feeds.items() if k in names})]


def _as_wide(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: (v.astype(np.float64) if _is_float(v) else v) for k, v in feeds.items()}


def _is_float(a: np.ndarray) -> bool:
    return a.dtype.kind == "f" or a.dtype.name == "bfloat16"


def output_dtypes(model) -> list[str]:
    return [_ONNX_TO_DTYPE[o.type.tensor_type.elem_type].value if o.type.tensor_type.elem_type in _ONNX_TO_DTYPE
            else "unknown" for o in model.graph.output]


def output_ops(model) -> list[list[str]]:
    """Per graph output: the op types it depends on (what a verdict's signature names)."""
    producer = {o: n for n in model.graph.node for o in n.output}
    out = []
    for vi in model.graph.output:
        seen, stack, ops = set(), [vi.name], set()
        while stack:
            name = stack.pop()
            node = producer.get(name)
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            ops.add(node.op_type)
            stack.extend(i for i in node.input if i)
        out.append(sorted(ops))
    return out


def float64_reference(model, wide, feeds: dict[str, np.ndarray], rng: np.random.Generator) -> Reference | None:
    """The campaign's Reference for model at feeds, from the float64 copy `wide` (or the model
    itself when it computes in ints only); None when the truth is not finite."""
    dtypes = output_dtypes(model)
    source = wide if wide is not None else model
    truth = [np.asarray(t, np.float64) if _is_float(np.asarray(t)) else np.asarray(t) for t in evaluate(source, _as_wide(feeds))]
    if any(_is_float(t) and not np.isfinite(t).all() for t in truth):
        return None
    eager = evaluate(model, feeds) if wide is not None else truth
    delta = sensitivity_delta([d for d in dtypes if d != "unknown"])
    jump = _sensitivity(source, _as_wide(feeds), truth, rng, delta)
    return Reference(truth=truth, eager32=[np.asarray(e) for e in eager], jump=jump, dtypes=dtypes,
                     ops=output_ops(model), delta=delta)


def _sensitivity(model, feeds, truth, rng, delta: float, rounds: int = 2) -> list[np.ndarray]:
    """Elementwise max |truth(x * (1 +- delta)) - truth(x)| over a few sign patterns of the float inputs and weights."""
    import onnx
    from onnx import numpy_helper

    jump = [np.zeros(np.shape(t)) for t in truth]
    for _ in range(rounds):
        m = onnx.ModelProto()
        m.CopyFrom(model)
        for i, init in enumerate(m.graph.initializer):
            a = numpy_helper.to_array(init)
            if a.dtype.kind == "f":
                m.graph.initializer[i].CopyFrom(numpy_helper.from_array(_wiggle(a, rng, delta), init.name))
        moved = {k: (_wiggle(v, rng, delta) if v.dtype.kind == "f" else v) for k, v in feeds.items()}
        try:
            out = evaluate(m, moved)
        except Exception:
            return [np.full(np.shape(t), np.inf) for t in truth]  # nothing is known: nothing is judged
        for i, (o, t) in enumerate(zip(out, truth)):
            d = np.abs(np.asarray(o, np.float64) - np.asarray(t, np.float64))
            jump[i] = np.maximum(jump[i], np.where(np.isfinite(d), d, np.inf))
    return jump


def _wiggle(a: np.ndarray, rng: np.random.Generator, delta: float) -> np.ndarray:
    signs = rng.choice([-1.0, 1.0], size=a.shape)
    return (a * (1 + delta * signs)).astype(a.dtype)


def agreement_reference(outputs: list[np.ndarray], dtypes: list[str], ops: list[list[str]]) -> Reference:
    """A Reference from one runtime's outputs, for judging by agreement where no float64 truth
    exists: no measured sensitivity, so only the dtype's own tolerance applies."""
    truth = [np.asarray(o, np.float64) if _is_float(np.asarray(o)) else np.asarray(o) for o in outputs]
    return Reference(truth=truth, eager32=[np.asarray(t) for t in truth], jump=[np.zeros(np.shape(t)) for t in truth],
                     dtypes=dtypes, ops=ops)
