"""repro.py: a standalone script per bug that exits 1 while the bug reproduces.

It imports torch, onnx and the system at fault as the case needs, never
onnxfuzz. The model is the generated torch source itself, with its weights
embedded bit-exactly; the expected values come from its float64 twin, so a
maintainer can read both sides of the comparison.

A bug found with dynamic dims exports the same dims dynamic (the exporter's
`dynamic` argument: TorchScript's dynamic_axes, dynamo's Dim per symbol; a
kept model.onnx already declares them) and runs the model at every size the
campaign ran it at, base size first: inputs.npz holds each size's inputs
(`<name>@<k>` for the k-th other size) and the expected values of each size
come from the float64 twin, as the base ones do. It says which size fails.
"""
from __future__ import annotations

import textwrap

from fuzzer.ir import Graph
from fuzzer.materialize.torch_source import repro_model_source
from fuzzer.plugin import load_plugin

# Looser than the campaign's oracle on purpose: a repro must not flap on rounding.
REPRO_RTOL = {"float16": 2e-2, "bfloat16": 1e-1, "float32": 1e-3, "float64": 1e-5}

TEMPLATE = '''\
#!/usr/bin/env python3
"""onnxfuzz bug {bug_id}: {title}

Exits 1 while the bug reproduces and 0 once it is fixed; prints what it saw.
Found with: {versions}
"""
import base64
import os
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

warnings.filterwarnings("ignore")  # exporter deprecation notices would bury the finding
HERE = pathlib.Path(__file__).resolve().parent
SYMPTOM = {kind!r}  # {kind_help}
STAGE = {stage!r}
OPSET = {opset}
FROM_SOURCE = {from_source!r}  # True: export the torch model below; False: use model.onnx
INPUT_NAMES = {input_names!r}
OUTPUT_NAMES = {output_names!r}
OUTPUT_DTYPES = {output_dtypes!r}
RTOL = {rtol!r}
DIES = {dies!r}  # the failing step kills the process: run it in a child and report the death
# dims exported as dynamic, {{input or output name: {{axis: symbol}}}} (a model.onnx declares them itself); None: static
DYNAMIC = {dynamic!r}
# the sizes to run at, base first: (the size in words, the suffix of its inputs in inputs.npz)
SIZES = {sizes!r}

# ---- the model ------------------------------------------------------------
{model_source}
# ---- the systems on the path ----------------------------------------------
{snippets}

def compare(outputs, expected):
    """Lines describing every output that differs from the float64 truth."""
    problems = []
    if len(outputs) != len(expected):
        return [f"{{len(outputs)}} outputs, expected {{len(expected)}}"]
    for i, (got, want) in enumerate(zip(outputs, expected)):
        got = np.asarray(got)
        if got.shape != want.shape:
            problems.append(f"output {{i}}: shape {{list(got.shape)}}, expected {{list(want.shape)}}")
            continue
        if got.dtype.name != OUTPUT_DTYPES[i]:
            problems.append(f"output {{i}}: dtype {{got.dtype.name}}, expected {{OUTPUT_DTYPES[i]}}")
            continue
        g, w = got.astype(np.float64), want.astype(np.float64)
        rtol = RTOL.get(OUTPUT_DTYPES[i], 0.0)
        atol = rtol * (float(np.mean(np.abs(w))) if w.size else 0.0)
        bad = ~(np.abs(g - w) <= atol + rtol * np.abs(w))
        if bad.any():
            idx = tuple(int(j) for j in np.argwhere(bad)[0])
            err = np.where(np.isfinite(g - w), np.abs(g - w), np.inf)
            problems.append(
                f"output {{i}}: {{int(bad.sum())}}/{{bad.size}} elements off, max abs error {{float(err.max()):.4g}}; "
                f"at {{list(idx)}} got {{g[idx]!r}}, expected {{w[idx]!r}}"
            )
            if w.size <= 24:
                problems.append(f"  got      {{g.ravel().tolist()}}\\n  expected {{w.ravel().tolist()}}")
    return problems


def to_torch(a):
    """A numpy array as a torch tensor. bfloat16 is an ml_dtypes type torch.from_numpy refuses,
    and np.load gives it back as raw 2-byte records (the only such inputs.npz holds): either
    way its bits go through int16."""
    if a.dtype.name == "bfloat16" or (a.dtype.kind == "V" and a.dtype.itemsize == 2):
        return torch.from_numpy(np.ascontiguousarray(a).view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(a)


def main():
    data = np.load(HERE / "inputs.npz")
    runs = [(size, {{name: data[name + suffix] for name in INPUT_NAMES}}) for size, suffix in SIZES]
    inputs = runs[0][1]
    args = tuple(to_torch(inputs[n]) for n in INPUT_NAMES)
    print(f"torch {{torch.__version__}}")
    if DYNAMIC:
        print(f"dynamic dims: {{DYNAMIC}}; sizes: {{'; '.join(size for size, _ in SIZES)}}")
    if FROM_SOURCE:
        try:
            extra = {{"dynamic": DYNAMIC}} if DYNAMIC else {{}}
            model = export_model(build_model(), args, INPUT_NAMES, OUTPUT_NAMES, OPSET, **extra)
        except Exception as e:
            print(f"export raised {{type(e).__name__}}: {{e}}")
            return 1 if STAGE == "export" else 2
        if STAGE == "export":
            print("export succeeded: fixed")
            return 0
    else:
        model = (HERE / "model.onnx").read_bytes()
{transform_step}
    if STAGE == "check":
        import onnx
        try:
            onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
        except Exception as e:
            print(f"the checker rejects the model: {{type(e).__name__}}: {{e}}")
            return 1
        print("the model passes the checker: fixed")
        return 0
    failing, other = [], False
    for size, feeds in runs:
        where = f" at size {{size}}" if len(runs) > 1 else ""
        if DIES and where:  # said before the step that kills: the parent then shows which size died
            print(f"running the model{{where}}", flush=True)
        try:
            outputs = run_model(model, feeds)
        except Exception as e:
            print(f"the runtime raised{{where}}: {{type(e).__name__}}: {{e}}")
            if STAGE in ("load", "run"):
                failing.append(size)
            else:
                other = True
            continue
        if STAGE in ("load", "run"):
            if where:
                print(f"the runtime ran the model{{where}}")
            continue
        with torch.no_grad():
            truth_args = tuple(to_torch(feeds[n]) for n in INPUT_NAMES)
            truth_args = tuple(a.double() if a.is_floating_point() else a for a in truth_args)
            expected = [t.numpy() for t in build_truth_model()(*truth_args)]
        problems = compare(outputs, expected)
        for line in problems:
            print(f"{{where.strip()}}: {{line}}" if where else line)
        if problems:
            failing.append(size)
        elif where:
            print(f"outputs match the float64 truth{{where}}")
    if failing:
        if len(runs) > 1:
            print(f"fails at size {{'; '.join(failing)}} (of {{len(runs)}} sizes)")
        return 1
    if other:
        return 2
    print("the runtime ran the model: fixed" if STAGE in ("load", "run") else "outputs match the float64 truth: fixed")
    return 0


if __name__ == "__main__":
    if DIES and not os.environ.get("REPRO_CHILD"):
        try:
            child = subprocess.run([sys.executable, __file__], env={{**os.environ, "REPRO_CHILD": "1"}}, timeout=600)
        except subprocess.TimeoutExpired:
            print("the step hung for 600 s")
            sys.exit(1)
        if child.returncode < 0:
            print(f"the process died with signal {{-child.returncode}}")
            sys.exit(1)
        sys.exit(child.returncode)
    try:
        sys.exit(main())
    except Exception:  # this script's own failure says nothing about the bug: never exit 1 for it
        import traceback
        traceback.print_exc()
        print("the repro itself failed before it could tell: exit 3, not a reproduction")
        sys.exit(3)
'''

