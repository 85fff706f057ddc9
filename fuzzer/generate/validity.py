"""Is a generated graph valid? The checks behind `onnxfuzz gen --check`.

The generator promises valid graphs by construction; this module holds it to
that promise, one graph at a time:

1. torch eager runs the graph (the float64 truth, fuzzer.run.eager.reference);
   when no input draw gives a finite truth the graph is "discarded", which is
   counted apart and is not a validity failure (the later checks still run);
2. when every op has an ONNX lowering, onnxfuzz's own direct model of the graph
   passes `onnx.checker.check_model(full_check=True)` and strict shape
   inference, and ONNX Runtime loads it with its graph optimizations off (a
   load that measures kernels, not optimizers). A load refused for a missing
   kernel is valid only when ONNX Runtime's cached capability probe knows
   that kernel is missing (see fuzzer.probe.gaps); a refusal the probe does
   not know is counted as an unprobed kernel gap, neither valid nor invalid.
   A model that loads is loaded again with every optimization on: an error
   only there is a bug in ORT's optimizers, a finding ("runtime_finding"),
   not an invalid graph;
3. a graph of the torch frontend is also exported with TorchScript and the
   exported model checked the same way. A failure there is a finding about
   the exporter (a system under test), never a sign of an invalid graph.

Each check returns plain data, so a multiprocessing pool can run it.
"""
from __future__ import annotations

import contextlib
import os
import sys
import traceback
from dataclasses import asdict, dataclass, field

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
    #: ORT failed to load the direct model with its graph optimizations on, though it loads
    #: with them off: a bug in ORT's optimizers (a system under test), not an invalid graph
    runtime_finding: str | None = None
    #: a system under test killed the checking process in a step that looks for findings
    #: (TorchScript export, or ORT's optimized load); the rest of the checks stand without it
    crash_finding: str | None = None
    #: the missing kernel of an unprobed gap (fuzzer.probe.gaps.missing_kernel), when known
    gap: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)


#: the steps of check_graph that look for findings in systems under test, not at the graph's
#: validity; `skip` leaves them out to tell which step killed a checking process
FINDING_STEPS = ("export", "ort-optimized")


def check_graph(graph_json: str, seed: int, frontend: str, skip: tuple[str, ...] = ()) -> GraphCheck:
    """Run every validity check on one graph; never raises for a finding.

    skip: steps of FINDING_STEPS to leave out: "export" (TorchScript export and its check),
    "ort-optimized" (the second ORT load, with optimizations on). The graph's validity is the
    same without them.
    """
    unknown = set(skip) - set(FINDING_STEPS)
    if unknown:
        raise ValueError(f"unknown check steps to skip: {sorted(unknown)}; known: {list(FINDING_STEPS)}")
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
        _check_direct(graph, specs, choices, result, ops, optimized="ort-optimized" not in skip)
    if frontend == "torch" and "export" not in skip:
        _check_export(graph, inputs, choices, result, ops)
    result.onnx_ops = sorted(ops)
    return result


def _check_direct(graph, specs, choices, result: GraphCheck, ops: set[str], optimized: bool = True) -> None:
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
    _load_in_ort(model, specs, result, optimized)


def _check_model(model) -> str | None:
    """Why the checker (full check) or strict shape inference rejects model, or None."""
    import onnx

    try:
        onnx.checker.check_model(model, full_check=True)
        onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    except Exception as e:
        return f"{type(e).__name__}: {_short(e)}"
    return None


def _load_in_ort(model, specs, result: GraphCheck, optimized: bool = True) -> None:
    """Load model in ONNX Runtime twice. First with every graph optimization off: that load
    measures the kernels alone, so it judges the graph. Then with every optimization on: an
    error there that the plain load did not have is a bug in ORT's optimizers on a valid model,
    a finding about the system under test, never a sign of an invalid graph."""
    from fuzzer.run.plugins.onnxruntime import is_gap

    error = _ort_load(model, optimize=False)
    if error is None:
        error = _ort_load(model, optimize=True) if optimized else None
        if error is not None:
            result.runtime_finding = f"onnxruntime load (all optimizations): {type(error).__name__}: {_short(error)}"
        return
    from fuzzer.probe.gaps import missing_kernel

    gap = missing_kernel(model, str(error))
    # is_gap covers ORT refusing a valid model through the function body it inlined for a missing
    # kernel (Clip-13 on bfloat16 with a min, whose body does not type-check below opset 16)
    if not is_gap(error):
        _invalid(result, "onnxruntime load", error)
        return
    if gap is not None and _probe_refuses(gap, specs):
        result.probed_gap = f"{gap['op']}({gap['since']})/{','.join(gap['dtypes'])}"
        return
    result.status = "gap_unprobed"
    result.why = f"onnxruntime load: {_short(error)}"
    result.gap = gap


def _ort_load(model, optimize: bool) -> Exception | None:
    """The error ORT raises creating a CPU session for model, or None when it loads."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    level = ort.GraphOptimizationLevel
    opts.graph_optimization_level = level.ORT_ENABLE_ALL if optimize else level.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 4  # the error is recorded here; ORT's own log would bury the report
    try:
        ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    except Exception as e:
        return e
    return None


#: the ORT runtime plugin whose probe judges gaps: graph optimizations off, as the load above
PROBE_RUNTIME = "onnxruntime-noopt"
_probe: dict = {}


def use_probe(caps) -> None:
    """Judge kernel gaps by this Capabilities (or None: no probe). A pool worker gets the one its
    parent loaded, since the probe's cache key (which hashes every op spec) could have moved."""
    _probe["caps"] = caps
    _probe.pop("pairs", None)


def ort_probe(compute: bool = False):
    """ONNX Runtime's (graph optimizations off) Capabilities from the probe cache, probed now
    when compute is true and nothing is cached; None when there is no probe result."""
    if "caps" not in _probe or (compute and _probe["caps"] is None):
        from fuzzer.plugin import load_plugin
        from fuzzer.probe import capabilities

        use_probe(capabilities(load_plugin("runtime", PROBE_RUNTIME), compute=compute))
    return _probe["caps"]


def _probe_refuses(gap: dict, specs) -> bool:
    """True when ORT's cached probe knows this missing kernel: exactly (the same op, schema
    version and type binding went missing in some probe case's model), or as an (op, dtype) pair
    the probe calls unsupported, for the ONNX op itself or for an op spec of the graph that lowers
    to it ("spec:<name>" cases), on one of the node's dtypes."""
    from fuzzer.probe.cases import op_key
    from fuzzer.probe.spec_cases import PREFIX

    caps = ort_probe()
    if caps is None:
        return False
    if caps.refuses_kernel(gap):
        return True
    if "pairs" not in _probe:
        _probe["pairs"] = caps.pairs()
    pairs = _probe["pairs"]
    op = gap["op"]
    keys = [op_key(op, gap["domain"])] + [PREFIX + s.name for s in specs if op in s.onnx_ops]
    return any(pairs.get((k, d)) == "unsupported" for k in keys for d in gap["dtypes"])


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


__all__ = ["FINDING_STEPS", "GraphCheck", "check_graph", "ort_probe", "use_probe"]
