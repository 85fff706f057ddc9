"""A campaign bug's repro, title and minimal graph, in the idiom of the system at fault.

- a runtime's or an ONNX-to-ONNX transformer's bug: the model it was given, in ONNX text
  (fuzzer.report.onnx_repro), never torch;
- a torch exporter's bug: a plain torch module and the export call (fuzzer.report.torch_repro);
- tf2onnx's bug: a TensorFlow function and its conversion (fuzzer.report.tf_repro).

Everything comes from what a bug folder keeps (the minimized IR graph, its inputs, the
models the campaign kept), so the writer files with it and `python -m
fuzzer.report.regenerate` rewrites old folders with it. The expected values are the
float64 ground truth (torch eager on the IR graph, as the campaign's oracle has it)
rounded to each output's type.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fuzzer.ir import Graph
from fuzzer.plugin import load_plugin
from fuzzer.report.onnx_repro import OnnxBug, Run, blame_transformer, model_text, plain_model
from fuzzer.report.onnx_repro import repro_source as onnx_repro_source
from fuzzer.report.vocabulary import at_fault_words, deprecation, system_name

#: tolerance a transformer that lowers precision on purpose is judged with
@dataclass
class BugRepro:
    source: str
    files: dict[str, bytes]
    title: str
    graph_text: str  # the minimal graph as the maintainer writes it: ONNX text, torch or TF source
    idiom: str  # onnx | torch | tf
    notes: list[str] = field(default_factory=list)
    model: bytes | None = None  # an ONNX-level repro's model, as it has it (model.onnx)


def truth(graph: Graph, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The float64 ground truth of graph on feeds, each output rounded to its declared type."""
    import torch

    from fuzzer.materialize import build_module, torch_inputs
    from fuzzer.run.eager import to_numpy

    with torch.no_grad():
        out = build_module(graph, truth=True)(*torch_inputs(graph, feeds, truth=True))
    return [np.asarray(to_numpy(t)).astype(v.type.dtype.numpy) for t, v in zip(out, graph.outputs)]


def runs_of(meta: dict, graph: Graph, inputs: dict[str, np.ndarray], with_expected: bool) -> list[Run]:
    """The base size's run, and for a dynamic bug every other size the campaign ran."""
    base = {v.name: inputs[v.name] for v in graph.inputs}
    dyn = meta.get("dynamic") or {}
    if not dyn.get("runs_sizes", bool(dyn.get("exported")) or meta["role"] != "exporter"):
        return [Run(base, truth(graph, base) if with_expected else None)]
    runs = [Run(base, truth(graph, base) if with_expected else None, dyn.get("base", "") if dyn else "")]
    for k, size in enumerate(dyn.get("sizes", []) if dyn else []):
        feeds = {v.name: inputs.get(f"{v.name}@{k}") for v in graph.inputs}
        if any(a is None for a in feeds.values()):
            break
        runs.append(Run(feeds, truth(graph, feeds) if with_expected else None, size))
    return runs


def model_at(graph: Graph, path: str, inputs: dict, models: dict[str, bytes], dynamic: dict | None = None) -> bytes:
    """The model the campaign had at path ("exporter@opset>transformer..."): kept, or made again."""
    from fuzzer.convert.base import ExportRequest

    if path in models:
        return models[path]
    steps = path.split(">")
    if len(steps) > 1:
        prev = ">".join(steps[:-1])
        return load_plugin("converter", steps[-1]).transform(model_at(graph, prev, inputs, models, dynamic), _opset(path))
    name, _, opset = path.partition("@")
    request = ExportRequest(graph, inputs, [v.name for v in graph.inputs], [f"out{i}" for i in range(len(graph.outputs))],
                            int(opset), dynamic or {})
    return load_plugin("converter", name).export(request)


def _opset(path: str) -> int:
    return int(path.split(">")[0].split("@")[1])


