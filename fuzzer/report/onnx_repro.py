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
from fuzzer.report.vocabulary import explain, sentence_start, system_name

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
    expected_from: str = "the exact result, rounded to the output type"  # what EXPECTED is, in words


#: a transformer that lowers precision on purpose is judged at that precision's tolerance
PRECISION_RTOL = {"float16": 2e-2, "int8": 0.25}


def blame_transformer(bug: OnnxBug, name: str) -> None:
    """bug's transformer is `name`: a repro of a precision-lowering transformer compares at
    that precision's tolerance and leaves output dtypes alone, as the oracle judged it."""
    bug.transformer = name
    precision = getattr(load_plugin("converter", name), "precision", None)
    if precision is not None:
        bug.strict_dtype = False
        bug.rtol = PRECISION_RTOL.get(precision)


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
            node.ClearField("name")
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
    return all(np.size(a) <= INLINE and not is_bfloat16(a) for a in arrays)


def fragment(error: str) -> str:
    """The longest of fragments(error), "" when there is none."""
    return max(fragments(error), key=len, default="")


def fragments(error: str) -> list[str]:
    """What the repro looks for in the error it gets, so that another failure does not pass for
    this one: the (up to 3) longest stretches of the error's first line without numbers, quoted
    names holding a number, or node names, in the order they come. Several are looked for, not
    one, so that a generic wrapper ("INVALID_GRAPH ... In Node", a checker's "Inference error(s)")
    is not taken for the failure: the specific part after it must be there too.
    An error that wraps its cause (the dynamo exporter's "## Exception summary", a Rust
    "Caused by:") is told by the cause instead: the first line ("Failed to convert the
    exported program", "Translating node #3") is the same for any failure at that step.
    Of the cause, its first sentence counts. Quoted names without a number are kept (a
    parameter's name is the failure's); a node's name ("_n3", "node name: /Softmax") is the run's."""
    lines = [ln.strip() for ln in error.strip().splitlines()]
    cause = _cause(lines)
    quoted = r"'[^']*\d[^']*'|\"[^\"]*\d[^\"]*\""
    if cause:
        sentence = re.split(r"\.\s", cause, maxsplit=1)[0]
        found = _longest(_pieces(sentence, quoted))
        # the wrapper names the op that failed after its node's name ('Evaluating #1 "t7" Slice'):
        # the same cause from another op would be another bug
        op = re.search(r"\"[^\"]*\" ([A-Z][A-Za-z0-9]+)", lines[0])
        if found:
            return found + ([f'" {op.group(1)}'] if op else [])
    return _longest(_pieces(lines[0] if lines else "", quoted))


def _longest(pieces: list[str], least: int = 12, most: int = 3) -> list[str]:
    long = [p for p in pieces if len(p) >= least]
    keep = set(sorted(long, key=len, reverse=True)[:most])
    return [p for p in long if p in keep]


#: lines after which an error message gives its cause
_CAUSE_MARKERS = ("## Exception summary", "Caused by:")


def _cause(lines: list[str]) -> str:
    """The first line of the cause an error wraps (of a numbered chain of causes, the last),
    "" when it names none."""
    for k, line in enumerate(lines):
        if line in _CAUSE_MARKERS:
            after = [ln for ln in lines[k + 1:] if ln]
            # a numbered chain ("0: Infering facts", "1: ...", "2: Impossible to unify"): the last is the root
            chain = [ln for ln in after if re.match(r"\d+: ", ln)]
            if after and chain and after[0] == chain[0]:
                return chain[-1].split(": ", 1)[1]
            return after[0] if after else ""
    return ""


#: how a checker or runtime names the node at fault (a TorchScript scope names the module's): the run's names, not the failure's
_NODE_NAMES = r"node name: [^)]*|Node \([^)]*\)|In Node, \(\"[^\"]*\"|Name: \S+|scope: [\w.:]+"


def _pieces(line: str, quoted: str) -> list[str]:
    # numbers, quoted names, node names, bracketed lists and terminal colours vary from run to run
    parts = re.split(r"\x1b\[[0-9;]*m|" + _NODE_NAMES + r"|[0-9]+|" + quoted + r"|\[[^\]]*\]", line)
    return [p.strip(" :,.()[]<>") for p in parts]


