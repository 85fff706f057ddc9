"""Probe cases built from onnxfuzz's own op specs: one (op spec, dtype) pair each.

ONNX's node tests are almost all float32, so they cannot say whether a
runtime has, say, an int8 Neg or a bfloat16 Conv; and their keys are ONNX op
types, while the generator chooses op specs. These cases close both gaps:
for every op spec with a direct ONNX lowering and every dtype it accepts, a
small generated graph whose op takes that dtype is built as an ONNX model and
run. Their records use the op key "spec:<name>", so steering can ask about
exactly the (spec, dtype) pairs it would generate.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import lru_cache

import numpy as np

from fuzzer.probe.cases import ProbeCase

PREFIX = "spec:"
#: the opset a case's model is built at first (raised to an op's min_opset). ORT registers its
#: kernels per range of an op's schema versions, so the same graph is also built at one opset
#: of every other range of schema versions its ONNX ops go through between 13 and the newest
#: opset (Relu(13) and Relu(14) are two kernels; an op whose function body is for one opset
#: is another case there, see _since); those cases are named "...@<opset>"
OPSET = 18
LOWEST = 13
AT = "@"
SEEDS = 6  # generation attempts per (spec, dtype) before giving up on the pair
#: further draws per (spec, dtype) looking for other dtype layouts of the spec's nodes
VARIANTS = 3
VARIANT = "~"


def signature() -> str:
    """What the spec cases depend on (the specs, their dtypes and lowerings, the generator):
    part of the probe's cache key, without building a single case."""
    from fuzzer.ops import all_specs
    from fuzzer.version import GENERATOR_VERSION

    basis = [(s.name, sorted(d.value for d in s.dtypes), s.has_onnx, s.first_opset) for s in all_specs()]
    return hashlib.sha256(json.dumps([GENERATOR_VERSION, OPSET, LOWEST, VARIANTS, basis]).encode()).hexdigest()[:12]


@lru_cache(maxsize=1)
def spec_cases() -> tuple[ProbeCase, ...]:
    """One case per (op spec with an onnx lowering, dtype it accepts) that a small graph reaches."""
    from fuzzer.ops import all_specs

    out = []
    for spec in all_specs():
        if not spec.has_onnx:
            continue
        for dtype in sorted(spec.dtypes, key=lambda d: d.value):
            out.extend(_cases(spec, dtype))
    return tuple(out)


def at_first_opset(cases) -> tuple[ProbeCase, ...]:
    """One case per (spec, dtype), at the spec's first opset: without those at further opsets
    ("...@<opset>") and the further dtype layouts ("...~<seed>")."""
    return tuple(c for c in cases if AT not in c.name and VARIANT not in c.name)


def _cases(spec, dtype) -> list[ProbeCase]:
    """The cases of (spec, dtype): the first graph whose truth is finite, judged on its values;
    then, among VARIANTS further draws, each graph whose spec nodes bind dtypes no earlier graph
    did (a sum to bfloat16 from float32, an EyeLike of another output dtype: other kernels),
    judged on loading and running only, as no truth is computed for them."""
    from fuzzer.choices import NumpyChoices
    from fuzzer.generate import GenConfig, draw_inputs, generate
    from fuzzer.generate.generator import DEFAULT_DTYPES
    from fuzzer.run.eager import reference

    config = GenConfig(min_nodes=1, max_nodes=3, max_inputs=3, max_rank=3, max_dim=4, dtypes=frozenset({dtype}),
                       ops=(spec.name,), frontend="onnx", control_flow=spec.control_flow)
    mixed = dataclasses.replace(config, dtypes=config.dtypes | DEFAULT_DTYPES)
    opset, lowest = max(OPSET, spec.first_opset), max(LOWEST, spec.first_opset)
    name = f"{PREFIX}{spec.name}:{dtype.value}"
    out: list[ProbeCase] = []
    seen: set = set()
    first = None  # the seed of the judged case
    for seed in range(SEEDS + VARIANTS):
        if first is None and seed >= SEEDS or first is not None and seed > first + VARIANTS:
            break
        try:
            choices = NumpyChoices(seed)
            # the variants may use any dtype besides the spec's input one: an attribute such as
            # sum's dtype= draws from the graph's dtypes, and the layouts to find need others
            graph = generate(choices, config if first is None else mixed)
            node = next((n for n in graph.op_nodes if n.op_type == spec.name), None)
            if node is None or not node.inputs or node.inputs[0].type.dtype != dtype:
                continue
            layout = frozenset(
                (tuple(v.type.dtype.value for v in n.inputs), tuple(v.type.dtype.value for v in n.outputs))
                for n in graph.op_nodes if n.op_type == spec.name)
            if out and layout <= seen:
                continue
            if out:
                inputs, outputs = draw_inputs(graph, choices, special=0.0), None
            else:
                found = reference(graph, choices, special=False)
                if found is None:
                    continue
                ref, inputs = found
                outputs = tuple(np.asarray(t).astype(v.type.dtype.numpy) for t, v in zip(ref.truth, graph.outputs))
            models = _models(graph, opset, lowest)
        except Exception:  # a spec this probe cannot build for: no case, no answer (never a guess)
            continue
        base = name if not out else f"{name}{VARIANT}{seed}"
        first = seed if first is None else first
        seen |= layout
        out.extend(
            ProbeCase(
                name=base if at == opset else f"{base}{AT}{at}", op=f"{PREFIX}{spec.name}", dtype=dtype.value,
                opset=at, since=at, model=model, inputs=tuple(inputs[v.name] for v in graph.inputs),
                outputs=outputs, rtol=1e-2, atol=1e-3,
            )
            for at, model in models.items()
        )
    return out