def bug_repro(meta: dict, graph: Graph, inputs: dict[str, np.ndarray], models: dict[str, bytes]) -> BugRepro:
    """The repro of the bug meta (a case.json "bug" record) describes, found on graph."""
    import onnx

    kind, stage, path, system, role = meta["kind"], meta["stage"], meta["path"], meta["system"], meta["role"]
    runtime = meta.get("runtime") or None
    opset = _opset(path)
    compares = kind not in ("export_crash", "convert_crash", "load_crash", "run_crash", "invalid_model")
    # the versions it was found with, of the systems the repro runs only
    relevant = {"onnx"} | set(load_plugin("converter" if role != "runtime" else "runtime", system).versions())
    if runtime and stage in ("load", "run", "judge"):
        relevant |= set(load_plugin("runtime", runtime).versions())
    if role == "exporter":
        relevant |= set(load_plugin("converter", path.split("@")[0]).versions())
    versions = {k: v for k, v in (meta.get("versions") or {}).items() if k in relevant}
    notes = []
    if deprecation(system):
        notes.append(f"Note: {deprecation(system)}.")
    bug = OnnxBug(title="", reason=meta.get("blame_reason") or meta.get("reason") or "", kind=kind,
                  error=meta.get("error", ""), runtime=runtime if stage in ("load", "run", "judge") else None,
                  opset=opset, versions=versions, dies=_dies(meta))
    if role == "exporter":
        exporter = path.split("@")[0]
        frontend = load_plugin("converter", exporter).frontend
        if frontend in ("torch", "tf"):
            titled = graph
            if frontend == "tf" and meta.get("tf_ints_widened"):
                # the folder's reduction found the narrow integer dtype plays no part: the function
                # works on int64 and TensorFlow's lowering needs no casts around each op
                graph, inputs = ints_widened(graph, inputs)
            if frontend == "tf" and meta.get("consts_as_inputs"):
                graph, fed = consts_as_inputs(graph)
                inputs = {**inputs, **fed}
            if frontend == "torch" and meta.get("consts_as_inputs") and not graph.inputs:
                # a module of buffers alone: the export folds it into one constant, and the model
                # shows nothing of the lowering at fault; its constants given as inputs show it
                # (fuzzer.report.regenerate sets this where the bug still shows so)
                graph, inputs = consts_as_inputs(graph)
            runs = runs_of(meta, graph, inputs, compares)
            if frontend == "torch":
                from fuzzer.report.torch_repro import module_source, torch_repro

                dims = ((meta.get("dynamic") or {}).get("exported")) or None
                bug.title = title_for(meta, titled)  # the constants' values say what sets it off
                source, files = torch_repro(bug, graph, runs, exporter, opset, stage, dynamic=dims, notes=notes)
                return BugRepro(source, files, bug.title, module_source(graph), "torch", notes)
            from fuzzer.report.tf_repro import narrow_tf_source, tf_function_source, tf_repro, tf_trigger

            # narrow: the folder's reduction found the lowerings' widening casts play no part
            function = (meta.get("tf_narrow") and narrow_tf_source(graph, runs[0].feeds)) or tf_function_source(graph, runs[0].feeds)
            types = ", ".join(f"{v.name}: {v.type}" for v in graph.inputs)
            bug.title = title_for({**meta, "trigger": meta.get("trigger") or f"{tf_trigger(function)} with {types}"}, graph)
            source, files = tf_repro(bug, graph, runs, opset, stage, notes=notes, function=function)
            return BugRepro(source, files, bug.title, function, "tf", notes)
    # an ONNX-level system: the model it was given
    steps = path.split(">")
    given_path = ">".join(steps[:-1]) if role == "transformer" else path
    dims = (meta.get("dynamic") or {}).get("exported") or (meta.get("dynamic") or {}).get("dims")
    model = onnx.load_model_from_string(model_at(graph, given_path, inputs, models,
                                                 {n: {int(a): s for a, s in ax.items()} for n, ax in (dims or {}).items()}))
    model = plain_model(model)
    if role == "transformer":
        blame_transformer(bug, system)
    runs = runs_of(meta, graph, inputs, compares and bug.runtime is not None)
    declared = {v.name for v in model.graph.input}
    for r in runs:
        r.feeds = {n: a for n, a in r.feeds.items() if n in declared}
    if compares and bug.runtime and meta.get("expected_by"):
        # the model was reduced past what the graph computes: another runtime's output on it stands
        # for the exact result (fuzzer.report.regenerate.reduce_model_of checked they agree on the graph)
        witness = load_plugin("runtime", meta["expected_by"])
        session = witness.load(model.SerializeToString())
        for r in runs:
            r.expected = [np.asarray(a) for a in witness.run(session, r.feeds)]
        bug.expected_from = f"what {system_name(meta['expected_by'])} computes"
        notes = [*notes, f"The expected values are what {system_name(meta['expected_by'])} computes on this model "
                         f"(it gave the exact result on the larger model this one was reduced from)."]
    bug.title = title_for(meta, graph, model)
    source, files = onnx_repro_source(bug, model, runs, notes)
    text = model_text(model) or onnx.printer.to_text(model)
    return BugRepro(source, files, bug.title, text, "onnx", notes, model.SerializeToString())


