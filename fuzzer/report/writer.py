"""bugs/<id>/: report.md, repro.py, model.onnx, inputs.npz, case.json.

A bug is filed only when its generated repro.py, run as a maintainer would
run it, exits 1 and shows the failure filed (`other_failure`), and exits 1
again on each of REPRO_RERUNS more runs: a repro that exits 1 for another
reason is dropped, as is whatever does not reproduce every time.
A bug is identified by its root-cause key (fuzzer.report.rootcause): the
system's family, the symptom, the stage, the normalized error and the op at
fault. Filing a failure whose key a folder in the bugs directory has already
(whichever filer wrote it, under whichever older key) counts it there: hits,
when it was last seen, and which campaigns or checked models hit it.

A bug that needs dynamic dims (the reducer kept the case's dynamic plan,
because the failure does not hold exported static) is another bug than the
same symptom on a static model: its key says so, its repro exports the same
dims dynamic and runs every size, and its report names the dims and the size
that fails.
"""
from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from fuzzer.ir import Graph
from fuzzer.ir.types import read_npz
from fuzzer.minimize.reducer import Reduction, Target
from fuzzer.plugin import load_plugin
from fuzzer.report.blame import Blame
from fuzzer.report.bug_repro import bug_repro
from fuzzer.report.likely import HELD, LIKELY, count_likely, holding, likely_repeat
from fuzzer.report.rootcause import (component_wide, death_line, given_sink_ops, graph_sink_ops, graph_traits, is_death, model_sink_ops, model_traits,
                                     root_key, root_parts, rule_keys)
from fuzzer.report.tf_repro import Unrecordable
from oracles import Kind, normalize_error

REPRO_TIMEOUT = 300
#: a repro that exited 1 is run this many times more, and filed only if it exits 1 every time
REPRO_RERUNS = 2


@dataclass
class Filed:
    bug_id: str
    path: Path
    new: bool
    reason: str = ""
    #: not written: held as a likely repeat of the bug at path (fuzzer.report.likely)
    held: bool = False


def bug_key(blame: Blame, red: Reduction, death: str = "", facts: tuple | None = None) -> str:
    """red's root-cause key (fuzzer.report.rootcause): the same defect reached through another
    graph, path or ONNX Runtime setting, or by `onnxfuzz check`, has the same key. death: why
    the process died, from the repro's output, when the campaign's kept error lost that line."""
    v = red.verdict
    # a component the exporter runs first (torch.jit.trace) fails the same way whatever op it met
    given_sinks, given_traits, given_ops = facts if facts is not None else given_facts(red, blame)
    ops = set(given_ops) if blame.role == "runtime" and given_ops is not None else None
    sinks = [] if component_wide(blame.component, v.kind.value) else given_sink_ops(
        graph_sink_ops(red.graph, blame.role), blame.role, given_sinks, v.kind.value, ops)
    traits = set(graph_traits(red.graph)) | set(given_traits)
    return root_key(blame.system, blame.role, v.kind.value, v.stage.value, v.error, v.runtime,
                    sinks, red.dynamic is not None, death, tuple(sorted(traits)))


def given_facts(red: Reduction, blame: Blame) -> tuple[list[str] | None, list[str], list[str] | None]:
    """What the key reads of the model the system at fault was given: its sink ops, its
    structural traits and its op types (a runtime's crash on a model without the graph's op is
    keyed by the model's own sink: given_sink_ops). Kept in case.json (given_sinks, given_traits,
    given_ops), so that a folder whose model.onnx is reduced later keeps the key it was filed
    under (review 26's check campaign wrote a repeat of 0eaf1f, filed before given_ops were kept,
    whose reduced model had lost the ReduceMax its key was filed with)."""
    given = _given_model(red, blame)
    if given is None:
        return None, [], None
    return model_sink_ops(given), sorted(model_traits(given)), sorted({n.op_type for n in given.graph.node})


def _given_model(red: Reduction, blame: Blame):
    """The model the system at fault was given, or None (an exporter's bug, a model onnx cannot
    read): its structural traits and its sink ops go into the key (a motif is one IR node: the
    value it reads inside may be a graph output)."""
    model = red.result.models.get(given_path(blame.role, red.verdict.path, "")) if red.result is not None else None
    if model is None:
        return None
    import onnx

    try:
        return onnx.load_model_from_string(model)
    except Exception:  # not a model onnx can read: the graph's traits only
        return None