def error_test(frag) -> str:
    """The repro's test that the exception e it caught is the failure filed: frag (a string, or
    a list of fragments that must all be there) in "Type: message"."""
    frags = [frag] if isinstance(frag, str) else list(frag)
    if len(frags) == 1:
        return f"{frags[0]!r} in f'{{type(e).__name__}}: {{e}}'"
    return f"all(s in f'{{type(e).__name__}}: {{e}}' for s in {tuple(frags)!r})"


#: the absolute tolerance a repro allows an output: its relative one times the expected values'
#: mean magnitude, where a NaN or an infinity among them counts as 0 (review 10: an expected 0/0
#: made it NaN, and every element of a right output failed)
ATOL = "np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean()"

COMPARE = '''
def differs(actual, expected):
    """numpy's report of how actual differs from expected (its DESIRED); None when it does not."""
    if len(actual) != len(expected):  # another failure than the values filed: __main__ exits 2
        raise RuntimeError(f'{len(actual)} outputs, expected {len(expected)}')
    try:
        for i, (a, e) in enumerate(zip(actual, expected)):
            tol = RTOL[i] if isinstance(RTOL, list) else RTOL
            np.testing.assert_allclose(a, e, rtol=tol, atol=tol * ''' + ATOL + ''', strict={strict})
    except AssertionError as e:
        return str(e).strip()
'''


def _half_bits_said(model) -> list[str]:
    """Comment lines giving the values of the float16/bfloat16 constants ONNX's text format
    writes as their raw bits ({49134} is -1.98), which its parser reads back only so."""
    import onnx
    from onnx import numpy_helper

    half = (onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16)
    tensors = [t for t in model.graph.initializer if t.data_type in half]
    tensors += [a.t for n in model.graph.node for a in n.attribute if a.type == onnx.AttributeProto.TENSOR and a.t.data_type in half]
    said = []
    for t in tensors:
        values = np.asarray(numpy_helper.to_array(t), dtype=np.float32).ravel()
        if values.size <= 8:
            name = f"{t.name} = " if t.name else ""
            said.append(f"{name}{', '.join(f'{v:g}' for v in values)}")
    if not said:
        return []
    return [f"# ONNX's text format writes 16-bit float constants as their raw bits; their values: {'; '.join(said)}"]


def repro_source(bug: OnnxBug, model, runs: list[Run], notes: list[str] = ()) -> tuple[str, dict[str, bytes]]:
    """(repro.py's source, the data files it reads: {} when everything is inline).

    model: the ModelProto the system at fault is given (pass it through plain_model first).
    runs: the inputs to run it on (one per size of a dynamic model, the failing one among them).
    """
    files: dict[str, bytes] = {}
    text = model_text(model)
    if text is not None:
        prelude = [*_half_bits_said(model), f"MODEL = onnx.parser.parse_model('''\n{text}\n''')"]
    else:
        files["model.onnx"] = model.SerializeToString()
        prelude = ["MODEL = onnx.load(__import__('os').path.join(__import__('os').path.dirname(__file__) or '.', 'model.onnx'))"]
    names = [v.name for v in model.graph.input if v.name not in {t.name for t in model.graph.initializer}]
    source, data = build_repro(bug, runs, names, prelude, ["    model = MODEL.SerializeToString()"] if bug.transformer else [],
                               notes=notes)
    if not bug.transformer:  # the runtime alone: it reads MODEL itself
        source = source.replace("run_model(model, ", "run_model(MODEL.SerializeToString(), ")
    return source, {**files, **data}