def consts_as_inputs(graph: Graph) -> tuple[Graph, dict[str, np.ndarray]]:
    """graph with each constant made an input, and the feeds of those new inputs: the constants' values."""
    data = graph.to_json()
    values = {n.id: np.asarray(n.value) for n in graph.consts}
    for node in data["nodes"]:
        if node["op"] == "const":
            node["op"] = "input"
            node.pop("value", None)
    made = Graph.from_json(data)
    feeds = {made.value_name(v): values[v.node_id] for v in made.inputs if v.node_id in values}
    return made, feeds


def ints_widened(graph: Graph, inputs: dict[str, np.ndarray]) -> tuple[Graph, dict[str, np.ndarray]]:
    """graph with every int8/int16/uint8 value (inputs, constants, op outputs) made int64, and
    its inputs so: what a TF lowering computes in int64 between casts, without the casts."""
    from fuzzer.ir.graph import _encode_array
    from fuzzer.materialize.tf_model import NARROW_INTS

    narrow = {d.name for d in NARROW_INTS}
    data = graph.to_json()
    for node in data["nodes"]:
        for out in node["outputs"]:
            if out["dtype"] in narrow:
                out["dtype"] = "int64"
        if node["op"] == "const" and node["value"]["dtype"] in narrow:
            node["value"] = _encode_array(np.asarray(graph.node(node["id"]).value).astype(np.int64))
        for key in ("to", "dtype"):  # a cast to a narrow type casts to int64 instead
            if node["attrs"].get(key) in narrow:
                node["attrs"][key] = "int64"
    made = Graph.from_json(data)
    widened = {k: (v.astype(np.int64) if v.dtype.name in narrow else v) for k, v in inputs.items()}
    return made, widened


def _dies(meta: dict) -> bool:
    return (meta.get("error") or "").startswith("worker died") or meta["kind"] in ("hang", "oom")


_WHAT = {
    "export_crash": "raises", "invalid_model": "produces a model the ONNX checker rejects",
    "convert_crash": "fails", "load_crash": "fails to load a valid model", "run_crash": "fails to run a valid model",
    "shape_mismatch": "gives a wrong output shape", "dtype_mismatch": "gives a wrong output type",
    "value_mismatch": "computes wrong values", "nan_inf": "gives NaN/Inf where the result is finite",
}


def title_for(meta: dict, graph: Graph, model=None) -> str:
    """The title, in the system's vocabulary: ONNX op types (and the input types) for an ONNX-level
    system, the torch calls for an exporter; with the dims that must be dynamic, if any."""
    system, kind = meta["system"], meta["kind"]
    what = _WHAT.get(kind, kind)
    if _dies(meta):
        what = "kills the process " + ("loading" if kind == "load_crash" else "running") + " a valid model"
    if meta["role"] == "exporter" and kind in ("load_crash", "run_crash") and meta.get("runtime"):
        verb = "load" if kind == "load_crash" else "run"
        what = f"exports a model {system_name(meta['runtime'])} cannot {verb}"
    if meta.get("trigger"):  # a reviewer's words for what sets the bug off
        trigger = meta["trigger"]
    elif model is not None:
        ops = []
        for n in model.graph.node:
            if n.op_type not in ("Constant", "Identity") and n.op_type not in ops:
                ops.append(n.op_type)
        ops = ops or [n.op_type for n in model.graph.node]
        if len(ops) <= 3:  # a short chain: each op with the attributes it sets away from their default
            ops = [op + _set_attributes(model, op) for op in ops]
        types = sorted({_elem(v) for v in model.graph.input} - {""})
        zero_d = any(v.type.tensor_type.HasField("shape") and not v.type.tensor_type.shape.dim for v in model.graph.input
                     if v.name not in {i.name for i in model.graph.initializer})
        on = ("a 0-d " if zero_d else "") + "/".join(types)
        trigger = " -> ".join(ops) + (f" on {on}" if types else "") + f" (opset {_opset(meta['path'])})"
    else:
        trigger = _torch_trigger(graph)
    who = at_fault_words(meta)
    if meta["role"] == "transformer" and meta.get("runtime") and meta["stage"] in ("load", "run", "judge"):
        who += "'s output"
        what = what.replace("a valid model", "on " + system_name(meta["runtime"]))
        what = what if "on " in what else f"{what} on {system_name(meta['runtime'])}"
    where = " with dynamic dims" if meta.get("dynamic") else ""
    title = f"{who} {what}: {trigger}{where}"
    return "The" + title[3:] if title.startswith("the ") else title


