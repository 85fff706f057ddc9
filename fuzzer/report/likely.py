"""Likely repeats: a new failure whose root-cause key no filed bug has, but which is localized to
the same place of code as a filed bug showing another face, is held instead of written.

The root-cause keys (fuzzer.report.rootcause) fold one defect met through another graph only
where the class of symptom (a broken model, wrong values, a wrong type, a wrong shape, a crash of
the converter) or the words agree, because looser keys merge defects reviews judged distinct.
Blind reviews of the automatic filer (docs/bug-review.md, reviews 12 and 13) found that most of
the folders it still wrote were known defects met with another face: one TorchScript function
crashing at export and, reached another way, writing a broken model; one rewrite rule breaking
the model and, elsewhere, computing a wrong value; tract's shape analysis of one op refusing a
model and, elsewhere, giving a wrong shape. Such a failure is held: the bugs directory filed
into counts it beside the bug it is near (likely-repeats.json: how many, and the first cases),
and no folder is written. `--file-likely-repeats` (on `run` and `bugs file`) writes them, and
`onnxfuzz reduce CASE --file DIR` always does.

Near means, within one system family, localized to the same place (`near_keys`) with another
face: an exporter's function (for TorchScript, in the symbolic_opsetN module the opset ran); a
transformer's rewrite rule or set of rules (onnxoptimizer passes that fail only together), or
ONNX Runtime's graph transformer, but not the broad ones (constant folding, a tool's own shape
inference); tract's or OpenVINO's shape analysis of one op. The faces
are face()'s: a broken model, wrong values, a wrong type, a wrong shape, a crash of the converter,
and a model that loads and then crashes when run. The same place with the same face and another
key is not near (holding those too would have caught three more repeats of reviews 12 to 15 and
lost one new finding): the keys keep such pairs apart on purpose (other words, another
chain of calls into the function; three refusals of tract's DFT in other words are three
defects). A filed bug is near through its own record and through every duplicate record a
reviewer pointed at it, so a review's judgement that two failures are one defect carries to the
next campaign.

A failure the localizer could not pin to one rule (`candidate_keys`: a TorchScript export that
applied two rules, the failure naming neither's op) is near a filed bug localized to one of its
candidates, whatever the face: its own key holds no place, so no key keeps it apart on purpose.

The cost is a second defect of one place met first with another face, which is held as a repeat
of the first. `tests/unit/test_likely_repeats.py` counts the reviewed live folders of bugs/ that
are near another live folder: each is such a second defect, known and listed there.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path

from fuzzer.report.rootcause import BROKEN, SYMPTOM_CLASS, exporter_function, is_broad_rule, rule_place, system_family

#: "1": write likely repeats as new folders (`--file-likely-repeats`); read from the environment
#: so that the workers triage runs on see it too
FILE_LIKELY_ENV = "ONNXFUZZ_FILE_LIKELY_REPEATS"

#: the file in a bugs directory that counts the failures held as likely repeats of a filed bug
LIKELY = "likely-repeats.json"

#: how the reason of a held filing begins
HELD = "held as a likely repeat of "

#: first cases kept per bug
_EXAMPLES = 10

#: runtimes that type and shape the whole model when they load it: a wrong fact about an op's
#: output shows as a refusal to load, or as a wrong shape, as the graph around it happens to be
_LOAD_TIME_SHAPES = ("tract", "openvino")
_SHAPE_FACES = ("load_crash", "shape_mismatch")

#: exporter rule systems that are whole subsystems (torch's decompositions, TorchScript's passes),
#: not one function: nothing is near through them
_WHOLE = (":component", ":passes", ":decompositions")


#: the element type a kernel's name ends with ("Einsum(float32)")
_KERNEL_TYPE = re.compile(r"\(\w+\)$")


def holding() -> bool:
    """Whether likely repeats are held (the default) rather than written."""
    return os.environ.get(FILE_LIKELY_ENV, "") != "1"


@contextlib.contextmanager
def writing_likely_repeats(write: bool):
    """Within: likely repeats are written when write (--file-likely-repeats), in this process and
    the workers it starts, which read it from the environment; as before, after."""
    before = os.environ.get(FILE_LIKELY_ENV)
    if write:
        os.environ[FILE_LIKELY_ENV] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(FILE_LIKELY_ENV, None)
        else:
            os.environ[FILE_LIKELY_ENV] = before


def face(kind: str) -> str:
    """The class of symptom a failure shows (rootcause.SYMPTOM_CLASS; a crash of the converter
    itself is a class of its own, and so is a model that loads and then crashes when run: a
    kernel refusing what a rewrite made is another face of the rule than a model it breaks at
    load, as rootcause.rule_key has it, and onnxoptimizer's merged Reshapes showed both, review 15)."""
    return "run_crash" if kind == "run_crash" else SYMPTOM_CLASS.get(kind, kind)


def near_keys(bug: dict) -> set[tuple[str, str, str]]:
    """The places of code bug (a case.json record) is localized to, by which two failures with
    other faces are near: an exporter's function (for TorchScript, in the symbolic_opsetN module
    the case's opset ran), a transformer's rule or set of rules (a failure that needs two
    onnxoptimizer passes together is that pair), a load-time shape analysis of one op."""
    fault = bug.get("rule_at_fault") if isinstance(bug.get("rule_at_fault"), dict) else {}
    system = fault.get("system") or ""
    rules = sorted({rule_place(system, r) for r in fault.get("rules") or [] if isinstance(r, str) and r})
    family = system_family(bug.get("system", ""))
    role, kind = bug.get("role", ""), bug.get("kind", "")
    if not rules:
        return set()
    if role == "exporter" and not system.endswith(_WHOLE):
        return {("function", family, exporter_function(bug.get("system", ""), r, bug.get("path") or "")) for r in rules}
    rewrites = role == "transformer" or ":transformers" in system
    if rewrites and (not system.endswith(":ops") or system == "float16:ops") and not any(map(is_broad_rule, rules)):
        return {("rule", family, f"{system.split('@')[0]} {' + '.join(rules)}")}
    if (role == "runtime" and family in _LOAD_TIME_SHAPES and system.endswith(":ops") and kind in _SHAPE_FACES
            and not fault.get("subsystem")):
        # a failure that goes with a subsystem of the runtime off (OpenVINO's snippets refusing a
        # 0-d Min) is not its shape analysis of the op (review 26 held it as near that, and new)
        # each Reduce* op of its own here: tract reads an empty axes attribute and an empty axes
        # input in two places (review 16 held ReduceSum's empty axes input as ReduceMax's repeat)
        return {("shapes", family, _KERNEL_TYPE.sub("", r)) for r in rules}
    return set()


#: TorchScript's bookkeeping nodes: in a candidate list, they are no place a defect lives
_TRIVIAL_CANDIDATES = frozenset({"prim::Constant", "prim::ListConstruct", "prim::TupleConstruct", "aten::clone"})


#: the most candidates an unlocalized failure may have to be near a filed bug of one of them
_FEW_CANDIDATES = 2


def candidate_keys(bug: dict) -> set[tuple[str, str, str]]:
    """The exporter functions an unlocalized failure may be in: the localizer named no rule and
    left candidates (a TorchScript export applied two rules and the failure names neither's op).
    Review 19 found two such failures repeating a filed defect of one of their candidates (a
    unique's inverse indices, a guessed split), one of them with the same face as the filed bug;
    held beside it, any face, they cost no new finding over reviews 12 to 19."""
    fault = bug.get("rule_at_fault") if isinstance(bug.get("rule_at_fault"), dict) else {}
    system = fault.get("system") or ""
    if fault.get("rules") or bug.get("role") != "exporter" or not system.endswith(":symbolic"):
        return set()
    family = system_family(bug.get("system", ""))
    candidates = {r for r in fault.get("candidates") or [] if isinstance(r, str) and r and r not in _TRIVIAL_CANDIDATES}
    if len(candidates) > _FEW_CANDIDATES:
        # every rule a longer export applied: one of them is filed more often than not (bugs/
        # holds some eighty TorchScript functions), which says nothing of this failure
        return set()
    return {("function", family, exporter_function(bug.get("system", ""), r, bug.get("path") or "")) for r in candidates}


def _near_records(filed: list[tuple[Path, dict]]) -> dict[Path, list[tuple[set[tuple[str, str, str]], str]]]:
    """{live folder: [(near keys, face)] of its own record and of every duplicate record a
    reviewer pointed at it}, of filed: (folder, bug record) of the filed bugs (writer.filed_keys)."""
    records = {folder: bug for folder, bug in filed if not folder.name.startswith(".")}  # not a filing under way
    out: dict[Path, list[tuple[set[tuple[str, str, str]], str]]] = {}
    for folder, bug in records.items():
        if bug.get("withdrawn"):
            continue
        target = folder.parent / str(bug["duplicate_of"]) if bug.get("duplicate_of") else folder
        pointed = records.get(target)
        if pointed is None or pointed.get("withdrawn") or pointed.get("duplicate_of"):
            continue  # the bug it repeats is gone or retired itself
        keys = near_keys(bug)
        if keys:
            out.setdefault(target, []).append((keys, face(bug.get("kind", ""))))
    return out


def likely_repeat(bug: dict, filed: list[tuple[Path, dict]], skip: Path) -> tuple[Path, str] | None:
    """(the filed bug bug is near, why in words) or None: one of filed ((folder, bug record), as
    writer.filed_keys gives them) localized to the same place of code as bug, showing another
    face. Two failures of one place with the same face and another key are what the root-cause
    keys keep apart on purpose (other words, another chain of calls into the function)."""
    mine, own, maybe = near_keys(bug), face(bug.get("kind", "")), candidate_keys(bug)
    if not mine and not maybe:
        return None
    for folder, records in _near_records(filed).items():
        if folder.resolve() == Path(skip).resolve():
            continue
        for keys, theirs in records:
            shared = sorted(mine & keys)
            if shared and theirs != own:
                return folder, f"{_in_words(shared[0])}, which showed {_FACES.get(theirs, theirs)} there"
            among = sorted(maybe & keys)
            if among:
                return folder, f"{_in_words(among[0])}, one of the rules its export applied (no one of them localized)"
    return None


_FACES = {BROKEN: "a broken model", "wrong type": "a wrong type", "wrong shape": "a wrong shape",
          "export_crash": "a crash", "convert_crash": "a crash", "run_crash": "a crash when run", "hang": "a hang", "oom": "memory exhaustion"}


def _in_words(key: tuple[str, str, str]) -> str:
    what, family, place = key
    if what == "function":
        return f"the same {family} function, {place}"
    if what == "rule":
        return f"the same {family} rule, {place.split(' ', 1)[1]}"
    return f"{family}'s shape analysis of {place}"


def count_likely(bugs_dir: Path, folder: Path, why: str, bug: dict, found: dict) -> dict:
    """Note in bugs_dir/likely-repeats.json that bug (the record a new folder would have had) was
    held as a likely repeat of folder; returns its entry. The same case of the same campaign
    held again (`bugs file` run twice) is not counted twice."""
    path = Path(bugs_dir) / LIKELY
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        entries = {}
    entry = entries.setdefault(str(Path(folder).resolve()), {"id": Path(folder).name, "held": 0, "examples": []})
    case = {"workdir": found.get("workdir") or found.get("source"), "case_id": found.get("case_id")}
    again = case["case_id"] is not None and any(
        (e.get("workdir"), e.get("case_id")) == (case["workdir"], case["case_id"]) for e in entry["examples"])
    if again:
        return entry
    entry["held"] += 1
    if len(entry["examples"]) < _EXAMPLES:
        first = (bug.get("error") or "").strip().splitlines()
        entry["examples"].append({**case, "system": bug.get("system"), "kind": bug.get("kind"), "stage": bug.get("stage"),
                                  "path": bug.get("path"), "runtime": bug.get("runtime"),
                                  "rules": (bug.get("rule_at_fault") or {}).get("rules") or [],
                                  "error": first[0][:300] if first else "", "near": why})
    Path(bugs_dir).mkdir(parents=True, exist_ok=True)
    # written whole and renamed: a reader (or a filer killed mid-write) never sees half a file
    with tempfile.NamedTemporaryFile("w", dir=bugs_dir, prefix=f".{LIKELY}.", delete=False) as tmp:
        json.dump(entries, tmp, indent=1, sort_keys=True)
    os.replace(tmp.name, path)
    return entry
