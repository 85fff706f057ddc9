"""Is a generated graph valid? The checks behind `onnxfuzz gen --check`.

The generator promises valid graphs by construction; this module holds it to
that promise, one graph at a time:

1. torch eager runs the graph (the float64 truth, fuzzer.run.eager.reference);
   when no input draw gives a finite truth the graph is "discarded", which is
   counted apart and is not a validity failure (the later checks still run);
2. when every op has an ONNX lowering, onnxfuzz's own direct model of the graph
   passes `onnx.checker.check_model(full_check=True)` and strict shape
   inference, and ONNX Runtime loads it. A load refused for a missing kernel
   is valid only when ONNX Runtime's cached capability probe records that
   (op, dtype) as unsupported; a refusal the probe does not know is counted
   as an unprobed kernel gap, neither valid nor invalid;
3. a graph of the torch frontend is also exported with TorchScript and the
   exported model checked the same way. A failure there is a finding about
   the exporter (a system under test), never a sign of an invalid graph.

Each check returns plain data, so a multiprocessing pool can run it.
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
import traceback
from dataclasses import asdict, dataclass, field

#: "Could not find an implementation for Relu(14) node with name 'n3'"
_MISSING_KERNEL = re.compile(r"implementation for (\w+)\((\d+)\) node with name '([^']*)'")
#: opsets TorchScript is drawn at (its full range)
TORCHSCRIPT_OPSETS = tuple(range(13, 21))


@dataclass
class GraphCheck:
    seed: int
    frontend: str
    #: valid | invalid | gap_unprobed
    status: str = "valid"
    #: why it is invalid or an unprobed gap: "<stage>: <error>"
    why: str | None = None
    #: True when no input draw gave a finite float64 truth
    discarded: bool = False
    #: "direct" when the direct ONNX model was checked, "eager" when only torch eager could be
    judged_on: str = "eager"
    #: a kernel gap ORT's probe records: valid, counted for the report
    probed_gap: str | None = None
    direct_opset: int | None = None
    #: ONNX op types of the direct and the exported model
    onnx_ops: list[str] = field(default_factory=list)
    #: TorchScript: "<stage>: <error>" when export or the exported model failed
    exporter_finding: str | None = None
    #: True when the exporter itself calls that failure a documented gap
    exporter_unsupported: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def check_graph(graph_json: str, seed: int, frontend: str) -> GraphCheck:
    """Run every validity check on one graph; never raises for a finding."""
    from fuzzer.choices import NumpyChoices
    from fuzzer.generate import draw_inputs
    from fuzzer.ir import Graph
    from fuzzer.ops import get_spec
    from fuzzer.run.eager import reference

    graph = Graph.loads(graph_json)
    result = GraphCheck(seed, frontend)
    choices = NumpyChoices(seed)
    try:
        found = reference(graph, choices)
    except Exception as e:
        return _invalid(result, "torch eager", e)
    if found is None:
        result.discarded = True
        inputs = draw_inputs(graph, choices)  # the export needs example inputs all the same
    else:
        inputs = found[1]
    ops: set[str] = set()
    specs = [get_spec(op) for op in set(graph.op_types())]
    if all(s.has_onnx for s in specs):
        result.judged_on = "direct"
        _check_direct(graph, specs, choices, result, ops)
    if frontend == "torch":
        _check_export(graph, inputs, choices, result, ops)
    result.onnx_ops = sorted(ops)
    return result


def _check_direct(graph, specs, choices, result: GraphCheck, ops: set[str]) -> None:
    import onnx

    from fuzzer.materialize.onnx_model import model_proto

    newest = onnx.defs.onnx_opset_version()
    floor = max([13] + [s.min_opset for s in specs])
    opset = choices.integer(min(floor, newest), newest)
    result.direct_opset = opset
    try:
        model = model_proto(graph, opset)
    except Exception as e:
        _invalid(result, "direct model", e)
        return
    ops.update(n.op_type for n in model.graph.node)
    why = _check_model(model)
    if why:
        result.status, result.why = "invalid", f"direct model: {why}"
        return
    _load_in_ort(model, specs, result)


def _check_model(model) -> str | None:
    """Why the checker (full check) or strict shape inference rejects model, or None."""
    import onnx

    try:
        onnx.checker.check_model(model, full_check=True)
        onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    except Exception as e:
        return f"{type(e).__name__}: {_short(e)}"
    return None


def _load_in_ort(model, specs, result: GraphCheck) -> None:
    import onnxruntime as ort

    try:
        ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    except Exception as e:
        from fuzzer.run.plugins.onnxruntime import is_gap

        if not is_gap(e):
            _invalid(result, "onnxruntime load", e)
            return
        gap = _missing_kernel(model, str(e))
        if gap is not None and _probe_refuses(*gap, specs):
            result.probed_gap = f"{gap[0]}/{','.join(sorted(gap[1]))}"
            return
        result.status = "gap_unprobed"
        result.why = f"onnxruntime load: {_short(e)}"


def _missing_kernel(model, message: str) -> tuple[str, set[str]] | None:
    """(op type, dtypes of its inputs and outputs) of the node ORT's missing-kernel error names.

    Every dtype of the node is returned, not only the first input's: a kernel is missing for a
    type constraint, which is not always the first input's (Where's is its second)."""
    import onnx

    from fuzzer.ir import DType
    from fuzzer.materialize.onnx_model import onnx_elem_type

    m = _MISSING_KERNEL.search(message)
    if not m:
        return None
    op, name = m.group(1), m.group(3)
    node = next((n for n in model.graph.node if n.name == name or (not name and n.op_type == op)), None)
    if node is None:
        return None
    g = onnx.shape_inference.infer_shapes(model).graph
    elem = {v.name: v.type.tensor_type.elem_type for v in (*g.input, *g.value_info, *g.output)}
    elem.update({t.name: t.data_type for t in g.initializer})
    by_elem = {onnx_elem_type(d): d.value for d in DType}
    dtypes = {by_elem[elem[n]] for n in (*node.input, *node.output) if elem.get(n) in by_elem}
    return (op, dtypes) if dtypes else None


_pairs: dict = {}


def use_probe_pairs(pairs: dict | None) -> None:
    """Judge kernel gaps by these (op, dtype) -> status pairs: a pool worker gets the ones its
    parent loaded, since the probe's cache key (which hashes every op spec) could have moved."""
    _pairs["pairs"] = pairs


