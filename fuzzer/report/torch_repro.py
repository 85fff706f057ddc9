"""The repro of an exporter's bug, in the exporter's idiom: a plain torch module written in
ordinary torch calls, the export call with its exact options (the exporter plugin's
export_model()), and the check: the exporter raises, the checker rejects its model, or the
model runs wrong (on the runtime that showed it) against the expected values, which are
torch eager's result in float64 rounded to the output type.
"""
from __future__ import annotations

import base64
import re

import numpy as np

from fuzzer.ir import CONST, Graph
from fuzzer.plugin import load_plugin
from fuzzer.report.onnx_repro import INLINE, OnnxBug, Run, build_repro, error_test, fragments, is_bfloat16



def _in_exporter(error: str) -> str:
    """The repro's further test, for an error that is a bare builtin message (IndexError: list
    index out of range) and would be the same from any code: it was raised in torch.onnx's own
    code (its symbolic functions), not in tracing or in the model."""
    first = error.strip().splitlines()[0] if error.strip() else ""
    if "\n" in error.strip() or any(c.isdigit() for c in first) or "'" in first or len(first) > 60:
        return ""
    return " and 'torch/onnx/' in traceback.extract_tb(e.__traceback__)[-1].filename.replace('\\\\', '/')"

def torch_expressions(graph: Graph) -> list[tuple[list[str], str]]:
    """[(output names, torch expression)] of every op of graph, in order: the forward() body."""
    from fuzzer.materialize.torch_source import TorchSourceContext
    from fuzzer.ops import get_spec

    ctx = TorchSourceContext()
    out = []
    for node in graph.op_nodes:
        args = [f"self.{v.name}" if v.producer().op_type == CONST else v.name for v in node.inputs]
        out.append(([v.name for v in node.outputs], get_spec(node.op_type).torch(ctx, node.attrs, args)))
    return out


_APPLIED_LAMBDA = re.compile(r"^\(lambda (\w+): \((.*)\)\)\((.*)\)$")


def _statements(outs: list[str], expr: str) -> list[str]:
    """`outs = expr` as a maintainer writes it: a lowering's `(lambda u: (u[1], u[2]))(call)`
    becomes `u = call` and `outs = u[1], u[2]`."""
    m = _APPLIED_LAMBDA.match(expr)
    if m and m.group(3).count("(") == m.group(3).count(")"):
        var, body, call = m.groups()
        name = f"{outs[0]}_{var.strip('_')}"
        body = re.sub(r"\b" + var + r"\b", name, body)
        return [f"{name} = {call}", f"{', '.join(outs)} = {body}"]
    return [f"{', '.join(outs)} = {expr}"]


def _tensor_literal(a: np.ndarray) -> str:
    a = np.asarray(a)
    dtype = "bfloat16" if a.dtype.name == "bfloat16" or (a.dtype.kind == "V" and a.dtype.itemsize == 2) else a.dtype.name
    if a.size <= INLINE:
        values = a.astype(np.float32) if dtype == "bfloat16" else a
        body = repr(values.tolist()).replace("nan", "float('nan')").replace("inf", "float('inf')")
        return f"torch.tensor({body}, dtype=torch.{dtype})"
    raw = base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()
    np_dtype = "int16" if dtype == "bfloat16" else dtype
    view = ".view(torch.bfloat16)" if dtype == "bfloat16" else ""
    return (f"torch.from_numpy(np.frombuffer(base64.b64decode({raw!r}), dtype=np.{np_dtype})"
            f".reshape({tuple(a.shape)!r}).copy()){view}")


def module_source(graph: Graph) -> str:
    """class Model(torch.nn.Module): graph's ops as ordinary torch calls, its constants as buffers."""
    lines = ["class Model(torch.nn.Module):", "    def __init__(self):", "        super().__init__()"]
    lines += [f"        self.register_buffer({n.outputs[0].name!r}, {_tensor_literal(n.value)})" for n in graph.consts]
    if not graph.consts:
        lines.pop()  # nothing to set up: no __init__ at all
        lines.pop()
    else:
        lines.append("")
    lines.append(f"    def forward({', '.join(['self', *(v.name for v in graph.inputs)])}):")
    for outs, expr in torch_expressions(graph):
        lines += [f"        {line}" for line in _statements(outs, expr)]
    lines.append(f"        return {', '.join(v.name for v in graph.outputs)}{',' if len(graph.outputs) == 1 else ''}")
    return "\n".join(lines) + "\n"