def build_repro(bug: OnnxBug, runs: list[Run], names: list[str], prelude: list[str], make_model: list[str],
                imports: list[str] = (), notes: list[str] = (), snippets: list[str] = (),
                needs_inputs: bool = False) -> tuple[str, dict[str, bytes]]:
    """The repro around a step that makes the model: prelude (module-level lines defining what
    it needs), make_model (lines of main() that set `model` to the model's bytes, returning early
    when the bug is in that step), then the transformer at fault if any, the checker for an
    invalid model, or the runtime on every run, compared with the expected values.

    names: the model's input names, in the order run_model() is fed.
    needs_inputs: make_model reads INPUTS (an exporter traces the model on them).
    """
    files: dict[str, bytes] = {}
    bfloat16 = any(is_bfloat16(a) for r in runs for a in [*r.feeds.values(), *(r.expected or [])])
    reason = explain(bug.reason.strip().rstrip("."))
    found = f" Found with {', '.join(f'{k} {v}' for k, v in bug.versions.items())}." if bug.versions else ""
    head = [f'"""{bug.title}', "", f"{sentence_start(reason)}.{found}", *notes]
    head += ["Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.", '"""',
             *sorted({"import sys", *[i for i in imports if i in ("import base64", "import io")]}), "",
             "import numpy as np", *(["import ml_dtypes"] if bfloat16 else []), "import onnx",
             *[i for i in imports if i not in ("import base64", "import io")], "", *prelude]
    compares = bug.kind not in _CRASHES and bug.kind != "invalid_model" and bug.runtime and bug.kind != "export_crash"
    multi = False
    if bug.runtime or needs_inputs:
        multi = len(runs) > 1
        if bug.kind == "load_crash" and not multi and not _inline(runs) and not needs_inputs:
            # the failure is in loading: no value is read before it, so any of the right shape will do
            head.append("INPUTS = {  # the model fails to load: the values play no part")
            head += [f"    {n!r}: np.ones({tuple(runs[0].feeds[n].shape)!r}, dtype={_dtype_expr(runs[0].feeds[n])}),"
                     for n in names]
            head.append("}")
        elif _inline(runs):
            entries = []
            for r in runs:
                feeds = "{" + ", ".join(f"{n!r}: {literal(r.feeds[n])}" for n in names) + "}"
                exp = "[" + ", ".join(literal(e) for e in r.expected) + "]" if compares else "None"
                entries.append((r.size, feeds, exp))
            if multi:
                head.append(f"RUNS = [  # (size, inputs, expected outputs: {bug.expected_from})")
                head += [f"    ({s!r}, {f}, {e})," for s, f, e in entries]
                head.append("]")
                head.append("INPUTS = RUNS[0][1]")
            else:
                head.append(f"INPUTS = {entries[0][1]}")
                if compares:
                    head.append(f"EXPECTED = {entries[0][2]}  # {bug.expected_from}")
        else:
            buf = io.BytesIO()
            # the keys the campaign's inputs.npz has: "<name>" at the base size, "<name>@<k>" at the k-th other
            np.savez(buf, **{f"{n}{_suffix(k)}": r.feeds[n] for k, r in enumerate(runs) for n in names})
            files["inputs.npz"] = buf.getvalue()
            head += ["HERE = __import__('os').path.dirname(__import__('os').path.abspath(__file__))",
                     "INPUTS_NPZ = np.load(HERE + '/inputs.npz')"]
            if bfloat16:
                # an .npz file keeps bfloat16 as raw 2-byte records: read back as bfloat16 (onnx's ml_dtypes)
                head += ["", "", "class _Bfloat16Npz:", "    def __init__(self, npz):", "        self.npz = npz", "",
                         "    def __getitem__(self, key):", "        a = self.npz[key]",
                         "        return a.view(ml_dtypes.bfloat16) if a.dtype.kind == 'V' and a.dtype.itemsize == 2 else a",
                         "", "", "INPUTS_NPZ = _Bfloat16Npz(INPUTS_NPZ)"]
            exp = "None"
            if compares:
                buf = io.BytesIO()
                np.savez(buf, **{f"out{i}{_suffix(k)}": e for k, r in enumerate(runs) for i, e in enumerate(r.expected)})
                files["expected.npz"] = buf.getvalue()
                head.append(f"EXPECTED_NPZ = np.load(HERE + '/expected.npz')  # {bug.expected_from}")
                if bfloat16:
                    head.append("EXPECTED_NPZ = _Bfloat16Npz(EXPECTED_NPZ)")
                exp = f"[EXPECTED_NPZ[f'out{{i}}{{x}}'] for i in range({len(runs[0].expected)})]"
            if multi:
                head.append(f"SIZES = {[(r.size, _suffix(k)) for k, r in enumerate(runs)]!r}  # (size, its suffix in the npz files)")
                head.append(f"RUNS = [(s, {{n: INPUTS_NPZ[n + x] for n in {names!r}}}, {exp}) for s, x in SIZES]")
                head.append("INPUTS = RUNS[0][1]")
            else:
                head.append(f"INPUTS = {{n: INPUTS_NPZ[n] for n in {names!r}}}")
                if compares:
                    head.append(f"EXPECTED = [EXPECTED_NPZ[f'out{{i}}'] for i in range({len(runs[0].expected)})]")
        if compares and (multi or isinstance(_tol_expr(runs, bug), list)):
            tols = [_rtol(bug, e) for e in runs[0].expected]
            head.append(f"RTOL = {tols!r}  # per output" if len(set(tols)) > 1 else f"RTOL = {tols[0]!r}")
    head.append("")
    snippets = list(snippets)
    if bug.transformer:
        snippets.append(load_plugin("converter", bug.transformer).repro_source().strip())
    if bug.runtime:
        snippets.append(_runtime_source(bug.runtime, bfloat16))
    if compares and multi:
        snippets.append(COMPARE.replace("{strict}", repr(bug.strict_dtype)).strip())
    body = ["", "", "def main():", *make_model]
    if bug.transformer:
        who = system_name(bug.transformer)
        if bug.kind == "convert_crash":
            frag = [] if bug.dies else fragments(bug.error)
            body += ["    try:", f"        model = transform_model(model, {bug.opset})", "    except Exception as e:",
                     f"        print({who + ' raises'!r}, type(e).__name__, str(e)[:2000])",
                     f"        return {'1 if ' + error_test(frag) + ' else 2' if frag else '0' if bug.dies else '1'}",
                     f"    print({who + ' converts the model: fixed'!r})", "    return 0"]
            return _finish(head, snippets, body, bug), files
        body += [f"    model = transform_model(model, {bug.opset})"]
    if bug.kind == "invalid_model":
        # the checker's message filed, not any: another rule broken is another bug (2)
        frags = fragments(bug.error)
        body += ["    try:", "        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)",
                 "    except Exception as e:", "        print('the model is invalid:', type(e).__name__, str(e)[:2000])",
                 f"        return {'1 if ' + error_test(frags) + ' else 2' if frags else '1'}",
                 "    print('the model passes the checker: fixed')", "    return 0"]
        return _finish(head, snippets, body, bug), files
    if not bug.runtime:
        return _finish(head, snippets, body, bug), files
    runtime = system_name(bug.runtime)
    crash = bug.kind in _CRASHES
    frag = fragments(bug.error) if crash and not bug.dies else []
    # a process that raises where it used to die survives: the death is gone (0)
    said = f"1 if {error_test(frag)} else 2" if frag else 0 if bug.dies else 1
    if not multi:
        if crash:
            body += ["    try:", "        actual = run_model(model, INPUTS)", "    except Exception as e:",
                     f"        print({runtime + ' raises'!r}, type(e).__name__, str(e)[:2000])", f"        return {said}",
                     f"    print({runtime + ' runs the model: fixed'!r})", "    return 0"]
        else:  # an exception on the way is another failure: __main__ exits 2 for it
            body += ["    actual = run_model(model, INPUTS)",
                     "    if len(actual) != len(EXPECTED):  # another failure than the values filed",
                     "        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')",
                     "    try:  # numpy's report says what differs (EXPECTED is its DESIRED)",
                     "        for a, e in zip(actual, EXPECTED):" if not isinstance(_tol_expr(runs, bug), list) else
                     "        for a, e, tol in zip(actual, EXPECTED, RTOL):",
                     _assert_line(runs, bug),
                     "    except AssertionError as e:", "        print(e)", "        return 1",
                     "    print('outputs as expected: fixed')", "    return 0"]
    else:
        body += ["    failing, other = [], False", "    for size, inputs, expected in RUNS:",
                 "        at = f' at size {size}' if size else ''"]
        if bug.dies:  # said before the step that may kill: the parent's output then shows the size
            body += ["        print(f'running the model{at}', flush=True)"]
        body += ["        try:", "            actual = run_model(model, inputs)", "        except Exception as e:",
                 f"            print(f'{runtime} raises{{at}}:', type(e).__name__, str(e)[:2000])",
                 _on_error(bug, crash, frag), "            continue"]
        if compares:
            body += ["        problem = differs(actual, expected)", "        print(problem or f'outputs as expected{at}')",
                     "        failing += [size] if problem else []"]
        else:
            body += [f"        print(f'{runtime} runs the model{{at}}')"]
        body += ["    if failing:", "        print(f\"fails at size {'; '.join(failing)} (of {len(RUNS)} sizes)\")",
                 "    return 1 if failing else 2 if other else 0"]
    return _finish(head, snippets, body, bug), files


