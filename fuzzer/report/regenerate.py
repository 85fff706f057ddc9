"""Rewrite bug folders with today's repro generator, from what each folder keeps.

    python -m fuzzer.report.regenerate [--bugs-dir bugs] [--reduce] [ID ...]

A campaign's folder keeps its minimized IR graph (case.json), its inputs (inputs.npz) and
the model the system at fault was given (model.onnx); a folder `onnxfuzz check` filed keeps
the reduced model, its inputs and expected values. From these each folder gets a new
repro.py (fuzzer.report.bug_repro), report.md and title. A folder whose new repro does not
exit 1 is left as it was and named in the output (exit status 1 then). A withdrawn folder
(case.json bug.withdrawn) is left alone. With --reduce, each campaign graph is first reduced
again with today's passes (kept only if the same system is still blamed); with
--reduce-model, the ONNX model of a runtime's or transformer's crash or invalid output is
reduced too, while its repro still exits 1 with the error first seen, and a tf2onnx bug's
TF function loses the casts the TF lowerings add around narrow dtypes where they play no part.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np

from fuzzer.ir.types import read_npz
from fuzzer.plugin import load_plugin


def folder_models(d: Path, meta: dict) -> dict[str, bytes]:
    """{path: model} for the model d keeps, under the path the campaign made it along."""
    f = d / "model.onnx"
    if not f.exists():
        return {}
    data = f.read_bytes()
    if "model_path" in meta:
        return {meta["model_path"]: data} if meta["model_path"] else {}
    # filed before model_path was recorded: the writer then kept, for a transformer's bug on a
    # model it could not export again from torch source, the model the transformer was given
    path = meta["path"]
    if ">" in path and load_plugin("converter", path.split("@")[0]).frontend != "torch":
        return {path.split(">")[0]: data}
    return {path: data}


def reminimize(d: Path, case: dict) -> str:
    """Reduce d's graph again with today's passes (fuzzer.minimize.passes), in place in case:
    what happened, in words. The smaller graph is kept only when the failure still holds on
    it and the blame, asked again of the same witnesses, names the same system. A static
    failure only: a crash that kills the process or a dynamic plan needs the campaign's
    supervised workers."""
    from fuzzer.ir import Graph
    from fuzzer.minimize.reducer import Target, reduce
    from fuzzer.report.blame import blame
    from oracles import Kind, Stage, normalize_error

    meta = case["bug"]
    if (meta.get("error") or "").startswith("worker died") or meta.get("dynamic"):
        return "not reduced again: it needs the campaign's workers"
    graph = Graph.from_json(case["graph"])
    inputs = read_npz(d / "inputs.npz")
    kind = Kind(meta["kind"])
    target = Target(kind, Stage(meta["stage"]), meta["path"], meta.get("runtime") or "", normalize_error(kind, meta["error"]))
    seed = int((meta.get("found") or {}).get("seed") or 0)
    red = reduce(graph, target, seed, inputs)
    if red.graph.dumps() == graph.dumps():  # the reducer only ever takes a smaller candidate
        return f"already minimal ({len(graph)} ops)"
    witnesses = meta.get("witnesses") or []
    exporters = sorted({p.split("@")[0] for p, _, _ in witnesses if ">" not in p})
    runtimes = sorted({r for _, r, _ in witnesses if r})
    who = blame(red.graph, target, seed, red.result.inputs_npz, exporters, runtimes)
    reviewed = (meta.get("blame_reason") or "").startswith("named by the reviewer")
    if who.system != meta["system"] and not (reviewed and not who.system):  # a reviewer's call stands where blame abstains
        return f"reduced to {len(red.graph)} ops, but then {who.system or 'nobody'} is blamed ({who.reason}): kept as it was"
    before = len(graph)
    case["graph"] = red.graph.to_json()
    meta["minimized"] = {**meta.get("minimized", {}), "ops": len(red.graph), "reduced_again_from": before}
    meta["witnesses"] = who.witnesses
    meta["error"], meta["stats"] = red.verdict.error, dict(red.verdict.stats)  # what the smaller graph shows
    from fuzzer.report.writer import _filed_key

    meta["key"] = _filed_key(case) or meta.get("key")  # the folder keeps its id; the key follows its ops
    (d / "inputs.npz").write_bytes(red.result.inputs_npz)
    # the kept model is of the old graph: the repro's model is made again from the new one
    (d / "model.onnx").unlink(missing_ok=True)
    meta.pop("model_path", None)
    from fuzzer.minimize.passes import body_steps

    steps = f", {body_steps(graph)} -> {body_steps(red.graph)} body steps" if body_steps(graph) else ""
    return f"reduced again: {before} -> {len(red.graph)} ops{steps}, {len(graph.inputs)} -> {len(red.graph.inputs)} inputs"


def refresh_failure(d: Path, case: dict) -> str:
    """Run d's graph once more along the failing path and take the failure's message and
    numbers (meta error and stats, what report.md's "What goes wrong" says) from that run,
    so that they are those of the final minimal case and its inputs, not of a larger graph
    or other inputs the folder once had. Left as they were when the run does not show the
    same failure (or cannot be run here: a crash that kills the process, a dynamic plan)."""
    from fuzzer.ir import Graph
    from fuzzer.minimize.reducer import Target, in_process
    from oracles import Kind, Stage, normalize_error

    meta = case["bug"]
    if (meta.get("error") or "").startswith("worker died") or meta.get("dynamic") or meta["kind"] in ("hang", "oom"):
        return "failure not run again: it needs the campaign's workers"
    if meta.get("expected_by"):  # the model was reduced past the graph: its failure was taken from it then
        return "failure as taken from the reduced model"
    graph = Graph.from_json(case["graph"])
    kind = Kind(meta["kind"])
    target = Target(kind, Stage(meta["stage"]), meta["path"], meta.get("runtime") or "", normalize_error(kind, meta["error"]))
    seed = int((meta.get("found") or {}).get("seed") or 0)
    result = in_process(target.spec(graph, seed, (d / "inputs.npz").read_bytes()))
    hit = next((v for v in (result.verdicts if result else []) if target.matches(v)), None)
    if hit is None:
        return "failure not refreshed: the same failure did not show on this run"
    changed = hit.error != meta.get("error") or dict(hit.stats) != (meta.get("stats") or {})
    meta["error"], meta["stats"] = hit.error, dict(hit.stats)
    return "failure refreshed from a new run" if changed else "failure as filed"


def said_in_output(error: str) -> list[str]:
    """The fragments of error (fuzzer.report.onnx_repro.fragments) as a repro's output shows
    them: it prints the exception's type apart from its message ("raises AttributeError 'x'")."""
    from fuzzer.report.onnx_repro import fragments

    out = []
    for s in fragments(error):
        if ": " in s and s.split(": ", 1)[0].isidentifier():
            s = s.split(": ", 1)[1]
        out.append(s)
    return [s for s in out if s]


_NO_EXPECTED = ("load_crash", "run_crash", "convert_crash", "invalid_model")


def reduce_model_of(d: Path, case: dict, max_seconds: float = 180.0) -> str:
    """For an ONNX-level crash or invalid model (no expected values tie the model to the graph):
    reduce the ONNX model the repro carries (fuzzer.minimize.onnx_model: bypass or cut any node,
    drop outputs, halve dims) while its repro still exits 1 saying what the failure first said.
    The smaller model is kept as d/model.onnx; what happened, in words."""
    import tempfile

    import onnx

    from fuzzer.ir import Graph
    from fuzzer.minimize.onnx_model import reduce_model
    from fuzzer.report.bug_repro import bug_repro
    from fuzzer.report.writer import given_path, run_repro, write_repro

    meta = case["bug"]
    if meta["role"] == "runtime" and meta["kind"] in _WRONG_RESULT and not meta.get("dynamic"):
        return _reduce_wrong_result_model(d, case, max_seconds)
    if meta["role"] == "exporter" or meta["kind"] not in _NO_EXPECTED:
        return "model not reduced: its repro compares with expected values of the graph"
    graph = Graph.from_json(case["graph"])
    inputs = read_npz(d / "inputs.npz")
    path = given_path(meta["role"], meta["path"], "")
    first = bug_repro(meta, graph, inputs, folder_models(d, meta))
    said = said_in_output(meta.get("error") or "")

    def fed(candidate) -> bool:
        """Does every input the model declares get a feed of its declared shape? (the repro feeds
        the folder's inputs: a candidate with a halved input dim would declare what it is not fed).
        A failure before any run (the checker's, a transformer's crash) feeds nothing."""
        if meta["stage"] not in ("load", "run", "judge"):
            return True
        for vi in candidate.graph.input:
            dims = vi.type.tensor_type.shape.dim
            a = inputs.get(vi.name)
            if a is None or len(dims) != a.ndim or any(d.HasField("dim_value") and d.dim_value != n for d, n in zip(dims, a.shape)):
                return False
        return True

    def holds(candidate) -> bool:
        if not fed(candidate):
            return False
        if meta["role"] in ("runtime", "transformer"):  # a valid model the system fails on: it must stay valid
            try:
                onnx.checker.check_model(candidate, full_check=True)
            except Exception:
                return False
        try:
            built = bug_repro(meta, graph, inputs, {path: candidate.SerializeToString()})
        except Exception:
            return False
        with tempfile.TemporaryDirectory() as tmp:
            write_repro(Path(tmp), built)
            code, output = run_repro(Path(tmp))
        return code == 1 and all(s in output for s in said)

    model = onnx.load_model_from_string(first.model)
    if len(model.graph.node) < 2 and all(len([i for i in n.input if i]) < 2 for n in model.graph.node) and not _holds_graphs(model):
        return "model already one node of one input"
    best, tried = reduce_model(model, holds, max_seconds)
    if best is model:
        return f"model already minimal ({len(model.graph.node)} nodes, {tried} candidates)"
    (d / "model.onnx").write_bytes(best.SerializeToString())
    meta["model_path"] = path
    meta["model_reduced"] = f"{len(model.graph.node)} -> {len(best.graph.node)} nodes on the ONNX model"
    return f"model reduced: {meta['model_reduced']} ({tried} candidates)"


def _holds_graphs(model) -> bool:
    """Does a node of model hold a graph (a Loop's body, an If's branches), which may shrink too?"""
    return any(a.HasField("g") or len(a.graphs) for n in model.graph.node for a in n.attribute)


_WRONG_RESULT = ("value_mismatch", "nan_inf", "shape_mismatch", "dtype_mismatch")


def _reduce_wrong_result_model(d: Path, case: dict, max_seconds: float) -> str:
    """A runtime's wrong result on the model an exporter made: reduce that ONNX model while the
    runtime at fault still disagrees with a witness runtime that ran the same model correctly
    (the campaign's witnesses), and its repro, expecting the witness's output, exits 1 with
    numpy's report of that kind of mismatch. The witness's output then stands for the exact
    result (case.json bug.expected_by); the ops the exporter added around the one at fault go."""
    import tempfile

    import onnx

    from fuzzer.ir import Graph
    from fuzzer.minimize.onnx_model import reduce_model
    from fuzzer.report.bug_repro import bug_repro
    from fuzzer.report.writer import given_path, other_failure, run_repro, write_repro

    meta = case["bug"]
    graph = Graph.from_json(case["graph"])
    inputs = read_npz(d / "inputs.npz")
    witnesses = [r for p, r, k in meta.get("witnesses") or [] if p == meta["path"] and k == "pass" and r and r != meta["runtime"]]
    if not witnesses:
        return "model not reduced: no runtime ran the same model correctly"
    witness = sorted(witnesses, key=lambda r: (r != "onnxruntime", r))[0]
    path = given_path(meta["role"], meta["path"], "")
    first = bug_repro(meta, graph, inputs, folder_models(d, meta))
    model = onnx.load_model_from_string(first.model)
    if len(model.graph.node) < 2 and not _holds_graphs(model):
        return "model already one node"
    fed_inputs = {v.name: inputs[v.name] for v in graph.inputs}
    last: dict = {}

    def holds(candidate) -> bool:
        if any(vi.name not in fed_inputs for vi in candidate.graph.input):
            return False
        # a model of constants alone computes nothing the runtime is asked to: any difference there
        # is another failure (how it returns a constant), not the one filed
        if not candidate.graph.input or all(n.op_type == "Constant" for n in candidate.graph.node):
            return False
        try:
            onnx.checker.check_model(candidate, full_check=True)
            # the repro compares with no absolute floor: a model whose outputs differ only below
            # it (a float16 underflow's -0 against -1.2e-38: review 16) shows no failure at all
            if _wrong_result_words(candidate, meta["runtime"], witness,
                                   {v.name: fed_inputs[v.name] for v in candidate.graph.input})[0] == NO_DIFFERENCE:
                return False
            trial = {**meta, "expected_by": witness}
            built = bug_repro(trial, graph, inputs, {path: candidate.SerializeToString()})
        except Exception:  # the witness fails on it too, or it is no valid model: not this bug
            return False
        with tempfile.TemporaryDirectory() as tmp:
            write_repro(Path(tmp), built)
            code, output = run_repro(Path(tmp))
        if code == 1 and other_failure(meta["kind"], "", output) is None:
            last[candidate.SerializeToString()] = built
            return True
        return False

    best, tried = reduce_model(model, holds, max_seconds)
    if best is model:
        return f"model already minimal ({len(model.graph.node)} nodes, {tried} candidates)"
    (d / "model.onnx").write_bytes(best.SerializeToString())
    meta["model_path"] = path
    meta["expected_by"] = witness
    meta["model_reduced"] = f"{len(model.graph.node)} -> {len(best.graph.node)} nodes on the ONNX model"
    meta["error"], meta["stats"] = _wrong_result_words(best, meta["runtime"], witness,
                                                       {v.name: fed_inputs[v.name] for v in best.graph.input})
    return f"model reduced: {meta['model_reduced']} ({tried} candidates), expected values by {witness}"


def _wrong_result_words(model, runtime: str, witness: str, feeds: dict) -> tuple[str, dict]:
    """(what goes wrong in words, its numbers) for model run on runtime against witness's output,
    in the words and keys of the campaign's oracle (its tolerance scale left out: the repro's differs)."""
    outs = []
    for name in (runtime, witness):
        plugin = load_plugin("runtime", name)
        outs.append(plugin.run(plugin.load(model.SerializeToString()), feeds))
    for k, (a, e) in enumerate(zip(*outs)):
        a, e = np.asarray(a), np.asarray(e)
        if a.shape != e.shape:
            return f"output {k}: shape {list(a.shape)}, expected {list(e.shape)}", {"output": k}
        if a.dtype != e.dtype:
            return f"output {k}: dtype {a.dtype}, expected {e.dtype}", {"output": k}
        diff = np.abs(a.astype(float) - e.astype(float))
        bad = ~np.isclose(a.astype(float), e.astype(float), rtol=1e-3, equal_nan=True)
        if not bad.any():
            continue
        worst = np.unravel_index(int(np.argmax(np.where(bad, np.nan_to_num(diff, nan=np.inf), -1))), a.shape)
        rel = diff / np.maximum(np.abs(e.astype(float)), 1e-12)
        stats = {"output": k, "ok": False, "max_abs": float(np.nanmax(diff)), "max_rel": float(np.nanmax(np.where(bad, rel, 0))),
                 "worst_index": [int(i) for i in worst], "worst_actual": float(a[worst]), "worst_expected": float(e[worst]),
                 "mismatched": int(bad.sum()), "compared": int(a.size)}
        text = (f"output {k}: {stats['mismatched']}/{stats['compared']} elements off; max abs {stats['max_abs']:.4g}, "
                f"max rel {stats['max_rel']:.4g} at {stats['worst_index']} (got {a[worst]}, expected {e[worst]})")
        return text, stats
    return NO_DIFFERENCE, {}


#: _wrong_result_words of outputs that agree within its tolerance
NO_DIFFERENCE = "no output differs"


def reduce_tf_of(d: Path, case: dict) -> str:
    """For a tf2onnx bug: try the TF function without the casts the TF lowerings add around
    narrow dtypes (fuzzer.report.tf_repro.narrow_tf_source). Kept (case.json bug.tf_narrow)
    when TensorFlow computes the same without them and the repro still exits 1 with the same
    failure: for a crash, saying what the error first said."""
    import tempfile

    from fuzzer.ir import Graph
    from fuzzer.report.bug_repro import bug_repro
    from fuzzer.report.tf_repro import narrow_tf_source
    from fuzzer.report.writer import run_repro, write_repro

    meta = case["bug"]
    if meta["role"] != "exporter" or not meta["path"].startswith("tf2onnx@"):
        return "TF function not reduced: not a tf2onnx bug"
    graph = Graph.from_json(case["graph"])
    inputs = read_npz(d / "inputs.npz")
    said = said_in_output(meta.get("error") or "") if meta["stage"] == "export" else []

    def still(flag: str) -> int:
        """The repro's exit code with case.json bug.<flag> set: 1 (and what the error said) or another."""
        built = bug_repro({**meta, flag: True}, graph, inputs, folder_models(d, meta))
        with tempfile.TemporaryDirectory() as tmp:
            write_repro(Path(tmp), built)
            code, output = run_repro(Path(tmp))
        return code if code != 1 or all(s in output for s in said) else 2

    done = []
    if not meta.get("tf_narrow") and narrow_tf_source(graph, {v.name: inputs[v.name] for v in graph.inputs}) is not None:
        if still("tf_narrow") == 1:
            meta["tf_narrow"] = True
            done.append("the widening casts went")
    if meta["kind"] in _NO_EXPECTED + ("export_crash",):  # no expected values tie the function to the graph
        # where TensorFlow needs the casts (no int8 kernel), the narrow dtype itself may play no part
        if not meta.get("tf_narrow") and not meta.get("tf_ints_widened") and any(
                v.type.dtype.name in ("int8", "int16", "uint8") for n in graph.nodes for v in n.outputs):
            if still("tf_ints_widened") == 1:
                meta["tf_ints_widened"] = True
                done.append("int8/int16/uint8 made int64, so no casts")
        if graph.consts and not meta.get("consts_as_inputs") and still("consts_as_inputs") == 1:
            meta["consts_as_inputs"] = True
            done.append("constants made inputs")
    return f"TF function reduced: {', '.join(done)}" if done else "TF function already minimal"


#: an ONNX model of at least this many nodes for a runtime's or a transformer's bug is reduced
#: at the ONNX level right after filing (a motif is one IR node and many ONNX ones; an exporter's
#: model adds its own): the maintainer gets the smallest model that still fails
REDUCE_MODEL_NODES = 6
#: and for at most this long, so that filing goes on
REDUCE_MODEL_SECONDS = 90.0


def reduce_filed_model(d: Path) -> str:
    """After filing (the campaign's triage, `reduce --file`): reduce a new folder's ONNX model at
    the ONNX level when it has REDUCE_MODEL_NODES nodes or more. The folder is replaced only when
    the smaller model's repro still shows the filed failure, and its key stays (case.json keeps
    given_sinks and given_traits of the model as filed). What happened, in words ("" if nothing)."""
    import onnx

    try:
        meta = json.loads((d / "case.json").read_text())["bug"]
        if meta["role"] not in ("runtime", "transformer") or not (d / "model.onnx").exists():
            return ""
        if len(onnx.load(str(d / "model.onnx")).graph.node) < REDUCE_MODEL_NODES:
            return ""
        code, _ = regenerate(d, model_too=True, model_seconds=REDUCE_MODEL_SECONDS)
        return "model reduced" if code == 1 else ""
    except Exception:  # the folder as filed stands
        return ""


def regenerate(d: Path, again: bool = False, model_too: bool = False, model_seconds: float = 180.0) -> tuple[int, str]:
    """(the new repro's exit code, its output) for folder d, rewritten when that code is 1.
    again: reduce its graph again first (reminimize). model_too: reduce its ONNX model too, for
    at most model_seconds."""
    from fuzzer.report.writer import run_repro, write_repro

    case = json.loads((d / "case.json").read_text())
    meta = case["bug"]
    if meta.get("withdrawn"):
        return -1, f"withdrawn: {meta['withdrawn']}"
    staging = d.with_name("." + d.name + ".regen")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(d, staging)
    try:
        if again and "graph" in case:
            print(f"    {reminimize(staging, case)}", flush=True)
        if model_too and "graph" in case:
            print(f"    {reduce_model_of(staging, case, model_seconds)}", flush=True)
            if meta["path"].startswith("tf2onnx@"):
                print(f"    {reduce_tf_of(staging, case)}", flush=True)
        if "graph" in case:
            print(f"    {refresh_failure(staging, case)}", flush=True)
        if "graph" in case:
            built, model = _campaign_repro(staging, meta, case)
        else:
            built, model = _check_repro(staging, meta), None
        if "graph" in case and _buffers_alone(meta, case) and not meta.get("consts_as_inputs"):
            print(f"    {_try_consts_as_inputs(staging, meta, case)}", flush=True)
            built, model = _campaign_repro(staging, meta, case)
        write_repro(staging, built)
        if model is not None:
            (staging / "model.onnx").write_bytes(model)
        code, output = run_repro(staging)
        if code != 1:
            return code, output
        print(f"    {error_from_repro(meta, output)}", flush=True)  # the names its model gives, in any idiom
        from fuzzer.report.writer import report_markdown, repro_ops

        meta["title"] = built.title
        (staging / "report.md").write_text(report_markdown(meta, built.graph_text, output, built.idiom, repro_ops(built)))
        meta["status"] = "reproduces"
        (staging / "case.json").write_text(json.dumps(case, indent=1))
        backup = d.with_name("." + d.name + ".old")
        d.rename(backup)
        staging.rename(d)
        shutil.rmtree(backup)
        return code, output
    finally:
        shutil.rmtree(staging, ignore_errors=True)


_ERRORS = ("load_crash", "run_crash", "convert_crash", "invalid_model")


#: a repro of a dynamic model says at which size it raised ("tract raises at size x0[0]=2: TractError ...")
_CAUGHT_AT_SIZE = re.compile(r" raises at size [^:]*:\s+(\w+)\s+(.*)")


def error_from_repro(meta: dict, output: str) -> str:
    """Take the failure's message (what report.md's "What goes wrong" shows) from what the repro
    printed, when it is the filed failure: the node and value names are then those of the
    repro's model (none, t1, t2...), not those of the run that found it. Its first line only:
    the lines after it are the error's own, or another stream's."""
    from fuzzer.report.rootcause import root_error
    from fuzzer.report.writer import _CAUGHT, other_failure

    kind, error = meta["kind"], meta.get("error") or ""
    if kind not in _ERRORS or error.startswith("worker died") or other_failure(kind, error, output):
        return "failure message as it was"
    lines = output.splitlines()
    for at, line in enumerate(lines):
        m = _CAUGHT_AT_SIZE.search(line) or _CAUGHT.search(line)
        if not m:
            continue
        said = f"{m.group(1)}: {m.group(2).strip()}"
        first, _, rest = error.strip().partition("\n")
        if root_error(kind, said) != root_error(kind, first.strip()):
            return "failure message as it was (the repro's differs past its names)"
        # the lines after the first as the repro printed them, where they differ only in node names
        # ("Name: node_ReduceMean_1" of the run that found it, "Name: " of the repro's model)
        printed = lines[at + 1: at + 1 + len(rest.splitlines())] if rest else []
        if rest and len(printed) == len(rest.splitlines()) and all(
                _unnamed(a) == _unnamed(b) for a, b in zip(printed, rest.splitlines())):
            rest = "\n".join(printed)
        meta["error"] = said + ("\n" + rest if rest else "")
        return "failure message as the repro prints it" if said != first.strip() else "failure message as filed"
    return "failure message as it was"


def _unnamed(line: str) -> str:
    """line without the node names a checker or runtime gives (the run's, not the failure's)."""
    from fuzzer.report.onnx_repro import _NODE_NAMES

    line = re.sub(r"Name: ?(?:'[^']*'|[^\s:']+)?(?=\s|$)|" + _NODE_NAMES + r"|'[\w/.]*__\d+'|\b\w+__\d+\b", "", line)
    return " ".join(line.split())


def _buffers_alone(meta: dict, case: dict) -> bool:
    """A torch exporter's wrong result on a graph of constants alone (a module of buffers)."""
    from fuzzer.ir import Graph

    if meta["role"] != "exporter" or meta["kind"] not in _WRONG_RESULT or meta.get("dynamic"):
        return False
    if load_plugin("converter", meta["path"].split("@")[0]).frontend != "torch":
        return False
    return not Graph.from_json(case["graph"]).inputs


def _try_consts_as_inputs(d: Path, meta: dict, case: dict) -> str:
    """Give a module of buffers alone its constants as inputs (case.json bug.consts_as_inputs),
    where the repro still exits 1 with that kind of mismatch: the export then shows the lowering
    at fault instead of folding everything into one constant."""
    import tempfile

    from fuzzer.report.writer import other_failure, run_repro, write_repro

    trial = {**meta, "consts_as_inputs": True}
    built, _ = _campaign_repro(d, trial, case)
    with tempfile.TemporaryDirectory() as tmp:
        write_repro(Path(tmp), built)
        code, output = run_repro(Path(tmp))
    if code != 1 or other_failure(meta["kind"], "", output):
        return f"constants kept as buffers: given as inputs, the repro exits {code}"
    meta["consts_as_inputs"] = True
    return "constants given as inputs: the export shows the lowering"


def _campaign_repro(d: Path, meta: dict, case: dict):
    import onnx

    from fuzzer.ir import Graph
    from fuzzer.report.bug_repro import bug_repro
    from fuzzer.report.writer import given_path

    graph = Graph.from_json(case["graph"])
    inputs = read_npz(d / "inputs.npz")
    built = bug_repro(meta, graph, inputs, folder_models(d, meta))
    model = None
    if built.idiom == "onnx" and built.model is not None:
        model = onnx.load_model_from_string(built.model).SerializeToString()
        meta["model_path"] = given_path(meta["role"], meta["path"], "")
    elif "model_path" not in meta and (d / "model.onnx").exists():
        meta["model_path"] = meta["path"]
    return built, model


def _check_repro(d: Path, meta: dict):
    """A folder `onnxfuzz check` filed: its repro again from model.onnx, inputs.npz, expected.npz."""
    import onnx

    from fuzzer.report.bug_repro import BugRepro
    from fuzzer.report.onnx_repro import OnnxBug, Run, repro_source

    model = onnx.load(str(d / "model.onnx"))
    runtime = meta.get("runtime") or None
    transformer = meta["system"] if meta["role"] == "transformer" else None
    versions = {"onnx": onnx.__version__}
    for role, name in (("converter", transformer), ("runtime", runtime)):
        if name:
            versions.update(load_plugin(role, name).versions())
    feeds = read_npz(d / "inputs.npz") if (d / "inputs.npz").exists() else {}
    expected = list(np.load(d / "expected.npz").values()) if (d / "expected.npz").exists() else []
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    bug = OnnxBug(meta["title"], meta.get("reason", ""), meta["kind"], error=meta.get("error", ""), runtime=runtime,
                  transformer=transformer, opset=opset, versions=versions,
                  dies=(meta.get("error") or "").startswith("worker died"))
    source, files = repro_source(bug, model, [Run(feeds, expected)])
    # report_markdown's fields, from what `onnxfuzz check` recorded
    meta.setdefault("blame_reason", meta.get("reason", ""))
    meta.setdefault("versions", versions)
    meta["minimized"] = {**meta.get("minimized", {}), "ops": len(model.graph.node)}
    if isinstance(meta.get("filed"), (int, float)):
        import time

        meta["filed"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(meta["filed"]))
    return BugRepro(source, files, meta["title"], onnx.printer.to_text(model), "onnx", model=model.SerializeToString())


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fuzzer.report.regenerate", description=__doc__.split("\n\n")[0])
    p.add_argument("ids", nargs="*", help="folders to rewrite (default: all)")
    p.add_argument("--bugs-dir", type=Path, default=Path("bugs"))
    p.add_argument("--reduce", action="store_true",
                   help="reduce each graph again with today's passes first (the same system must stay blamed)")
    p.add_argument("--reduce-model", action="store_true",
                   help="for an ONNX-level crash or invalid model, reduce the ONNX model itself while its repro exits 1; "
                        "for a tf2onnx bug, drop the TF function's widening casts where they play no part")
    args = p.parse_args(argv)
    dirs = [args.bugs_dir / i for i in args.ids] or sorted(c.parent for c in args.bugs_dir.glob("*/case.json"))
    failed = []
    for d in dirs:
        try:
            code, output = regenerate(d, again=args.reduce, model_too=args.reduce_model)
        except Exception as e:  # one folder's trouble must not stop the others
            code, output = -2, f"{type(e).__name__}: {e}"
        state = {1: "rewritten", -1: "left alone"}.get(code, f"NOT rewritten (new repro exits {code})")
        print(f"{d.name:45s} {state}", flush=True)
        if code not in (1, -1):
            failed.append(d.name)
            print("    " + output.strip()[-1500:].replace("\n", "\n    "))
    print(f"{len(dirs) - len(failed)} of {len(dirs)} folders rewritten or left alone on purpose")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
