"""The repro of a bug in an ONNX-level system (a runtime, an ONNX-to-ONNX transformer).

It is what that system's maintainer would write: the model in ONNX's own text
format (onnx.parser), literal inputs, only the system at fault (a transformer's
transform_model(), then, when its output misbehaves there, the runtime's
run_model()), and the expected values written out. It imports numpy, onnx and
the system at fault, never torch or onnxfuzz; it prints the versions it runs
and expected against actual, and exits 1 while the bug reproduces, 0 once it is
fixed, 2 when another step fails first.

Both the campaign's bug writer (fuzzer.report.writer) and `onnxfuzz check`'s
filer (fuzzer.check.filing) build their ONNX-level repros here.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import numpy as np

from fuzzer.plugin import load_plugin
from fuzzer.report.vocabulary import system_name

#: arrays up to this many elements are written into repro.py; larger ones go to inputs.npz / expected.npz
INLINE = 64
#: looser than the campaign's oracle on purpose: a repro must not flap on rounding
RTOL = {"float16": 2e-2, "bfloat16": 1e-1, "float32": 1e-3, "float64": 1e-5}
_CRASHES = ("load_crash", "run_crash", "convert_crash")


@dataclass
class Run:
    """One run of the model: its inputs and, for a wrong-result bug, the expected outputs."""
    feeds: dict[str, np.ndarray]
    expected: list[np.ndarray] | None = None
    size: str = ""  # the size in words, when a dynamic model runs at several


@dataclass
class OnnxBug:
    title: str
    reason: str  # why this system is blamed, in a sentence
    kind: str  # oracles.Kind value
    error: str = ""  # what the system said when it was found (a crash's error is looked for again)
    runtime: str | None = None  # the runtime plugin that runs the model (None: a transformer's invalid output)
    transformer: str | None = None  # the transformer plugin at fault, if any
    opset: int = 0
    versions: dict[str, str] = field(default_factory=dict)
    rtol: float | None = None  # None: by the output dtype (RTOL)
    dies: bool = False  # the failing step kills the process: a parent watches it
    strict_dtype: bool = True  # compare output dtypes (not for a transformer that lowers precision on purpose)


def plain_model(model):
    """model as a maintainer wants to read it: no producer metadata or doc strings, no node
    names, intermediate values named t1, t2, ... (an exporter's '/Relu_output_0' or onnxfuzz's
    own '_onnx_loop1' say nothing), and no initializer or input that no node reads."""
    import onnx

    m = onnx.ModelProto()
    m.CopyFrom(model)
    del m.metadata_props[:]
    for f in ("doc_string", "producer_name", "producer_version"):
        m.ClearField(f)
    g = m.graph
    g.ClearField("doc_string")
    g.name = "repro"
    _drop_unused(g)
    keep = {v.name for v in g.input} | {v.name for v in g.output}
    renames: dict[str, str] = {}

    def new(name: str) -> str:
        if not name or name in keep:
            return name
        if name not in renames:
            renames[name] = f"t{len(renames) + 1}"
        return renames[name]

    def visit(graph):
        for t in graph.initializer:
            t.name = new(t.name)
        for v in [*graph.input, *graph.output, *graph.value_info]:
            v.name = new(v.name)
        for node in graph.node:
            node.name = ""
            node.ClearField("doc_string")
            node.input[:] = [new(n) for n in node.input]
            node.output[:] = [new(n) for n in node.output]
            for a in node.attribute:
                for sub in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                    sub.name = "body"
                    visit(sub)

    visit(g)
    del g.value_info[:]  # shape annotations of intermediates: the model does not need them
    return m


def _drop_unused(g) -> None:
    """Remove initializers and graph inputs that nothing reads (subgraphs included)."""
    used = set(v.name for v in g.output)

    def reads(graph):
        for node in graph.node:
            used.update(node.input)
            for a in node.attribute:
                for sub in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                    reads(sub)
                    used.update(v.name for v in sub.output)

    reads(g)
    kept = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    kept_in = [v for v in g.input if v.name in used]
    del g.input[:]
    g.input.extend(kept_in)


def model_text(model) -> str | None:
    """model in ONNX's text format, or None when the text cannot carry it whole."""
    import onnx

    text = onnx.printer.to_text(model)
    try:
        again = onnx.parser.parse_model(text)
    except Exception:
        return None
    # the parser may drop what the printer cannot say (external data, some attribute kinds)
    return text if onnx.printer.to_text(again) == text else None


def literal(a: np.ndarray) -> str:
    a = np.asarray(a)
    if a.dtype.kind == "f":
        body = repr(a.tolist()).replace("nan", "np.nan").replace("inf", "np.inf")
        return f"np.array({body}, dtype=np.{a.dtype.name})"
    return f"np.array({a.tolist()!r}, dtype=np.{a.dtype.name})"