def _on_error(bug: OnnxBug, crash: bool, frag: str) -> str:
    """The repro's line for an exception from the system at fault: the filed failure when its
    words match (a crash), a sign of another failure (a wrong-values bug), or, for a bug that
    kills the process, proof that the process now survives: an error is no death."""
    if not crash:
        return "            other = True"
    if frag:
        return f"            failing += [size] if {error_test(frag)} else []"
    if bug.dies:
        return "            pass  # it raises instead of killing the process: the death is gone"
    return "            failing.append(size)"


def _rtol(bug: OnnxBug, expected) -> float:
    e = np.asarray(expected)
    if e.dtype.kind != "f" and e.dtype.name != "bfloat16":
        return 0.0
    return bug.rtol if bug.rtol is not None else RTOL.get(e.dtype.name, 1e-3)


def _tol_expr(runs: list[Run], bug: OnnxBug):
    tols = [_rtol(bug, e) for e in runs[0].expected or []]
    return tols if len(set(tols)) > 1 else (tols[0] if tols else 0.0)


def _tol_name(runs: list[Run], bug: OnnxBug) -> str:
    tol = _tol_expr(runs, bug)
    return "tol" if isinstance(tol, list) else repr(tol)


def _assert_line(runs: list[Run], bug: OnnxBug) -> str:
    tol = _tol_name(runs, bug)
    if tol in ("0.0", "0"):  # integers, booleans: exactly
        return f"            np.testing.assert_array_equal(a, e, strict={bug.strict_dtype!r})"
    return (f"            np.testing.assert_allclose(a, e, rtol={tol}, atol={tol} * {ATOL}, "
            f"strict={bug.strict_dtype!r})")


