"""Likely repeats: a new failure whose root-cause key no filed bug has, but whose rule at fault a
filed bug was found at, is held back instead of written as a new folder.

The root-cause keys (fuzzer.report.rootcause) fold one defect met through another graph only
where the symptom or the words agree, because looser keys would merge defects reviews judged
distinct. Blind reviews of the automatic filer (docs/bug-review.md, reviews 12 and 13) found
that most of the folders it still wrote were known defects met with another symptom: one
TorchScript function crashing at export and, reached another way, writing a broken model; one
rewrite rule breaking the model and, elsewhere, computing a wrong value; tract's shape analysis
of one op refusing a model and, elsewhere, giving a wrong shape. Such a failure is held: the
filed bug it is near counts it (bugs_dir/likely-repeats.json: how many, and the first cases,
which `onnxfuzz reduce W/artifacts/case-N --file DIR` files on request), and no folder is
written. `run
--file-likely-repeats` (and `bugs file --file-likely-repeats`) writes them as new folders.

Near means, within one system family:
- an exporter: the same function (a symbolic or torchlib function, a tf2onnx handler) named as
  the rule at fault, or called in the first failing cut, whatever the symptom;
- a transformer's rule, or ONNX Runtime's graph transformer: the same rule, whatever the
  symptom (but the broad ones, constant folding and a tool's own shape inference, which are
  where unrelated defects meet);
- tract's and OpenVINO's kernel of one op: a wrong shape against a refusal to load, the two
  faces of the shape analysis they run at load; two refusals of one kernel in other words are
  often two defects (tract's DFT has three in bugs/), and are not held.
A filed bug is near through its own rule, or through a duplicate record a reviewer pointed at
it (the review's judgement that two failures are one defect carries to the next campaign).
The cost is a second defect of one function or rule, met first with another symptom: it is
held as a repeat of the first (TorchScript's opset-9 gather has two, review 12).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from fuzzer.report.rootcause import _BROAD_RULE, _call_name, _helper, system_family

#: "1": write likely repeats as new folders (`--file-likely-repeats`); read from the environment
#: so that the workers triage runs on see it too
FILE_LIKELY_ENV = "ONNXFUZZ_FILE_LIKELY_REPEATS"

#: the file in a bugs directory that counts the failures held as likely repeats of a filed bug
LIKELY = "likely-repeats.json"

#: first cases kept per bug
_EXAMPLES = 10

#: runtimes that type and shape the whole model when they load it: a wrong fact about an op's
#: output shows as a refusal to load, or as a wrong shape, as the graph around it happens to be
_LOAD_TIME_SHAPES = ("tract", "openvino")
_SHAPE_FACES = ("load_crash", "shape_mismatch")

#: exporter rule systems that are whole subsystems (torch's decompositions, TorchScript's passes),
#: not one function: nothing is near through them
_WHOLE = (":component", ":passes", ":decompositions")


def holding() -> bool:
    """Whether likely repeats are held (the default) rather than written."""
    return os.environ.get(FILE_LIKELY_ENV, "") != "1"


def _kernel_op(rule: str) -> str:
    return re.sub(r"\(\w+\)$", "", rule)


def near_keys(bug: dict, as_filed: bool) -> set[str]:
    """The keys by which bug (a case.json record) is near another. as_filed: bug is the filed one
    (a shape-analysis fault matches a new failure of its other face)."""
    fault = bug.get("rule_at_fault") or {}
    rules = [r for r in fault.get("rules") or [] if r]
    system = fault.get("system") or ""
    family = system_family(bug.get("system", ""))
    role, kind = bug.get("role", ""), bug.get("kind", "")
    out: set[str] = set()
    if role == "exporter" and not system.endswith(_WHOLE):
        names = {r.removeprefix("aten::").removeprefix("aten_") for r in rules}
        names |= {_call_name(c[0]) for c in fault.get("core") or [] if c}
        out |= {f"function|{family}|{_helper(family, n)}" for n in names if n}
    rewrites = role == "transformer" or ":transformers" in system
    if rewrites and rules and (not system.endswith(":ops") or system == "float16:ops"):
        if not any(_BROAD_RULE.search(r) for r in rules):
            out |= {f"rule|{family}|{system.split('@')[0]}|{r}" for r in rules}
    if role == "runtime" and family in _LOAD_TIME_SHAPES and system.endswith(":ops") and kind in _SHAPE_FACES:
        face = kind if as_filed else next(k for k in _SHAPE_FACES if k != kind)
        out |= {f"shapes|{family}|{_kernel_op(r)}|{face}" for r in rules}
    return out


def _filed_near(dirs: list[Path]) -> list[tuple[Path, set[str]]]:
    """(live folder, its near keys, its duplicates' too) for every filed bug of dirs."""
    out: dict[Path, set[str]] = {}
    for where in dirs:
        for case_json in sorted(Path(where).glob("*/case.json")):
            folder = case_json.parent
            if folder.name.startswith("."):  # a filing under way
                continue
            try:
                bug = json.loads(case_json.read_text()).get("bug") or {}
            except (OSError, ValueError):
                continue
            if bug.get("withdrawn"):
                continue
            target = folder
            if bug.get("duplicate_of"):
                target = folder.parent / str(bug["duplicate_of"])
                if not (target / "case.json").exists():
                    continue
            out.setdefault(target, set()).update(near_keys(bug, as_filed=True))
    return list(out.items())


def likely_repeat(bug: dict, dirs: list[Path], skip: Path) -> tuple[Path, str] | None:
    """(the filed bug of dirs that bug is near, the key in words) or None."""
    mine = near_keys(bug, as_filed=False)
    if not mine:
        return None
    for folder, keys in _filed_near(dirs):
        if folder.resolve() == Path(skip).resolve():
            continue
        shared = sorted(mine & keys)
        if shared:
            return folder, _in_words(shared[0])
    return None


def _in_words(key: str) -> str:
    what, family, *rest = key.split("|")
    if what == "function":
        return f"the same {family} function, {rest[0]}"
    if what == "rule":
        return f"the same {family} rule, {rest[-1]}"
    return f"{family}'s shape analysis of {rest[0]}, as a {rest[1].replace('_', ' ')}"


def count_likely(bugs_dir: Path, folder: Path, why: str, bug: dict, found: dict) -> dict:
    """Note in bugs_dir/likely-repeats.json that bug (the record a new folder would have had) was
    held as a likely repeat of folder; returns its entry."""
    path = Path(bugs_dir) / LIKELY
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        entries = {}
    entry = entries.setdefault(str(Path(folder).resolve()), {"id": Path(folder).name, "held": 0, "examples": []})
    case = {"workdir": found.get("workdir") or found.get("source"), "case_id": found.get("case_id")}
    if any(e.get("workdir") == case["workdir"] and e.get("case_id") == case["case_id"] and case["case_id"] is not None
           for e in entry["examples"]):
        return entry  # that very case, filed again
    entry["held"] += 1
    if len(entry["examples"]) < _EXAMPLES:
        first = (bug.get("error") or "").strip().splitlines()
        entry["examples"].append({**case, "system": bug.get("system"), "kind": bug.get("kind"), "stage": bug.get("stage"),
                                  "path": bug.get("path"), "runtime": bug.get("runtime"),
                                  "rules": (bug.get("rule_at_fault") or {}).get("rules") or [],
                                  "error": first[0][:300] if first else "", "near": why})
    Path(bugs_dir).mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=1, sort_keys=True))
    return entry
