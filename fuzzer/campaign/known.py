"""Known-defect steering: spend few cases where reviewed bugs keep coming back.

A reviewed bugs directory holds, besides each live folder, the duplicate records reviewers
pointed at it: the other guises in which campaigns met the same defect (another face, other
words, another op leading into it). Blind reviews of the automatic filer (docs/bug-review.md,
reviews 12 to 20) found that most folders it wrote that were not new findings were such guises
of a few defects: TorchScript's unique (ten records), onnxoptimizer's merged Reshapes (eight)
and Squeezes (seven), tract's Mod, onnx.reference's MaxPool. No key tells a new guise from a new
defect of the same place: every looser key measured over those reviews held about one new
finding for each two repeats it caught. So the campaign steers away instead, before anything
fails: a case whose ops are the ones every guise of a defect shared seldom goes to the system
of that defect. With g reviewed records, one such case in g does.

The ops a defect is triggered by (`triggers`): the op-spec families (an OpInfo variant, its
method and in-place forms and the plain spec are one family: `family`) that at least half of
its records' minimal graphs hold, and at least two of them. A defect with one record, or whose
records share no op, steers nothing.

Which plugin a case loses (`KnownDefects.steer`): each exporter, transformer and runtime the
case may use, of a defect's system family (rootcause.system_family: ONNX Runtime, its levels and
its offline optimizer are one) whose triggers the case's ops hold, stays with probability 1/g
(the lowest over such defects). A plugin the case cannot lose (the lead exporter, which fair
sharing must not starve; a runtime of the last two, which a differential needs; the last
transformer) stays, and the case's swarm loses the triggering ops instead, with the same chance;
a corpus or seed graph, whose ops are given, keeps them. Every draw comes from the case id, so a
campaign replays.
"""
from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from fuzzer.choices import NumpyChoices
from fuzzer.report.rootcause import system_family
from fuzzer.store import case_seed

#: a defect needs at least this many reviewed records (its live folder and duplicates) to steer
MIN_RECORDS = 2
#: graph nodes that are no op spec
_NOT_OPS = frozenset({"input", "const", "constant", "initializer"})
#: the namespaces an op spec's name may carry before its family
_PREFIXES = ("opinfo.", "onnx.", "nn.functional.", "special.", "linalg.", "fft.")


def family(spec: str) -> str:
    """The family of an op spec's name: "opinfo.diagonal.method", "opinfo.diagonal" and
    "diagonal" are one family; "onnx.ConcatFromSequence" is "concatfromsequence"."""
    name = spec.lower()
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix):]
    return name.split(".")[0]


@dataclass(frozen=True)
class Defect:
    """One live bug folder with the op families its reviewed records share."""

    folder: str
    system: str
    records: int
    triggers: frozenset[str]


def triggers(graphs: list[dict]) -> frozenset[str]:
    """The op families at least half of graphs (a defect's records' minimal graphs), and at
    least two of them, hold."""
    seen = Counter(f for g in graphs for f in {family(n.get("op", "")) for n in g.get("nodes", [])
                                               if isinstance(n, dict) and n.get("op") not in _NOT_OPS})
    need = max(2, math.ceil(len(graphs) / 2))
    return frozenset(f for f, n in seen.items() if n >= need)


def defects_in(bugs_dirs: list[Path]) -> list[Defect]:
    """The defects of bugs_dirs that steer: live folders with at least MIN_RECORDS records whose
    graphs share an op family. A case.json that cannot be read is skipped."""
    out = []
    for where in bugs_dirs:
        records: dict[str, dict] = {}
        for path in sorted(Path(where).glob("*/case.json")):
            try:
                case = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if isinstance(case, dict) and isinstance(case.get("bug"), dict) and not path.parent.name.startswith("."):
                records[path.parent.name] = case
        guises: dict[str, list[dict]] = defaultdict(list)
        for name, case in records.items():
            bug = case["bug"]
            if bug.get("withdrawn"):
                continue
            target = str(bug.get("duplicate_of") or name)
            if target in records and not records[target]["bug"].get("duplicate_of") \
                    and not records[target]["bug"].get("withdrawn"):
                guises[target].append(case.get("graph") or {})
        for name, graphs in guises.items():
            shared = triggers([g for g in graphs if isinstance(g, dict)])
            if len(graphs) >= MIN_RECORDS and shared:
                out.append(Defect(name, system_family(records[name]["bug"].get("system", "")), len(graphs), shared))
    return out


@dataclass
class Steering:
    """What steering did to one case: the plugins it lost, and the swarm ops it lost."""

    exporters: list[str]
    runtimes: list[str]
    transformers: list[str]
    dropped_ops: tuple[str, ...] = ()


@dataclass
class KnownDefects:
    """The defects a campaign steers away from (see the module docstring)."""

    defects: list[Defect]
    seed: int
    used: Counter = field(default_factory=Counter)

    SALT = 0x4B4E4F57

    @classmethod
    def from_dirs(cls, bugs_dirs: list[Path], seed: int) -> "KnownDefects":
        return cls(defects_in(bugs_dirs), seed)

    def chance(self, plugin: str, families: set[str]) -> tuple[float, frozenset[str]]:
        """(the chance plugin stays on a case whose ops are of families, the families that
        trigger its defects): 1 and nothing when no defect of its system family is triggered."""
        fam = system_family(plugin)
        hit = [d for d in self.defects if d.system == fam and d.triggers & families]
        if not hit:
            return 1.0, frozenset()
        return min(1.0 / d.records for d in hit), frozenset().union(*(d.triggers & families for d in hit))

    def steer(self, case_id: int, ops: tuple[str, ...], ops_given: bool, exporters: list[str], lead: str,
              runtimes: list[str], transformers: list[str]) -> Steering:
        """The plugins case case_id keeps, and the ops its swarm loses (see the module docstring).

        ops: the op specs the case draws from (its swarm's, or its given graph's when ops_given);
        exporters, runtimes, transformers: the plugins it may use (runtimes keep at least two,
        transformers one when there were some); lead: the exporter it must keep."""
        choices = NumpyChoices(case_seed(self.seed ^ self.SALT, case_id))
        families = {family(o) for o in ops}
        drop_families: set[str] = set()

        def keep(names: list[str], floor: int, must: str | None = None) -> list[str]:
            kept = list(names)
            for name in names:
                stays, why = self.chance(name, families)
                if stays >= 1.0 or choices.boolean(stays):
                    continue
                if name != must and len(kept) > floor:
                    kept.remove(name)
                    self.used["plugins_dropped"] += 1
                else:
                    drop_families.update(why)
            return kept

        steered = Steering(exporters=keep(exporters, 1, must=lead), runtimes=keep(runtimes, 2),
                           transformers=keep(transformers, 1))
        if drop_families and not ops_given:
            left = tuple(o for o in ops if family(o) not in drop_families)
            if left:  # a swarm of none would fall back to every op: keep the ops then
                steered = dataclasses.replace(steered, dropped_ops=tuple(o for o in ops if o not in left))
                self.used["ops_dropped"] += len(steered.dropped_ops)
        if steered.dropped_ops or len(steered.exporters) + len(steered.runtimes) + len(steered.transformers) < \
                len(exporters) + len(runtimes) + len(transformers):
            self.used["cases_steered"] += 1
        return steered

    def summary(self) -> dict:
        return {"defects": len(self.defects), **{k: self.used[k] for k in ("cases_steered", "plugins_dropped", "ops_dropped")}}


__all__ = ["Defect", "KnownDefects", "Steering", "defects_in", "family", "triggers"]