def _inline(runs: list[Run]) -> bool:
    arrays = [a for r in runs for a in [*r.feeds.values(), *(r.expected or [])]]
    return all(np.size(a) <= INLINE and np.asarray(a).dtype.name != "bfloat16" for a in arrays)


def fragment(error: str) -> str:
    """The longest stretch of the error's first line without numbers or quoted names: what the
    repro looks for in the error it gets, so that another failure does not pass for this one."""
    first = error.strip().splitlines()[0] if error.strip() else ""
    pieces = [p.strip(" :,.()[]") for p in re.split(r"[0-9]+|'[^']*'|\"[^\"]*\"|\[[^\]]*\]", first)]
    best = max(pieces, key=len, default="")
    return best if len(best) >= 12 else ""


COMPARE = '''
def compare(actual, expected):
    """Lines saying where actual differs from expected; none when they agree."""
    if len(actual) != len(expected):
        return [f"{len(actual)} outputs, expected {len(expected)}"]
    lines = []
    for i, (a, e) in enumerate(zip(actual, expected)):
        a, e = np.asarray(a), np.asarray(e)
        if a.shape != e.shape{dtype_check}:
            lines.append(f"output {i}: got {a.dtype}{list(a.shape)}, expected {e.dtype}{list(e.shape)}")
            continue
        if e.dtype.kind == "f":
            a64, e64 = a.astype(np.float64), e.astype(np.float64)
            bad = ~(np.abs(a64 - e64) <= RTOL * (np.abs(e64) + np.abs(e64).mean()))
        else:
            bad = a != e
        if bad.any():
            j = tuple(int(k) for k in np.argwhere(bad)[0])
            lines.append(f"output {i}: {int(bad.sum())} of {bad.size} elements differ; at {list(j)} got {a[j]!r}, expected {e[j]!r}")
            if e.size <= 16:
                lines.append(f"  got      {a.tolist()}\\n  expected {e.tolist()}")
    return lines
'''