def _models(graph, opset: int, lowest: int) -> dict[int, bytes]:
    """{opset: serialized model} of graph: at `opset`, and at the lowest opset of every other
    combination of schema versions of its ONNX ops in [lowest, newest]. The ops are read off the
    models at `opset` and at the newest opset (a lowering may use a newer op where it exists)."""
    import onnx

    from fuzzer.materialize.onnx_model import model_proto

    newest = onnx.defs.onnx_opset_version()
    first = model_proto(graph, opset)
    # a model the checker rejects asks the runtime nothing about kernels: the caller draws again
    onnx.checker.check_model(first, full_check=True)
    onnx.shape_inference.infer_shapes(first, check_type=True, strict_mode=True)
    built = {opset: first}
    try:
        built[newest] = model_proto(graph, newest)
    except Exception:  # the case at `opset` still stands
        pass
    ops = sorted({(n.op_type, n.domain) for m in built.values() for n in _nodes(m.graph)})

    def versions(at: int) -> tuple:
        return tuple(_since(op, domain, at) for op, domain in ops)

    groups: dict[tuple, int] = {versions(opset): opset}
    for at in range(lowest, newest + 1):
        groups.setdefault(versions(at), at)
    out = {}
    # the case at `opset` first: a probe cut short by its budget still has it (see cases.spread)
    for at in [opset] + sorted(set(groups.values()) - {opset}):
        try:
            out[at] = (built.get(at) or model_proto(graph, at)).SerializeToString()
        except Exception:  # a lowering that cannot be built at that opset: no case there
            continue
    return out


def _nodes(graph):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _nodes(attr.g)
            for sub in attr.graphs:
                yield from _nodes(sub)


@lru_cache(maxsize=None)
def _since(op: str, domain: str, opset: int) -> tuple | None:
    """What decides op's kernels in a model at opset: its schema version and, when ONNX Runtime
    would inline its function body there, the body's version and its ops' own keys.

    ORT inlines a node it has no kernel for when the op has a function body for an opset at
    or below the model's, and every op the body uses has the same schema version at the
    model's opset as at the body's (measured: Relu(14) on int64 loads at opset 18 only, through
    its body for 18; LeakyRelu's body for 16 serves 16 to 18).
    """
    import onnx

    try:
        schema = onnx.defs.get_schema(op, opset, domain)
    except Exception:
        return None
    from fuzzer.probe.gaps import inlined_body

    body = inlined_body(schema, opset)
    if body is None:
        # a context-dependent body's ops depend on the node: its version is all there is to key on
        context = [v for v in schema.context_dependent_function_opset_versions if v <= opset]
        return (schema.since_version, max(context)) if context else (schema.since_version,)
    version, ops = body
    return (schema.since_version, version, tuple(_since(o, d, opset) for o, d in ops))
