"""Bug folders for failures `onnxfuzz check` found in a user's model, in the ONNX-level repro idiom.

A repro builds the reduced model from ONNX's own text format (onnx.parser),
feeds literal inputs, runs only the system at fault (the transformer, then the
runtime its output failed on), and compares with the expected values the
float64 reference gave. It imports onnx, numpy and the system at fault, never
torch or onnxfuzz; it exits 1 while the bug reproduces, 0 once fixed, 2 when
another step fails first. A folder is written only when its repro exits 1 in a
fresh interpreter and shows the failure filed (fuzzer.report.writer.other_failure).
Its key is the campaign filer's root-cause key (fuzzer.report.rootcause): a
failure whose root cause is filed already, by either filer, updates that
folder's hit count instead of writing another.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

from fuzzer.plugin import load_plugin
from fuzzer.report.onnx_repro import OnnxBug, Run, blame_transformer, plain_model
from fuzzer.report.onnx_repro import repro_source as onnx_repro_source
from fuzzer.report.vocabulary import explain, system_name
from fuzzer.report.rootcause import model_sink_ops, model_traits, root_key
from fuzzer.report.writer import count_again, existing_bug, other_failure, run_repro, seen
from oracles import Kind

def file_check_bug(bugs: Path, row, model, feeds: dict[str, np.ndarray], expected: list[np.ndarray], source: str) -> tuple[str, bool, str]:
    """(folder id, whether it is new, what happened) for one reduced failure of `onnxfuzz check`."""
    import onnx

    v, who = row.verdict, row.blame
    if who.role == "spec":  # the ONNX spec's own defect (an op's function body): no system under test to file against
        return "", False, f"not filed: {who.reason}"
    # the campaign filer's root-cause key: one defect is one folder whichever filer met it first
    sinks = model_sink_ops(model)
    key = root_key(who.system, who.role, v.kind.value, v.stage.value, v.error, v.runtime or "", sinks, False,
                   traits=model_traits(model))
    bug_id = f"{who.system}-{v.kind.value.replace('_', '-')}-{key[:6]}"
    folder = bugs / bug_id
    found = {"source": f"onnxfuzz check {source}"}
    known = existing_bug(bugs, bug_id, key)
    if known is not None:
        count_again(known, found)
        return known.name, False, "the same root cause is filed already: its hit count went up"
    model = plain_model(model)  # what its producers wrote about themselves is noise to a maintainer
    tmp = bugs / f".{bug_id}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)  # what a killed earlier filing left
    tmp.mkdir(parents=True)
    onnx.save(model, str(tmp / "model.onnx"))
    np.savez(tmp / "inputs.npz", **feeds)
    script, files = _repro(row, model, feeds, expected)
    for name, data in files.items():  # the repro's own data: inputs and expected values too large to inline
        (tmp / name).write_bytes(data)
    (tmp / "repro.py").write_text(script)
    code, output = run_repro(tmp)
    if code != 1:
        shutil.rmtree(tmp)
        return bug_id, False, f"not filed: its repro exits {code}, not 1 ({output[-300:]})"
    other = other_failure(v.kind.value, v.error, output)
    if other:
        shutil.rmtree(tmp)
        return bug_id, False, f"not filed: its repro exits 1 for another reason ({other})"
    (tmp / "report.md").write_text(_report(row, model, source, output))
    # the "bug" record is what `onnxfuzz bugs list/show/verify/export` read, as for a campaign's bugs
    bug = {"id": bug_id, "title": title(row, model), "kind": v.kind.value, "stage": v.stage.value, "system": who.system,
           "role": who.role, "reason": who.reason, "witness": who.witness, "path": v.path, "runtime": v.runtime,
           "error": v.error, "stats": v.stats, "hits": 1, "status": "reproduces", "filed": time.time(),
           "minimized": {"ops": len(model.graph.node)}, "found_by": "onnxfuzz check", "source": source, "key": key,
           "sink_ops": sinks}
    seen(bug, found)
    (tmp / "case.json").write_text(json.dumps({"bug": bug}, indent=1, default=str))
    tmp.rename(folder)
    return bug_id, True, "filed"


def title(row, model) -> str:
    v, who = row.verdict, row.blame
    ops = ", ".join(v.ops or sorted({f"{n.domain}.{n.op_type}" if n.domain not in ("", "ai.onnx") else n.op_type
                                     for n in model.graph.node}))
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
    lines = [f"# {title(row, model)}", "", f"- system at fault: {system_name(who.system)} ({who.role}); {explain(who.reason)}",
             f"- opset {opset}; versions: {versions}",
             f"- found by `onnxfuzz check` (a user's model through ONNX optimizers and runtimes) on {source}"
             + (f", in {system_name(row.transformer)}'s output of it" if row.transformer else "")
             + f"; reduced to {len(model.graph.node)} nodes", "",
             "## Model (ONNX text)", "", "```", onnx.printer.to_text(model), "```", "", "## Error", "", "```",
             v.error.strip(), "```", "", "## repro.py says", "", "```", repro_out.strip()[-2000:], "```", ""]
    return "\n".join(lines)


def _repro(row, model, feeds: dict, expected: list) -> tuple[str, dict[str, bytes]]:
    """(repro.py, its data files) for one reduced failure, by the campaign writer's rules
    (fuzzer.report.onnx_repro): its tolerance by output dtype, or by the precision a
    transformer lowers to on purpose."""
    import onnx

    v, who = row.verdict, row.blame
    versions = {"onnx": onnx.__version__}
    for role, name in (("converter", who.system if who.role == "transformer" else None), ("runtime", v.runtime)):
        if name:
            versions.update(load_plugin(role, name).versions())
    bug = OnnxBug(title(row, model), who.reason, v.kind.value, error=v.error, runtime=v.runtime or None,
                  opset=_opset(model), versions=versions,
                  dies=v.kind in (Kind.LOAD_CRASH, Kind.RUN_CRASH) and v.error.startswith("worker died"))
    if who.role == "transformer":
        blame_transformer(bug, who.system)
    return onnx_repro_source(bug, model, [Run(feeds, list(expected))])


def _opset(model) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