def repro_source(bug: OnnxBug, model, runs: list[Run]) -> tuple[str, dict[str, bytes]]:
    """(repro.py's source, the data files it reads: {} when everything is inline).

    model: the ModelProto the system at fault is given (pass it through plain_model first).
    runs: the inputs to run it on (one per size of a dynamic model, the failing one among them).
    """
    files: dict[str, bytes] = {}
    head = [f'"""{bug.title}', "", f"{bug.reason.rstrip('.')}."]
    if bug.versions:
        head.append(f"Found with {', '.join(f'{k} {v}' for k, v in bug.versions.items())}.")
    head += ["Exits 1 while the bug reproduces, 0 once it is fixed, 2 when another step fails first.", '"""',
             "import sys", "from importlib.metadata import version", "", "import numpy as np", "import onnx", ""]
    text = model_text(model)
    if text is not None:
        head.append(f"MODEL = onnx.parser.parse_model('''\n{text}\n''')")
    else:
        files["model.onnx"] = model.SerializeToString()
        head.append("MODEL = onnx.load(__import__('os').path.join(__import__('os').path.dirname(__file__) or '.', 'model.onnx'))")
    names = [v.name for v in model.graph.input if v.name not in {t.name for t in model.graph.initializer}]
    compares = bug.kind not in _CRASHES and bug.kind != "invalid_model" and bug.runtime
    if bug.runtime:
        multi = len(runs) > 1
        if _inline(runs):
            entries = []
            for r in runs:
                feeds = "{" + ", ".join(f"{n!r}: {literal(r.feeds[n])}" for n in names) + "}"
                exp = "[" + ", ".join(literal(e) for e in r.expected) + "]" if compares else "None"
                entries.append((r.size, feeds, exp))
            if multi:
                head.append("RUNS = [  # (size, inputs, expected outputs: the exact result, rounded to the output type)")
                head += [f"    ({s!r}, {f}, {e})," for s, f, e in entries]
                head.append("]")
            else:
                head.append(f"INPUTS = {entries[0][1]}")
                if compares:
                    head.append(f"EXPECTED = {entries[0][2]}  # the exact result, rounded to the output type")
        else:
            buf = io.BytesIO()
            np.savez(buf, **{f"{n}@{k}": r.feeds[n] for k, r in enumerate(runs) for n in names})
            files["inputs.npz"] = buf.getvalue()
            head += ["HERE = __import__('os').path.dirname(__import__('os').path.abspath(__file__))",
                     "INPUTS_NPZ = np.load(HERE + '/inputs.npz')"]
            exp = "None"
            if compares:
                buf = io.BytesIO()
                np.savez(buf, **{f"out{i}@{k}": e for k, r in enumerate(runs) for i, e in enumerate(r.expected)})
                files["expected.npz"] = buf.getvalue()
                head.append("EXPECTED_NPZ = np.load(HERE + '/expected.npz')  # the exact result, rounded to the output type")
                exp = f"[EXPECTED_NPZ[f'out{{i}}@{{k}}'] for i in range({len(runs[0].expected)})]"
            head.append(f"SIZES = {[r.size for r in runs]!r}")
            head.append(f"RUNS = [(s, {{n: INPUTS_NPZ[f'{{n}}@{{k}}'] for n in {names!r}}}, {exp}) for k, s in enumerate(SIZES)]")
            multi = True
        if compares:
            dtype = next((np.asarray(e).dtype.name for e in runs[0].expected), "float32")
            head.append(f"RTOL = {bug.rtol if bug.rtol is not None else RTOL.get(dtype, 0.0)!r}")
    head.append("")
    snippets = []
    if bug.transformer:
        snippets.append(load_plugin("converter", bug.transformer).repro_source().strip())
    if bug.runtime:
        snippets.append(load_plugin("runtime", bug.runtime).repro_source().strip())
    if compares:
        snippets.append(COMPARE.replace("{dtype_check}", " or a.dtype != e.dtype" if bug.strict_dtype else "").strip())
    dists = [d for d in bug.versions if d not in ("numpy",)]
    body = ["", "", "def main():", f"    print('running with', ', '.join(f'{{d}} {{version(d)}}' for d in {dists!r}))",
            "    model = MODEL.SerializeToString()"]
    if bug.transformer:
        who = system_name(bug.transformer)
        if bug.kind == "convert_crash":
            frag = fragment(bug.error)
            body += ["    try:", f"        model = transform_model(model, {bug.opset})", "    except Exception as e:",
                     f"        print({who + ' raises'!r}, type(e).__name__, str(e)[:2000])",
                     f"        return {'1 if ' + repr(frag) + ' in str(e) else 2' if frag else '1'}",
                     f"    print({who + ' converts the model: fixed'!r})", "    return 0"]
            return _finish(head, snippets, body, bug), files
        body += [f"    model = transform_model(model, {bug.opset})"]
        if bug.kind == "invalid_model":
            body += ["    try:", "        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)",
                     "    except Exception as e:", "        print('the converted model is invalid:', type(e).__name__, str(e)[:2000])",
                     "        return 1", "    print('the converted model passes the checker: fixed')", "    return 0"]
            return _finish(head, snippets, body, bug), files
    runtime = system_name(bug.runtime)
    crash = bug.kind in _CRASHES
    frag = fragment(bug.error) if crash and not bug.dies else ""
    raised = [f"            print({runtime + ' raises'!r}, type(e).__name__, str(e)[:2000])"]
    raised.append(f"            {'failed = failed or ' + repr(frag) + ' in str(e)' if frag else 'failed = True'}"
                  if crash else "            other = True")
    loop = ["    failed = other = False"]
    if multi:
        loop += ["    for size, inputs, expected in RUNS:", "        if size:", "            print(f'at size {size}:', flush=True)"]
    else:
        loop += ["    for inputs, expected in [(INPUTS, EXPECTED)]:" if compares else "    for inputs in [INPUTS]:"]
    loop += ["        try:", "            actual = run_model(model, inputs)", "        except Exception as e:", *raised,
             "            continue"]
    if compares:
        loop += ["        problems = compare(actual, expected)", "        print('\\n'.join(problems) or 'outputs as expected')",
                 "        failed = failed or bool(problems)"]
    else:
        loop += [f"        print({runtime + ' runs the model'!r})"]
    loop += ["    return 1 if failed else 2 if other else 0"]
    body += loop
    if bug.dies:  # the runtime kills the process: the repro watches it from a parent
        body = ["", "", "def main():", '    if "--child" not in sys.argv:', "        import os, subprocess",
                "        r = subprocess.run([sys.executable, os.path.abspath(__file__), '--child'], timeout=600)",
                "        if r.returncode < 0:", f"            print({runtime + ' kills the process with signal'!r}, -r.returncode)",
                "            return 1", "        return r.returncode", *body[3:]]
    return _finish(head, snippets, body, bug), files


def _finish(head: list[str], snippets: list[str], body: list[str], bug: OnnxBug) -> str:
    return "\n".join(head) + "\n" + "\n\n\n".join(snippets) + "\n" + "\n".join(body) + MAIN


MAIN = '''


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a step before the one at fault failed: that says nothing about the bug
        print("another step failed:", type(e).__name__, e)
        sys.exit(2)
'''