def _filed_key(case: dict, folder: Path | None = None, parts: bool = False):
    """The key an already-filed bug (its case.json, in folder) has by today's `root_key`: a bug
    filed before a key change keeps its folder and id, and is still found under its new key.
    A campaign's folder keeps its minimal graph; `onnxfuzz check`'s keeps its model.onnx.
    parts: the key's parts in words (root_parts) instead of its hash."""
    try:
        bug = case["bug"]
        traits: set[str] = set()
        model = None
        if folder is not None and (Path(folder) / "model.onnx").exists():
            import onnx

            model = onnx.load(str(Path(folder) / "model.onnx"))
            # the model as filed, before any reduction of model.onnx, where the filer kept it
            traits |= set(bug["given_traits"]) if "given_traits" in bug else set(model_traits(model))
        if "graph" in case:
            graph = Graph.from_json(case["graph"])
            model_sinks = bug.get("given_sinks") or (model_sink_ops(model) if model is not None else None)
            ops = None
            if bug["role"] == "runtime":  # the model as filed where the folder kept its ops, else model.onnx
                ops = set(bug["given_ops"]) if isinstance(bug.get("given_ops"), list) else (
                    {n.op_type for n in model.graph.node} if model is not None else None)
            sinks = [] if component_wide(bug.get("component") or "", bug["kind"]) else given_sink_ops(
                graph_sink_ops(graph, bug["role"]), bug["role"], model_sinks, bug["kind"], ops)  # as bug_key
            traits |= set(graph_traits(graph))
        elif model is not None:
            sinks = list(bug.get("sink_ops") or model_sink_ops(model))
        elif bug.get("sink_ops"):
            sinks = list(bug["sink_ops"])
        else:
            return None
        args = (bug["system"], bug["role"], bug["kind"], bug["stage"], bug["error"], bug.get("runtime") or "",
                sinks, bug.get("dynamic") is not None, bug.get("death") or "", tuple(sorted(traits)))
        return root_parts(*args) if parts else root_key(*args)
    except Exception:  # not a case.json either filer wrote (or a graph or model no longer readable)
        return None


#: (case.json path, its mtime) -> its key by today's rules: filing reads every folder each time
_KEYS: dict[tuple[str, float], str | None] = {}


def filed_keys(bugs_dir: Path) -> list[tuple[Path, str | None, dict]]:
    """(folder, its key by today's rules, its bug record) for every bug filed in bugs_dir."""
    out = []
    for other in sorted(Path(bugs_dir).glob("*/case.json")):
        try:
            case = json.loads(other.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(case, dict) and isinstance(case.get("bug") or {}, dict):  # not some other JSON
            out.append((other.parent, _key_of(other, case), case.get("bug") or {}))
    return out


def _key_of(case_json: Path, case: dict) -> str | None:
    """The key by today's rules of the bug case_json records (case: its content), kept per file
    and modification time."""
    stamp = (str(case_json), case_json.stat().st_mtime)
    if stamp not in _KEYS:
        _KEYS[stamp] = _filed_key(case, case_json.parent)
    return _KEYS[stamp]


#: where bugs filed before are, besides the folder a filer writes to (os.pathsep-separated);
#: unset: the bugs/ of the onnxfuzz checkout, when there is one; "" for none
KNOWN_BUGS_ENV = "ONNXFUZZ_KNOWN_BUGS"


def known_bug_dirs(bugs_dir: Path) -> list[Path]:
    """The bugs directories a filer consults before writing into bugs_dir: bugs_dir itself, then
    the reviewed collection (KNOWN_BUGS_ENV, by default the onnxfuzz checkout's bugs/). A root
    cause filed in any of them is not written again."""
    env = os.environ.get(KNOWN_BUGS_ENV)
    if env is None:
        others = [Path(__file__).resolve().parents[2] / "bugs"]
    else:
        others = [Path(p) for p in env.split(os.pathsep) if p]
    out = [Path(bugs_dir)]
    for d in others:
        if d.is_dir() and d.resolve() not in {o.resolve() for o in out}:
            out.append(d)
    return out


def same_rule_bug(keys: list[str], known: list[Path], skip: Path) -> Path | None:
    """The first folder (live, or a duplicate record of one) in the known directories whose bug shares one of the rule keys
    `keys` (rootcause.rule_keys: the same rule at fault with the same symptom or words), skip aside."""
    for where in known:
        for folder, _, bug in filed_keys(where):
            staged = folder.name.startswith(".")  # a filing under way (this one's own staging, too)
            # a duplicate record counts: a reviewer said it is its live folder's defect (review 24:
            # tract's Mod panicking under a Where matched only a record of the live 8cd222)
            if staged or folder.resolve() == skip.resolve() or bug.get("withdrawn"):
                continue
            if set(keys) & set(rule_keys(bug.get("system", ""), bug.get("role", ""), bug.get("kind", ""),
                                         bug.get("rule_at_fault"), bug.get("error") or "", bug.get("path") or "",
                                         bug.get("death") or "")):
                return folder
    return None


def _today_key(folder: Path) -> str | None:
    """folder's key by today's rules (None: its case.json cannot be read)."""
    try:
        return _key_of(folder / "case.json", json.loads((folder / "case.json").read_text()))
    except (OSError, ValueError):
        return None


def free_bug_id(dirs: list[Path], bug_id: str, key: str) -> str:
    """bug_id, or a longer one when a folder of that name in one of dirs (the folder filed into,
    then the known bugs directories) holds another root cause: a folder's id comes from its key
    when it was filed, and a key rule added since can give that short id to another defect
    (onnx.reference's Optional wrapping, first keyed by the ReduceProd it broke, and its
    ReduceLogSumExp on a 0-d input: review 10). A folder is never overwritten by another bug,
    and a new folder can be copied into the reviewed collection under its own name."""
    def taken(name: str) -> bool:
        return any((Path(d) / name / "case.json").exists() and _today_key(Path(d) / name) not in (key, None) for d in dirs)

    if not taken(bug_id):
        return bug_id
    longer, n = f"{bug_id[:-6]}{key}", 2
    while taken(longer):
        longer, n = f"{bug_id[:-6]}{key}-{n}", n + 1
    return longer


def existing_bug(bugs_dir: Path, bug_id: str, key: str, known: list[Path] | None = None) -> Path | None:
    """The folder of the filed bug whose root cause key names: bugs_dir/<bug_id>, or any folder
    of bugs_dir, then of the other known directories (known_bug_dirs), whose bug has the same
    key by today's rules (its id was derived under older ones, or another system of the family,
    or `onnxfuzz check`, filed it). A folder that is live wins over one a reviewer retired (a
    duplicate's hits belong to the bug it duplicates)."""
    d = Path(bugs_dir) / bug_id
    if (d / "case.json").exists() and _today_key(d) in (key, None):
        return d
    for where in known if known is not None else [Path(bugs_dir)]:
        same = [(folder, bug) for folder, k, bug in filed_keys(where) if k == key]
        live = [folder for folder, bug in same if not (bug.get("withdrawn") or bug.get("duplicate_of"))]
        found = (live or [folder for folder, _ in same] or [None])[0]
        if found is not None:
            return found
    return None


#: the file in a bugs directory that counts hits on bugs filed elsewhere (the reviewed collection)
DUPLICATES = "duplicates.json"


def count_elsewhere(bugs_dir: Path, folder: Path, key: str, found: dict) -> dict:
    """Note in bugs_dir/duplicates.json that a root cause already filed in another directory
    (folder, say the reviewed bugs/) was hit again: the folder count does not grow, the
    reviewed folder is not written to. Returns its entry."""
    path = Path(bugs_dir) / DUPLICATES
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        entries = {}
    entry = entries.setdefault(str(Path(folder).resolve()), {"id": Path(folder).name, "key": key, "hits": 0})
    if seen(entry, found):
        entry["hits"] += 1
    Path(bugs_dir).mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=1, sort_keys=True))
    return entry