def _set_attributes(model, op_type: str) -> str:
    """" <alpha = 0.5>" for the attributes the one node of op_type sets to other than their schema's
    default (an empty list where the schema has none: ReduceMax's explicit axes = []), "" when
    there are none or several such nodes. What sets a bug off is often one of these."""
    import onnx

    nodes = [n for n in model.graph.node if n.op_type == op_type]
    if len(nodes) != 1:
        return ""
    node = nodes[0]
    opset = {o.domain or "": o.version for o in model.opset_import}
    try:
        schema = onnx.defs.get_schema(node.op_type, opset.get(node.domain or "", 1), node.domain or "")
    except Exception:  # a contrib op: its defaults are not known here
        return ""
    said = []
    for a in node.attribute:
        if a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS, onnx.AttributeProto.TENSOR):
            continue
        value = onnx.helper.get_attribute_value(a)
        value = value.decode() if isinstance(value, bytes) else value
        formal = schema.attributes.get(a.name)
        default = formal.default_value if formal is not None else None
        if default is not None and default.type:
            if value == onnx.helper.get_attribute_value(default) or (isinstance(value, bytes) and value == default.s):
                continue
            if isinstance(value, float) and np.isclose(value, onnx.helper.get_attribute_value(default)):
                continue
        elif not (isinstance(value, list) and not value):
            continue
        value = value.decode() if isinstance(value, bytes) else value
        text = f"[{', '.join(map(str, value))}]" if isinstance(value, list) else f'"{value}"' if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)
        said.append(f"{a.name} = {text}")
    return f" <{', '.join(said)}>" if said else ""


def _elem(v) -> str:
    import onnx

    t = v.type.tensor_type
    return onnx.helper.tensor_dtype_to_np_dtype(t.elem_type).name if t.elem_type else ""


def _torch_trigger(graph: Graph) -> str:
    from fuzzer.report.torch_repro import torch_expressions

    import re

    exprs = torch_expressions(graph)
    # a small constant reads better as its value: torch.atan2(0.0, -1.87), not torch.atan2(c12, c10)
    small = {f"self.{n.outputs[0].name}": _short(n.value) for n in graph.consts if np.size(n.value) <= 4}

    def literal(expr: str) -> str:
        from fuzzer.report.torch_repro import _APPLIED_LAMBDA

        m = _APPLIED_LAMBDA.match(expr)  # (lambda u: (u[1], ...))(call): the call is the trigger
        expr = m.group(3) if m else expr
        return re.sub(r"self\.\w+", lambda m: small.get(m.group(0), m.group(0)[5:]), expr)

    if len(exprs) <= 2 and sum(len(e) for _, e in exprs) <= 140:
        types = ", ".join(f"{v.name}: {v.type}" for v in graph.inputs)
        return "; ".join(literal(e) for _, e in exprs) + (f" with {types}" if types else "")
    return " -> ".join(e.split("(")[0] for _, e in exprs)


def _short(a) -> str:
    """A small array's values as a maintainer writes them (4 significant digits)."""
    a = np.asarray(a)
    values = [float(f"{float(x):.4g}") if a.dtype.kind == "f" else x for x in a.ravel().tolist()]
    return repr(values[0]) if a.ndim == 0 else repr(values)