def _suffix(k: int) -> str:
    return "" if k == 0 else f"@{k - 1}"


def _dtype_expr(a) -> str:
    """The repro's spelling of a's element type (numpy has no bfloat16 of its own)."""
    return "ml_dtypes.bfloat16" if is_bfloat16(a) else f"np.{np.asarray(a).dtype.name}"


def is_bfloat16(a) -> bool:
    """Whether a holds bfloat16 values: ml_dtypes' type, or the raw 2-byte records an .npz file
    gives back for it."""
    a = np.asarray(a)
    return a.dtype.name == "bfloat16" or (a.dtype.kind == "V" and a.dtype.itemsize == 2)


def _runtime_source(name: str, bfloat16: bool) -> str:
    """The runtime plugin's run_model(); without its bfloat16 plumbing when the plugin can
    leave it out and no input needs it."""
    import inspect

    plugin = load_plugin("runtime", name)
    if "minimal" in inspect.signature(plugin.repro_source).parameters:
        return plugin.repro_source(minimal=not bfloat16).strip()
    return plugin.repro_source().strip()


def _finish(head: list[str], snippets: list[str], body: list[str], bug: OnnxBug) -> str:
    if bug.dies:  # the failing step kills the process: the repro watches it from a parent
        body = ["", "", "def main():", '    if "--child" not in sys.argv:', "        import os, subprocess",
                "        r = subprocess.run([sys.executable, os.path.abspath(__file__), '--child'], timeout=600)",
                "        if r.returncode < 0:", "            print('the process died with signal', -r.returncode)",
                "            return 1", "        return r.returncode", *body[3:]]
    return "\n".join(head) + "\n" + "\n\n\n".join(snippets) + "\n" + "\n".join(body) + MAIN


MAIN = '''


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
'''