def count_again(folder: Path, found: dict) -> dict:
    """Note in folder's case.json that its root cause was hit again: hits, when it was last
    seen, and by which campaign (workdir) or checked model; returns its bug record. The same
    case of the same campaign filed again (`bugs file` run twice on one workdir) is no new hit."""
    case_file = Path(folder) / "case.json"
    case = json.loads(case_file.read_text())
    bug = case["bug"]
    if seen(bug, found):
        bug["hits"] = int(bug.get("hits", 1)) + 1
    case_file.write_text(json.dumps(case, indent=1, default=str))
    return bug


def seen(bug: dict, found: dict) -> bool:
    """Record in bug (a case.json record) that found (a campaign's workdir and case, or a checked
    model) hit it now; False when that very case of that campaign was counted before."""
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    bug["last_seen"] = now
    where = str(found.get("workdir") or found.get("source") or "?")
    campaigns = bug.setdefault("campaigns", {})
    entry = campaigns.setdefault(where, {"hits": 0, "first_seen": now, "cases": []})
    case_id = found.get("case_id")
    if case_id is not None and case_id in entry["cases"]:
        return False
    entry["hits"] += 1
    entry["last_seen"] = now
    if case_id is not None and len(entry["cases"]) < 20:
        entry["cases"].append(case_id)
    return True


#: what a folder keeps when a smaller case of its root cause replaces its files: how often and
#: where it was hit, and whatever a reviewer wrote into it
_KEPT = ("hits", "campaigns", "last_seen", "upstream", "rule", "trigger", "note", "review", "evidence")


def given_path(role: str, path: str, frontend: str) -> str:
    """The path of the model the system at fault was given: a runtime's, the model it ran; a
    transformer's, the model it converted; an exporter's, the model it exported (if any)."""
    if role == "transformer":
        return path.rsplit(">", 1)[0]
    return path


def _plain_bytes(model: bytes) -> bytes:
    import onnx

    from fuzzer.report.onnx_repro import plain_model

    try:
        return plain_model(onnx.load_model_from_string(model)).SerializeToString()
    except Exception:  # not a model onnx can read: keep it as it came
        return model


def write_repro(d: Path, built) -> None:
    """repro.py and the data files it reads, into d."""
    (d / "repro.py").write_text(built.source)
    for name, data in built.files.items():
        if name == "inputs.npz" and (d / name).exists():
            # the campaign's inputs stay: the repro's keys are theirs, and regeneration reads the rest
            kept = dict(np.load(d / name))
            kept.update(np.load(io.BytesIO(data)))
            buf = io.BytesIO()
            np.savez(buf, **kept)
            data = buf.getvalue()
        (d / name).write_bytes(data)