def torch_repro(bug: OnnxBug, graph: Graph, runs: list[Run], exporter: str, opset: int, stage: str,
                dynamic: dict | None = None, notes: list[str] = ()) -> tuple[str, dict[str, bytes]]:
    """(repro.py, its data files) for an exporter's bug found on graph."""
    names = [v.name for v in graph.inputs]
    outputs = [f"out{i}" for i in range(len(graph.outputs))]
    model = module_source(graph)
    imports = ["import torch"]
    if "F." in model:
        imports.append("import torch.nn.functional as F")
    if "base64" in model:
        imports.insert(0, "import base64")
    prelude = ["", model]
    if dynamic:
        prelude.append(f"DYNAMIC = {dynamic!r}  # the dims exported dynamic: {{input or output name: {{axis: symbol}}}}")
    frag = fragments(bug.error) if stage == "export" and not bug.dies else []
    call, snippets = export_call(exporter, names, outputs, opset, dynamic)
    if any(is_bfloat16(r.feeds[n]) for r in runs for n in names):
        # an .npz file keeps bfloat16 as raw 2-byte records, which torch reads as int16 bits
        make = ["    args = tuple(torch.from_numpy(a.view(np.int16)).view(torch.bfloat16) if a.dtype.name == 'bfloat16'",
                "                 else torch.from_numpy(a) for a in INPUTS.values())"]
    else:
        make = ["    args = tuple(torch.from_numpy(a) for a in INPUTS.values())"]
    if stage == "export":
        make += ["    try:", *("    " + line for line in call), "    except Exception as e:",
                 "        print('torch.onnx.export raises', type(e).__name__, str(e)[:2000])",
                 f"        return {'1 if ' + error_test(frag) + _in_exporter(bug.error) + ' else 2' if frag else '1'}",
                 "    print('the export succeeds: fixed')", "    return 0"]
        if _in_exporter(bug.error):
            imports.insert(0, "import traceback")
    else:  # an export that raises is another failure: __main__ exits 2 for it
        make += call
    if any("io.BytesIO" in line for line in call):
        imports.insert(0, "import io")
    return build_repro(bug, runs, names, prelude, make, imports=imports, notes=notes, snippets=snippets,
                       needs_inputs=True)


def export_call(exporter: str, names: list[str], outputs: list[str], opset: int, dynamic: dict | None):
    """(main()'s lines that set `model` by exporting Model() on args, the functions they need).
    torch.onnx.export is written out with the exporter's exact options; an exporter plugin
    onnxfuzz does not know calls its own export_model()."""
    plugin = load_plugin("converter", exporter)
    io_names = f"input_names={names!r}, output_names={outputs!r}"
    if exporter == "torchscript":
        axes = f", dynamic_axes={ {n: {int(a): sym for a, sym in d.items()} for n, d in dynamic.items()}!r}" if dynamic else ""
        return ["    buf = io.BytesIO()",
                f"    torch.onnx.export(Model().eval(), args, buf, dynamo=False, opset_version={opset}, {io_names}{axes})",
                "    model = buf.getvalue()"], []
    if exporter in ("dynamo", "dynamo-noopt"):
        lines = []
        shapes = ""
        if dynamic:
            symbols = sorted({sym for n in names for sym in (dynamic.get(n) or {}).values()})
            lines += [f"    {sym} = torch.export.Dim({sym!r})" for sym in symbols]
            per_input = ", ".join("{" + ", ".join(f"{int(a)}: {sym}" for a, sym in dynamic[n].items()) + "}"
                                  if dynamic.get(n) else "None" for n in names)
            shapes = f", dynamic_shapes=({per_input}{',' if len(names) == 1 else ''})"
        lines += [f"    program = torch.onnx.export(Model().eval(), args, dynamo=True, opset_version={opset}, {io_names},",
                  f"                                optimize={getattr(plugin, 'optimize', True)!r}{shapes})",
                  "    model = program.model_proto.SerializeToString()"]
        return lines, []
    extra = ", dynamic=DYNAMIC" if dynamic else ""
    return [f"    model = export_model(Model().eval(), args, {names!r}, {outputs!r}, {opset}{extra})"], \
        [plugin.repro_source().strip()]
