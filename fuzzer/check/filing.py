"""Bug folders for failures `onnxfuzz check` found in a user's model, in the ONNX-level repro idiom.

A repro builds the reduced model from ONNX's own text format (onnx.parser),
feeds literal inputs, runs only the system at fault (the transformer, then the
runtime its output failed on), and compares with the expected values the
float64 reference gave. It imports onnx, numpy and the system at fault, never
torch or onnxfuzz; it exits 1 while the bug reproduces, 0 once fixed, 2 when
another step fails first. A folder is written only when its repro exits 1 in a
fresh interpreter, and a second failure with the same key updates the first
folder's hit count instead of writing another.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

import numpy as np

from fuzzer.plugin import load_plugin
from fuzzer.report.writer import run_repro
from oracles import Kind

#: arrays up to this many elements are written into repro.py; larger ones go to inputs.npz
INLINE = 64
_RTOL = {"float16": 1e-2, "bfloat16": 6e-2, "float32": 1e-4, "float64": 1e-6}


def file_check_bug(bugs: Path, row, model, feeds: dict[str, np.ndarray], expected: list[np.ndarray], source: str) -> tuple[str, bool, str]:
    """(folder id, whether it is new, what happened) for one reduced failure of `onnxfuzz check`."""
    import onnx

    v, who = row.verdict, row.blame
    key = "|".join(map(str, row.key()[1:])) + f"|{who.system}"
    bug_id = f"{who.system}-{v.kind.value.replace('_', '-')}-{hashlib.sha1(key.encode()).hexdigest()[:6]}"
    folder = bugs / bug_id
    if (folder / "case.json").exists():
        case = json.loads((folder / "case.json").read_text())
        case["bug"]["hits"] = case["bug"].get("hits", 1) + 1
        (folder / "case.json").write_text(json.dumps(case, indent=1))
        return bug_id, False, "the same failure is filed already: its hit count went up"
    model = _plain(model)
    tmp = bugs / f".{bug_id}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)  # what a killed earlier filing left
    tmp.mkdir(parents=True)
    onnx.save(model, str(tmp / "model.onnx"))
    np.savez(tmp / "inputs.npz", **feeds)
    np.savez(tmp / "expected.npz", *expected)
    (tmp / "repro.py").write_text(repro_source(row, model, feeds, expected))
    code, output = run_repro(tmp)
    if code != 1:
        shutil.rmtree(tmp)
        return bug_id, False, f"not filed: its repro exits {code}, not 1 ({output[-300:]})"
    (tmp / "report.md").write_text(_report(row, model, source, output))
    # the "bug" record is what `onnxfuzz bugs list/show/verify/export` read, as for a campaign's bugs
    bug = {"id": bug_id, "title": title(row, model), "kind": v.kind.value, "stage": v.stage.value, "system": who.system,
           "role": who.role, "reason": who.reason, "witness": who.witness, "path": v.path, "runtime": v.runtime,
           "error": v.error, "stats": v.stats, "hits": 1, "status": "reproduces", "filed": time.time(),
           "minimized": {"ops": len(model.graph.node)}, "found_by": "onnxfuzz check", "source": source, "key": key}
    (tmp / "case.json").write_text(json.dumps({"bug": bug}, indent=1, default=str))
    tmp.rename(folder)
    return bug_id, True, "filed"


def _plain(model):
    """model without what its producers wrote about themselves (metadata, doc strings): noise to a maintainer."""
    import onnx

    m = onnx.ModelProto()
    m.CopyFrom(model)
    del m.metadata_props[:]
    m.ClearField("doc_string")
    m.graph.ClearField("doc_string")
    for node in m.graph.node:
        node.ClearField("doc_string")
    return m


def title(row, model) -> str:
    v, who = row.verdict, row.blame
    ops = ", ".join(v.ops or sorted({n.op_type for n in model.graph.node}))
    what = {Kind.VALUE_MISMATCH: "computes wrong values", Kind.NAN_INF: "computes NaN/Inf where the result is finite",
            Kind.SHAPE_MISMATCH: "gives a wrong output shape", Kind.DTYPE_MISMATCH: "gives a wrong output type",
            Kind.LOAD_CRASH: "refuses to load a valid model", Kind.RUN_CRASH: "fails at run time",
            Kind.CONVERT_CRASH: "crashes", Kind.INVALID_MODEL: "emits a model the ONNX checker rejects"}.get(v.kind, v.kind.value)
    if v.error.startswith("worker died"):
        signal = v.error.splitlines()[0].removeprefix("worker died: ")
        what = f"kills the process ({signal}) {'loading' if v.kind is Kind.LOAD_CRASH else 'running'} a valid model"
    if who.role == "transformer" and v.runtime:
        return f"{who.system}: its output {what} on {v.runtime} ({ops})"
    return f"{who.system} {what} ({ops})"


def _report(row, model, source: str, repro_out: str) -> str:
    import onnx

    v, who = row.verdict, row.blame
    plugin = load_plugin("runtime" if who.role == "runtime" else "converter", who.system)
    versions = ", ".join(f"{k} {val}" for k, val in {"onnx": onnx.__version__, **plugin.versions()}.items())
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    lines = [f"# {title(row, model)}", "", f"- system at fault: {who.system} ({who.role}); {who.reason}",
             f"- symptom: {v.kind.value} at {v.stage.value}", f"- opset {opset}; versions: {versions}",
             f"- found by `onnxfuzz check` on {source}, reduced to {len(model.graph.node)} nodes", "",
             "## Model (ONNX text)", "", "```", onnx.printer.to_text(model), "```", "", "## Error", "", "```",
             v.error.strip(), "```", "", "## repro.py says", "", "```", repro_out.strip()[-2000:], "```", ""]
    return "\n".join(lines)


def _literal(a: np.ndarray) -> str:
    a = np.asarray(a)
    if a.dtype.name == "bfloat16":
        return f"np.array({a.astype(np.float32).tolist()!r}, dtype=np.float32)  # bfloat16 values"
    return f"np.array({a.tolist()!r}, dtype=np.{a.dtype.name})"


def _fragment(error: str) -> str:
    """The longest stretch of the error's first line without numbers or quoted names: what the
    repro looks for in the error it gets, so that another failure does not pass for this one."""
    import re

    first = error.strip().splitlines()[0] if error.strip() else ""
    pieces = [p.strip() for p in re.split(r"[0-9]+|'[^']*'|\"[^\"]*\"", first)]
    best = max(pieces, key=len, default="")
    return best if len(best) >= 12 else ""


def repro_source(row, model, feeds: dict, expected: list) -> str:
    import onnx

    v, who = row.verdict, row.blame
    transformer = who.system if who.role == "transformer" else None
    runtime = v.runtime
    text = onnx.printer.to_text(model)
    try:  # the text format is what a maintainer reads; a model it cannot carry whole stays a file
        inline_model = onnx.printer.to_text(onnx.parser.parse_model(text)) == text
    except Exception:
        inline_model = False
    small = all(np.size(a) <= INLINE and np.asarray(a).dtype.name != "bfloat16" for a in [*feeds.values(), *expected])
    parts = [f'"""{title(row, model)}', "", f"{who.reason}.", "Exits 1 while the bug reproduces, 0 once it is fixed, 2 when another step fails first.",
             '"""', "import sys", "", "import numpy as np", "import onnx", ""]
    if inline_model:
        parts += [f"MODEL = onnx.parser.parse_model('''\n{text}\n''')"]
    else:
        parts += ["import os", 'MODEL = onnx.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "model.onnx"))']
    if not runtime:
        pass  # a transformer's invalid output: no inputs, no expected values
    elif small:
        parts += ["FEEDS = {" + ", ".join(f"{k!r}: {_literal(a)}" for k, a in feeds.items()) + "}",
                  "EXPECTED = [" + ", ".join(_literal(e) for e in expected) + "]  # the float64 reference result"]
    else:
        parts += ["_HERE = __import__('os').path.dirname(__import__('os').path.abspath(__file__))",
                  "FEEDS = dict(np.load(_HERE + '/inputs.npz'))",
                  "EXPECTED = list(np.load(_HERE + '/expected.npz').values())  # the float64 reference result"]
    if transformer:
        parts += [load_plugin("converter", transformer).repro_source().strip(), ""]
    if runtime:
        parts += [load_plugin("runtime", runtime).repro_source().strip(), ""]
    dtype = next((str(np.asarray(e).dtype) for e in expected), "float32")
    rtol = _RTOL.get(dtype, 0.0)
    if v.kind is Kind.VALUE_MISMATCH and rtol:
        rtol = max(rtol, min(10 * rtol, float(v.stats.get("max_rel", rtol)) / 2))
    crash = v.kind in (Kind.LOAD_CRASH, Kind.RUN_CRASH)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    body = ["", "", "def main():", "    model = MODEL.SerializeToString()"]
    if transformer:
        body += [f"    model = transform_model(model, {opset})"]
        if v.kind is Kind.INVALID_MODEL or not runtime:
            body += ["    try:", "        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)",
                     "    except Exception as e:", f"        print('{transformer} output is invalid:', type(e).__name__, e)",
                     "        return 1", "    print('the transformed model passes the checker')"]
            if not runtime:
                body += ["    return 0"]
    died = crash and v.error.startswith("worker died")
    if runtime:
        if died:  # the runtime kills the process: the repro watches it from a parent
            body = ["", "", "def main():", '    if "--child" not in sys.argv:', "        import os, subprocess",
                    "        r = subprocess.run([sys.executable, os.path.abspath(__file__), '--child'])",
                    "        if r.returncode < 0:",
                    f"            print('{runtime} kills the process with signal', -r.returncode)",
                    "            return 1", "        return 0 if r.returncode == 0 else 2",
                    *body[3:]]
        fragment = _fragment(v.error) if crash and not died else ""
        body += ["    try:", "        actual = run_model(model, FEEDS)", "    except Exception as e:",
                 f"        print('{runtime} raises', type(e).__name__, str(e)[:2000])"]
        if crash and fragment:
            body += [f"        return 1 if {fragment!r} in str(e) else 2  # the error the check saw, or another step"]
        else:
            body += [f"        return {1 if crash else 2}"]
        if crash:
            body += [f"    print('{runtime} runs the model')", "    return 0"]
        else:
            body += ["    failed = False", "    for i, (a, e) in enumerate(zip(actual, EXPECTED)):",
                     "        a, e = np.asarray(a), np.asarray(e)",
                     "        if a.shape != e.shape or a.dtype != e.dtype:",
                     "            print(f'output {i}: {a.dtype}{list(a.shape)}, expected {e.dtype}{list(e.shape)}')",
                     "            failed = True", "            continue",
                     "        if np.issubdtype(e.dtype, np.floating):",
                     f"            tol = {rtol!r} * (np.abs(e.astype(np.float64)) + 0.1 * max(np.abs(e.astype(np.float64)).mean(), 1e-3))",
                     "            bad = ~(np.abs(a.astype(np.float64) - e.astype(np.float64)) <= tol)",
                     "        else:", "            bad = a != e",
                     "        if bad.any():", "            j = tuple(np.argwhere(bad)[0])",
                     "            print(f'output {i}: {int(bad.sum())}/{bad.size} elements differ; at {list(j)} got {a[j]!r}, expected {e[j]!r}')",
                     "            failed = True", "    return 1 if failed else 0"]
    body += ["", "", 'if __name__ == "__main__":', "    sys.exit(main())", ""]
    return "\n".join(parts + body)