def ort_probe_pairs(compute: bool = False) -> dict | None:
    """ONNX Runtime's probed (op, dtype) -> status, from its cache (probed now when compute is
    true and nothing is cached); None when there is no probe result."""
    if "pairs" not in _pairs or (compute and _pairs["pairs"] is None):
        from fuzzer.plugin import load_plugin
        from fuzzer.probe import capabilities

        caps = capabilities(load_plugin("runtime", "onnxruntime"), compute=compute)
        _pairs["pairs"] = caps.pairs() if caps is not None else None
    return _pairs["pairs"]


def _probe_refuses(op: str, dtypes: set[str], specs) -> bool:
    """True when ORT's cached probe records ONNX op `op` on one of dtypes as unsupported, either as
    the ONNX op itself or as an op spec of the graph that lowers to it ("spec:<name>" cases)."""
    from fuzzer.probe.spec_cases import PREFIX

    pairs = ort_probe_pairs()
    if pairs is None:
        return False
    keys = [op] + [PREFIX + s.name for s in specs if op in s.onnx_ops]
    return any(pairs.get((k, d)) == "unsupported" for k in keys for d in dtypes)


def _check_export(graph, inputs, choices, result: GraphCheck, ops: set[str]) -> None:
    import onnx

    from fuzzer.convert.base import ExportRequest
    from fuzzer.plugin import load_plugin

    exporter = load_plugin("converter", "torchscript")
    opset = choices.choice(TORCHSCRIPT_OPSETS)
    request = ExportRequest(graph, inputs, [v.name for v in graph.inputs],
                            [f"out{i}" for i in range(len(graph.outputs))], opset)
    try:
        with _quiet_stdout():  # the TorchScript exporter prints its whole IR to fd 1 when it fails
            blob = exporter.export(request)
    except Exception as e:
        result.exporter_finding = f"export@{opset}: {type(e).__name__}: {_short(e)}"
        result.exporter_unsupported = exporter.is_unsupported(e)
        return
    model = onnx.load_model_from_string(blob)
    ops.update(n.op_type for n in model.graph.node)
    why = _check_model(model)
    if why:
        result.exporter_finding = f"check@{opset}: {why}"


@contextlib.contextmanager
def _quiet_stdout():
    """Discard whatever is written to file descriptor 1 (C++ included) meanwhile: the
    command's own output (JSON) goes there."""
    sys.stdout.flush()
    saved = os.dup(1)
    sink = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(sink, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(sink)


def _invalid(result: GraphCheck, stage: str, e: BaseException) -> GraphCheck:
    result.status = "invalid"
    result.why = f"{stage}: {type(e).__name__}: {_short(e)}"
    if not str(e):  # a bare exception: where it came from is all there is
        result.why += " " + traceback.format_exc(limit=-2).replace("\n", " | ")[:300]
    return result


def _short(e: BaseException, limit: int = 300) -> str:
    return " ".join(str(e).split())[:limit]


__all__ = ["GraphCheck", "check_graph"]
