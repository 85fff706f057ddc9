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

import hashlib
import json
from functools import lru_cache

import numpy as np

from fuzzer.probe.cases import ProbeCase

PREFIX = "spec:"
#: the opset the models are built at (raised to an op's min_opset); a kernel gap rarely
#: depends on the opset, and one opset keeps the probe within its time budget
OPSET = 18
SEEDS = 6  # generation attempts per (spec, dtype) before giving up on the pair


def signature() -> str:
    """What the spec cases depend on (the specs, their dtypes and lowerings, the generator):
    part of the probe's cache key, without building a single case."""
    from fuzzer.ops import all_specs
    from fuzzer.version import GENERATOR_VERSION

    basis = [(s.name, sorted(d.value for d in s.dtypes), s.has_onnx, s.min_opset) for s in all_specs()]
    return hashlib.sha256(json.dumps([GENERATOR_VERSION, OPSET, basis]).encode()).hexdigest()[:12]


@lru_cache(maxsize=1)
def spec_cases() -> tuple[ProbeCase, ...]:
    """One case per (op spec with an onnx lowering, dtype it accepts) that a small graph reaches."""
    from fuzzer.ops import all_specs

    out = []
    for spec in all_specs():
        if not spec.has_onnx:
            continue
        for dtype in sorted(spec.dtypes, key=lambda d: d.value):
            case = _case(spec, dtype)
            if case is not None:
                out.append(case)
    return tuple(out)


def _case(spec, dtype) -> ProbeCase | None:
    from fuzzer.choices import NumpyChoices
    from fuzzer.generate import GenConfig, generate
    from fuzzer.materialize.onnx_model import model_proto
    from fuzzer.run.eager import reference

    config = GenConfig(min_nodes=1, max_nodes=3, max_inputs=3, max_rank=3, max_dim=4, dtypes=frozenset({dtype}),
                       ops=(spec.name,), frontend="onnx", control_flow=spec.control_flow)
    for seed in range(SEEDS):
        try:
            choices = NumpyChoices(seed)
            graph = generate(choices, config)
            node = next((n for n in graph.op_nodes if n.op_type == spec.name), None)
            if node is None or not node.inputs or node.inputs[0].type.dtype != dtype:
                continue
            found = reference(graph, choices)
            if found is None:
                continue
            ref, inputs = found
            opset = max(OPSET, spec.min_opset)
            model = model_proto(graph, opset).SerializeToString()
        except Exception:  # a spec this probe cannot build for: no case, no answer (never a guess)
            continue
        outputs = tuple(np.asarray(t).astype(v.type.dtype.numpy) for t, v in zip(ref.truth, graph.outputs))
        return ProbeCase(
            name=f"{PREFIX}{spec.name}:{dtype.value}", op=f"{PREFIX}{spec.name}", dtype=dtype.value,
            opset=opset, since=opset, model=model, inputs=tuple(inputs[v.name] for v in graph.inputs),
            outputs=outputs, rtol=1e-2, atol=1e-3,
        )
    return None