TRANSFORM_STEP = '''\
    try:
        model = transform_model(model, OPSET)
    except Exception as e:
        print(f"the transformer raised {type(e).__name__}: {e}")
        return 1 if STAGE == "convert" else 2
    if STAGE == "convert":
        print("the transformer ran: fixed")
        return 0
'''

_KIND_HELP = {
    "export_crash": "the exporter raises",
    "invalid_model": "the exported model fails onnx.checker (full check)",
    "convert_crash": "the transformer raises",
    "load_crash": "the runtime refuses a valid model",
    "run_crash": "the runtime fails while running a valid model",
    "shape_mismatch": "an output has the wrong shape",
    "dtype_mismatch": "an output has the wrong dtype",
    "value_mismatch": "an output has wrong values",
    "nan_inf": "an output is NaN/Inf where the truth is finite",
}


def repro_script(bug_id: str, title: str, graph: Graph, kind: str, stage: str, path: str, runtime: str,
                 from_source: bool, versions: str, dies: bool = False, dynamic: dict | None = None,
                 sizes: list[tuple[str, str]] | None = None) -> str:
    """The repro's source.

    dynamic: the dims to export dynamic ({input or output name: {axis: symbol}}), passed to
      the exporter's export_model; None exports static.
    sizes: [(size in words, suffix of its inputs in inputs.npz)] to run the model at, base
      size first ("" suffix); None runs the base size only.
    """
    steps = path.split(">")
    rtol = dict(REPRO_RTOL)
    precision = getattr(load_plugin("converter", steps[-1]), "precision", None) if len(steps) > 1 else None
    if precision is not None:  # a transformer that lowers precision on purpose is judged at that precision
        loose = {"float16": 2e-2, "int8": 0.25}.get(precision, 0.0)
        rtol = {k: max(v, loose) for k, v in rtol.items()}
    exporter, _, opset = steps[0].partition("@")
    snippets = []
    if from_source or stage in ("export", "check"):
        snippets.append(_snippet("converter", exporter))
    if len(steps) > 1:
        snippets.append(_snippet("converter", steps[-1]))
    if runtime:
        snippets.append(_snippet("runtime", runtime))
    return TEMPLATE.format(
        bug_id=bug_id, title=title, versions=versions, kind=kind, kind_help=_KIND_HELP.get(kind, kind), stage=stage,
        opset=int(opset), from_source=from_source,
        input_names=[v.name for v in graph.inputs],
        output_names=[f"out{i}" for i in range(len(graph.outputs))],
        output_dtypes=[v.type.dtype.value for v in graph.outputs],
        rtol=rtol,
        dies=dies,
        dynamic=dynamic or None,
        sizes=list(sizes) if sizes else [("base", "")],
        model_source=repro_model_source(graph),
        snippets="\n".join(snippets),
        transform_step=TRANSFORM_STEP if len(steps) > 1 else "",
    )


def _snippet(role: str, name: str) -> str:
    # a plugin that does not define repro_source() raises NotImplementedError, saying so
    return textwrap.dedent(load_plugin(role, name).repro_source()).strip() + "\n\n"