def versions_for(target: Target) -> dict[str, str]:
    from fuzzer.plugin import load_plugin

    out = {}
    for step in target.path.split(">"):
        out.update(load_plugin("converter", step.split("@")[0]).versions())
    if target.runtime:
        out.update(load_plugin("runtime", target.runtime).versions())
    for dist in ("torch", "onnx", "numpy"):
        try:
            out.setdefault(dist, metadata.version(dist))
        except metadata.PackageNotFoundError:
            pass
    return dict(sorted(out.items()))


def file_bug(bugs_dir: Path, red: Reduction, target: Target, blame: Blame, found: dict, death: str = "",
             hold: bool | None = None) -> Filed:
    """Write (or count again) the bug red shows; see the module docstring for what gets filed.
    death: why the process died, when only the repro's output said (see _file_death).
    hold: hold a likely repeat of a filed bug instead of writing it (fuzzer.report.likely); by
    default as --file-likely-repeats says, never when a user files one case on purpose."""
    if blame.said:  # the system at fault says it in its own words: its key, title and repro read those
        red = dataclasses.replace(red, verdict=dataclasses.replace(red.verdict, error=blame.said))
    facts = given_facts(red, blame)
    key = bug_key(blame, red, death, facts)
    dirs = known_bug_dirs(bugs_dir)
    bug_id = free_bug_id(dirs, f"{blame.system}-{red.verdict.kind.value.replace('_', '-')}-{key[:6]}", key)
    d = Path(bugs_dir) / bug_id
    known = existing_bug(bugs_dir, bug_id, key, dirs)
    kept: dict = {}
    if known is not None and known.parent.resolve() != Path(bugs_dir).resolve():
        entry = count_elsewhere(bugs_dir, known, key, found)
        return Filed(known.name, known, new=False, reason=f"already filed in {known.parent}: duplicate hit "
                     f"{entry['hits']} recorded in {Path(bugs_dir) / DUPLICATES}")
    if known is not None:
        d, bug_id = known, known.name  # filed before, perhaps under an older key: keep its folder and id
        bug = count_again(d, found)
        retired = bug.get("withdrawn") or bug.get("duplicate_of")
        if retired:  # a reviewer withdrew it, or found it the same root cause as another: never filed again
            return Filed(bug_id, d, new=False, reason=f"retired by review: {retired}")
        # a smaller case of the same system replaces the files; hits and reviewers' notes stay
        smaller = len(red.graph) < (bug.get("minimized") or {}).get("ops", 0) and bug.get("system") == blame.system
        if not smaller:
            return Filed(bug_id, d, new=False, reason="duplicate")
        kept = {k: bug[k] for k in _KEPT if k in bug}
    else:
        kept = {"hits": 1}
        seen(kept, found)
    hits = kept["hits"]
    staging = d.with_name("." + d.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    path = red.verdict.path
    stage = red.verdict.stage.value
    exporter = load_plugin("converter", path.split("@")[0])
    given = given_path(blame.role, path, exporter.frontend)
    model = red.result.models.get(given) if given else None
    if given and model is None and exporter.frontend != "torch":
        shutil.rmtree(staging)
        return Filed(bug_id, d, new=False, reason="no model was kept for a failure past the exporter")
    if model is not None:  # the model the system at fault was given, as its repro has it
        (staging / "model.onnx").write_bytes(_plain_bytes(model))
    (staging / "inputs.npz").write_bytes(red.result.inputs_npz or b"")
    from_source = exporter.frontend == "torch" and blame.role == "exporter"
    _, sizes, dynamic = dynamic_repro(red, path, from_source, model)
    if dynamic:
        dynamic["runs_sizes"] = bool(sizes)  # the repro runs every size (the model it runs declares the dims)
    meta = {
        "id": bug_id, "key": key, "title": "", "system": blame.system, "role": blame.role,
        "blame_reason": blame.reason, "kind": red.verdict.kind.value, "stage": stage, "path": path,
        "runtime": red.verdict.runtime, "hits": hits, "status": "reproduces", "versions": versions_for(target),
        "error": red.verdict.error[:4000], "stats": red.verdict.stats,
        "minimized": {"ops": len(red.graph), "original_ops": red.original_ops, "candidates": red.candidates,
                      "seconds": round(red.seconds, 2), "per_pass": red.per_pass},
        "witnesses": blame.witnesses, "found": found, "filed": time.strftime("%Y-%m-%d %H:%M:%S"),
        "dynamic": dynamic, "static_too": red.static_too, "model_path": given, **kept,
    }
    given_sinks, given_traits, given_ops = facts
    if given_sinks is not None:
        meta["given_sinks"], meta["given_traits"] = given_sinks, given_traits
    if blame.role == "runtime" and given_ops is not None:
        meta["given_ops"] = given_ops
    if blame.component:
        meta["component"] = blame.component
    inputs = read_npz(red.result.inputs_npz) if red.result.inputs_npz else {}
    try:
        built = bug_repro(meta, red.graph, inputs, {given: model} if model is not None else {})
    except Unrecordable as e:  # a TF lowering that cannot be written down as calls: a limit, not a failure
        shutil.rmtree(staging)
        return Filed(bug_id, d, new=False, reason=f"no repro could be written: {type(e).__name__}: {e}")
    except BaseException:  # a plugin hook that raises is triage's to record (triage failed: ...)
        shutil.rmtree(staging)
        raise
    write_repro(staging, built)
    code, output = run_repro(staging)
    if code != 1:
        shutil.rmtree(staging)
        return Filed(bug_id, d, new=False, reason=f"repro exits {code}, not 1: not filed\n{output[-2000:]}")
    other = other_failure(red.verdict.kind.value, red.verdict.error, output)
    if other:
        shutil.rmtree(staging)
        return Filed(bug_id, d, new=False, reason=f"repro exits 1 for another reason: not filed ({other})\n{output[-2000:]}")
    lost = is_death(red.verdict.error) and not death_line(red.verdict.error) and not death
    if lost and death_line(output) and hits == 1:
        death = death_line(output)
        # the campaign's kept error lost why the process died (a backtrace buried it); the
        # repro's output says: key it by that, and count it where that root cause is filed
        shutil.rmtree(staging)
        return _file_death(bugs_dir, red, target, blame, found, death, dirs, hold)
    meta["death"] = death or death_line(red.verdict.error) or death_line(output) or None
    meta["title"] = built.title
    (staging / "case.json").write_text(json.dumps({"bug": meta, "graph": red.graph.to_json()}, indent=1))
    meta["rule_at_fault"] = rule_at_fault_of(staging)
    (staging / "case.json").write_text(json.dumps({"bug": meta, "graph": red.graph.to_json()}, indent=1))
    from fuzzer.coverage.fault import approximates_by_design

    designed = approximates_by_design(meta)
    if designed:  # the rule at fault changes values on purpose: recorded, never filed
        shutil.rmtree(staging)
        return Filed(bug_id, d, new=False, reason=f"not filed, an approximation by design: {designed}")
    by_rule = rule_keys(blame.system, blame.role, red.verdict.kind.value, meta["rule_at_fault"], red.verdict.error,
                        meta.get("path") or "", meta.get("death") or "") if hits == 1 else []
    twin = same_rule_bug(by_rule, dirs, d) if by_rule else None
    if twin is not None:
        # the same rewrite rule at fault, with the same symptom, as a bug filed already: one bug,
        # whatever graph and words this one came with
        shutil.rmtree(staging)
        if twin.parent.resolve() != Path(bugs_dir).resolve():
            entry = count_elsewhere(bugs_dir, twin, key, found)
            return Filed(twin.name, twin, new=False, reason=f"already filed in {twin.parent} (same rule at fault): "
                         f"duplicate hit {entry['hits']} recorded in {Path(bugs_dir) / DUPLICATES}")
        count_again(twin, found)
        return Filed(twin.name, twin, new=False, reason="duplicate (same rule at fault and symptom)")
    again = [run_repro(staging)[0] for _ in range(REPRO_RERUNS)]
    if any(code != 1 for code in again):
        # a maintainer must see it fail every time: an undefined read that fails one run in
        # twenty (onnxoptimizer's unclamped Shape end, review 9) is no repro to hand over. Run
        # here, once nothing else keeps the folder from being written
        shutil.rmtree(staging)
        return Filed(bug_id, d, new=False, reason=f"repro exits 1 in {1 + again.count(1)} of {1 + len(again)} runs: "
                     "flaky, not filed")
    holds = holding() if hold is None else hold
    near = likely_repeat(meta, [(f, b) for w in dirs for f, _, b in filed_keys(w)], d) if hits == 1 and holds else None
    if near is not None:
        # a known defect met with another face, most likely (fuzzer.report.likely): counted
        # beside the bug it is near, not written
        shutil.rmtree(staging)
        folder, why = near
        entry = count_likely(bugs_dir, folder, why, meta, found)
        return Filed(folder.name, folder, new=False, held=True, reason=f"{HELD}{folder.name} ({why}): "
                     f"{entry['held']} held, recorded in {Path(bugs_dir) / LIKELY}")
    (staging / "report.md").write_text(report_markdown(meta, built.graph_text, output, built.idiom, repro_ops(built)))
    if d.exists():
        shutil.rmtree(d)
    staging.rename(d)
    return Filed(bug_id, d, new=hits == 1)


def _file_death(bugs_dir: Path, red: Reduction, target: Target, blame: Blame, found: dict, death: str,
                dirs: list[Path], hold: bool | None = None) -> Filed:
    """file_bug again for a death whose line (death) only its repro's output showed."""
    key = bug_key(blame, red, death)
    known = existing_bug(bugs_dir, "", key, dirs)
    if known is not None and known.parent.resolve() != Path(bugs_dir).resolve():
        entry = count_elsewhere(bugs_dir, known, key, found)
        return Filed(known.name, known, new=False, reason=f"already filed in {known.parent}: duplicate hit "
                     f"{entry['hits']} recorded in {Path(bugs_dir) / DUPLICATES}")
    if known is not None:
        bug = count_again(known, found)
        retired = bug.get("withdrawn") or bug.get("duplicate_of")
        return Filed(known.name, known, new=False, reason=f"retired by review: {retired}" if retired else "duplicate")
    return file_bug(bugs_dir, red, target, blame, found, death=death, hold=hold)


def repro_ops(built) -> int | None:
    """The ops (Constants aside) of the model an ONNX-level repro runs; None for another idiom."""
    if built.idiom != "onnx" or built.model is None:
        return None
    import onnx

    return sum(n.op_type != "Constant" for n in onnx.load_model_from_string(built.model).graph.node)


def dynamic_repro(red: Reduction, path: str, from_source: bool, model: bytes | None):
    """(the dynamic dims, which the repro exports so when it exports; [(size in words, inputs
    suffix)] it runs at; the plan in words for the report), from the reduction's dynamic plan;
    (None, None, None) when static.

    The repro runs the other sizes only where the campaign did: on a model that declares the
    dims dynamic (exported so by an exporter that supports it, or a kept model that has them).
    """
    if red.dynamic is None:
        return None, None, None
    from fuzzer.case import _output_axes
    from fuzzer.generate.dynamic import DynamicPlan, replay

    p = DynamicPlan.from_json(red.dynamic)
    # inputs.npz holds the k-th other size's inputs as "<name>@<k>" (see fuzzer.case.run_case)
    sizes = [(p.describe(p.base), "")] + [(p.describe(s), f"@{k}") for k, s in enumerate(p.sizes)]
    words = {"dims": {n: {str(a): sym for a, sym in axes.items()} for n, axes in p.dims.items()},
             "base": p.describe(p.base), "sizes": [p.describe(s) for s in p.sizes],
             "failing_size": red.verdict.stats.get("size")}
    if from_source:
        exporter = load_plugin("converter", path.split("@")[0])
        if not exporter.supports_dynamic:
            return None, None, words
        dims = {n: dict(a) for n, a in p.dims.items()}
        # the output dims that follow the inputs, as the campaign's exporters were told
        again = replay(red.graph, p)
        if again is not None and again.sizes == p.sizes:
            dims.update(_output_axes(red.graph, again, [(s, g, None, None) for s, g in zip(again.sizes, again.graphs)]))
        words["exported"] = {n: {str(a): sym for a, sym in axes.items()} for n, axes in dims.items()}
        return dims, sizes, words
    if model is not None and _declares_dynamic(model, p.dims):
        # model.onnx declares the dims already; the repro names them, exports nothing
        return {n: dict(a) for n, a in p.dims.items()}, sizes, words
    return None, None, words


def _declares_dynamic(model: bytes, dims: dict[str, dict[int, str]]) -> bool:
    """Does the ONNX model leave any of dims without a fixed size?"""
    import onnx

    proto = onnx.load_model_from_string(model)
    for i in proto.graph.input:
        shape = i.type.tensor_type.shape.dim
        if any(ax < len(shape) and not shape[ax].HasField("dim_value") for ax in dims.get(i.name, {})):
            return True
    return False


def run_repro(d: Path) -> tuple[int, str]:
    """Run d/repro.py as a maintainer would: a fresh interpreter, its own folder."""
    import tempfile

    # its own TMPDIR, removed after: a repro that dies (tract's copy of its model) leaves nothing
    with tempfile.TemporaryDirectory(prefix="onnxfuzz-repro-") as tmp:
        try:
            p = subprocess.run([sys.executable, "repro.py"], cwd=d, capture_output=True, text=True, timeout=REPRO_TIMEOUT,
                               env={**os.environ, "TMPDIR": tmp})
        except subprocess.TimeoutExpired:
            return 124, "repro.py timed out"
    # a warning names the file it came from: as the maintainer's folder, not this machine's (or a staging copy's) path
    output = (p.stdout + p.stderr).replace(str(d.resolve()) + os.sep, "").replace(str(d) + os.sep, "")
    return p.returncode, output.strip()


#: what numpy's report says for each wrong-result kind (the repros compare with numpy.testing)
_NUMERIC_SAYS = {
    "value_mismatch": re.compile(r"Mismatched elements|Not equal to tolerance|Arrays are not equal"),
    "nan_inf": re.compile(r"(nan|inf) location mismatch|Mismatched elements|Not equal to tolerance|Arrays are not equal"),
    "shape_mismatch": re.compile(r"shapes? .*mismatch"),
    "dtype_mismatch": re.compile(r"dtypes? .*mismatch"),
}
#: a repro's words before the error it caught ("ONNX Runtime raises Fail [ONNXRuntimeError] ...")
_CAUGHT = re.compile(r"(?: raises| is invalid:)\s+(\w+)\s+(.*)")


def other_failure(kind: str, error: str, output: str) -> str | None:
    """Why a repro that exited 1 did not show the failure filed, or None when it did: a crash's
    repro must show the same error (its type and its message with names and numbers taken out,
    node names too: the repro's model has none), a wrong-result repro numpy's report of that
    kind of mismatch, a death the death."""
    from fuzzer.report.rootcause import root_error

    if kind in ("hang", "oom"):
        return None
    if kind in _NUMERIC_SAYS:
        return None if _NUMERIC_SAYS[kind].search(output) else f"no {kind.replace('_', ' ')} in its output"
    if error.startswith("worker died"):
        return None if "died with signal" in output else "the process did not die"
    want = root_error(kind, error)
    for line in output.splitlines():
        m = _CAUGHT.search(line)
        if m and root_error(kind, f"{m.group(1)}: {m.group(2)}") == want:
            return None
    # else the filed message (past its type) must be in a line of the output, as far as it goes
    core = want.split(": ", 1)[-1][:120]
    if core and any(core in root_error(kind, line) for line in output.splitlines()):
        return None
    return f"its error is not the filed one ({want[:160]})"


_GRAPH_HEADINGS = {"onnx": ("Minimal model (ONNX text)", ""), "torch": ("Minimal torch model", "python"),
                   "tf": ("Minimal TensorFlow function", "python")}


#: an upstream note that cites an issue or a pull request ("owner/repo#123", a GitHub issue or PR address)
_UPSTREAM_REPORT = re.compile(r"[\w.-]+/[\w.-]+#\d+|github\.com/[^\s]+/(?:issues|pull)/\d+|\b(?:issue|PR) #\d+")


#: the words a note that found no upstream report opens with: the heading says it already
_NOT_FOUND = re.compile(r"^Not found reported upstream\.\s*")


def upstream_lines(meta: dict) -> list[str]:
    """The report's upstream banner: "Known upstream" only for a note that starts by citing an
    upstream issue or pull request (the bug's own); a note that found none ("Not found reported
    upstream. Related to #320 ...", "still reproduces on onnx main") says so under its own heading."""
    ups = meta.get("upstream") or []
    lines = []
    for note in [ups] if isinstance(ups, str) else ups:
        if _UPSTREAM_REPORT.match(note):
            lines += [f"> **Known upstream**: {note}", ""]
        else:
            searched = f" (searched {meta['upstream_searched']})" if meta.get("upstream_searched") else ""
            lines += [f"> **Upstream**: no upstream report found{searched}. {_NOT_FOUND.sub('', note)}", ""]
    return lines


def symptom_words(meta: dict) -> str:
    """The symptom in plain words: a crash on a model an exporter made invalid is not "a valid model fails"."""
    kind = meta["kind"]
    if meta.get("role") == "exporter" and kind in ("load_crash", "run_crash"):
        verb = "loading" if kind == "load_crash" else "running"
        return f"{verb} the exported model fails: the exporter wrote a model the ONNX spec does not allow"
    return _SYMPTOM.get(kind, kind)


def error_words(error: str, stats: dict, repro_output: str) -> str:
    """The failure's message with the campaign oracle's "tolerance xN would pass" told in plain
    words, or left out where the repro compares exactly (integers, booleans)."""
    m = re.search(r";? ?tolerance x(\S+) would pass", error)
    if not m:
        return error
    exact = "Arrays are not equal" in repro_output and "tolerance" not in repro_output
    if exact:
        return error.replace(m.group(0), "")
    return error.replace(m.group(0), f"; the largest difference is {m.group(1)} times the allowed tolerance")


def rule_at_fault_of(folder: Path) -> dict | None:
    """The rule at fault of the bug staged in folder (fuzzer.coverage.fault, in a process of its
    own), as case.json records it; None where its system exposes no rules, or when
    ONNXFUZZ_RULE_AT_FAULT=0 (tests that file many bugs)."""
    import os

    if os.environ.get("ONNXFUZZ_RULE_AT_FAULT", "1") == "0":
        return None
    from fuzzer.coverage.fault import localize_isolated

    if localize_isolated(folder) is None:
        return None
    # as recorded, with what else case.json keeps there (a reviewer's check of the same rule)
    return json.loads((Path(folder) / "case.json").read_text())["bug"].get("rule_at_fault")


def report_markdown(meta: dict, graph_text: str, repro_output: str, idiom: str = "onnx", model_ops: int | None = None) -> str:
    """report.md: what a maintainer of the system at fault reads first, in their vocabulary.
    model_ops: the ops of the model the repro runs, where it has one (its size is the minimized size)."""
    from fuzzer.report.vocabulary import at_fault_words, deprecation, explain, path_words, system_name, verdict_words

    stats = meta.get("stats") or {}
    lines = [f"# {meta['title']}", ""]
    if deprecation(meta["system"]):
        lines += [f"> **Deprecated system**: {deprecation(meta['system'])}.", ""]
    lines += upstream_lines(meta)
    ops = model_ops if model_ops is not None else meta["minimized"]["ops"]
    where = meta.get("origin") or path_words(meta["path"], meta.get("runtime") or "")
    lines += [
        "| | |",
        "|---|---|",
        f"| system at fault | **{at_fault_words(meta)}** ({meta['role']}): {explain(meta['blame_reason'])} |",
        f"| symptom | {symptom_words(meta)} |",
        f"| how the model got there | {where} |",
        f"| opset | {meta['path'].split('>')[0].split('@')[1]} |",
        f"| versions | {', '.join(f'{k} {v}' for k, v in meta['versions'].items())} |",
        f"| minimized | {meta['minimized']['original_ops']} -> {ops} ops |" if meta["minimized"].get("original_ops")
        else f"| minimized | to {ops} ops |",
        f"| times found | {meta['hits']} (distinct generated cases that showed it) |" if meta.get("found") or meta.get("campaigns")
        else f"| times found | {meta['hits']} |",
    ]
    from fuzzer.coverage.fault import report_row

    rule = meta.get("rule") or report_row(meta.get("rule_at_fault"))
    if rule:
        lines.append(f"| rule at fault | {rule} |")
    dynamic = meta.get("dynamic")
    if dynamic:
        lines.append(f"| dynamic dims | {', '.join(f'`{n}[{a}]` as `{s}`' for n, axes in sorted(dynamic['dims'].items()) for a, s in sorted(axes.items()))}; "
                     f"base size {dynamic['base']}, also run at {'; '.join(dynamic['sizes'])} |")
        lines.append(f"| failing size | {dynamic['failing_size'] or 'the base size ' + dynamic['base'] + ', of the model exported with dynamic dims'} |")
    elif meta.get("static_too"):
        lines.append("| dynamic dims | none: found with dynamic dims, but it fails exported static too, so the repro is static |")
    lines += ["", "## What goes wrong", ""]
    if "max_abs" in stats:  # a value mismatch (a shape mismatch at another size has stats too)
        against = (f"what {system_name(meta['expected_by'])} computes on the same model" if meta.get("expected_by")
                   else "the exact result (computed in float64)")
        lines += [
            f"Against {against}: max abs error {stats.get('max_abs', 0):.4g}, "
            f"max rel error {stats.get('max_rel', 0):.4g}; worst element at {stats.get('worst_index')} "
            f"(got {stats.get('worst_actual')}, expected {stats.get('worst_expected')}); "
            f"{stats.get('mismatched')}/{stats.get('compared')} elements outside tolerance.",
            "",
        ]
    heading, lang = _GRAPH_HEADINGS.get(idiom, _GRAPH_HEADINGS["onnx"])
    lines += ["```", error_words(meta["error"], stats, repro_output).strip()[:3000], "```", "", f"## {heading}", "", f"```{lang}", graph_text.strip(), "```", "",
              "## Reproduce", "", "`python repro.py` (exits 1 while the bug reproduces, 0 once fixed). Its output when filed:",
              "", "```", repro_output.strip()[-3000:], "```", ""]
    if meta.get("evidence"):  # a reviewer's words (case.json bug.evidence): what backs the blame, what misleads
        lines += ["## Notes", "", *[f"- {e}" for e in meta["evidence"]], ""]
    if meta.get("witnesses"):
        lines += ["## Witnesses", "", "The same minimal graph along every other path and on every runtime:", "",
                  "| how the model got there | result |", "|---|---|"]
        # a runtime that runs a model the exporter made invalid tolerates it: that is no sign it is right
        tolerated = meta["role"] == "exporter" and meta["kind"] in ("load_crash", "run_crash")
        lines += [f"| {path_words(p, r or '')} | "
                  f"{'runs it anyway (gives the right values)' if tolerated and p == meta['path'] and k == 'pass' else verdict_words(k)} |"
                  for p, r, k in meta["witnesses"]]
    lines += ["", "## How it was found", "", how_found(meta), ""]
    return "\n".join(lines)


#: what onnxfuzz is, for a maintainer who never met it
ONNXFUZZ = "onnxfuzz, a differential fuzzer for ONNX converters and runtimes"


def how_found(meta: dict) -> str:
    """The report's "How it was found" line, in words a maintainer needs no onnxfuzz to read."""
    if meta.get("found_by") == "onnxfuzz check":  # a model checked whole, then reduced
        return (f"By {ONNXFUZZ}: its `check` command ran the model described above through every converter and "
                f"runtime, and the failing case was then reduced; filed {meta['filed']}.")
    found = meta.get("found") or {}
    # a folder filed by hand or before these were recorded lacks some: say only what is known
    who = f"{ONNXFUZZ} (version {found['onnxfuzz']})" if found.get("onnxfuzz") else ONNXFUZZ
    case = [f"randomly generated test case {found['case_id']}"] if found.get("case_id") is not None else ["a randomly generated test case"]
    case += [f"random seed {found['seed']}"] if found.get("seed") is not None else []
    when = f" on {found['time']}" if found.get("time") else ""
    return f"By {who}, in {', '.join(case)}{when}, then reduced to the model above; filed {meta['filed']}."


_SYMPTOM = {
    "export_crash": "the export raises", "invalid_model": "the model fails the ONNX checker (full_check=True)",
    "convert_crash": "the conversion raises", "load_crash": "loading a valid model fails",
    "run_crash": "running a valid model fails", "shape_mismatch": "an output has the wrong shape",
    "dtype_mismatch": "an output has the wrong type", "value_mismatch": "an output has wrong values",
    "nan_inf": "an output is NaN/Inf where the exact result is finite",
}
