"""Known-defect steering: spend few cases where reviewed bugs keep coming back.

A reviewed bugs directory holds, besides each live folder, the duplicate records reviewers
pointed at it: the other guises in which campaigns met the same defect (another face, other
words, another op leading into it). Blind reviews of the automatic filer (docs/bug-review.md,
reviews 12 to 20) found that most folders it wrote that were not new findings were such guises
of a few defects: TorchScript's unique (ten records), onnxoptimizer's merged Reshapes (eight)
and Squeezes (seven), tract's Mod, onnx.reference's MaxPool. No key tells a new guise from a new
defect of the same place: every looser key measured over those reviews held about one new
finding for each two repeats it caught. So the campaign steers away instead, before anything
fails: a case holding an op family the guises of a defect held seldom goes to the system of that
defect. With g reviewed records, one such case in g + 1 does.

Review 21 showed why every live folder steers, not only those with duplicates: its six repeats
were all of defects with a single record, the long tail no shared op named. Over reviews 12 to 21,
62% of the repeats the reviewers found share an op family with a live folder of their system, and
26% of the new findings do; steering at one in g + 1 on those families keeps, in expectation, 60%
of those repeats' cases on their system and 87% of the new findings', which raises the share of
new findings among real ones from 41% to 50% before the cases it frees find anything. In reviews
22 and 23, the first campaigns with it, 35% and 36% of the cases met a steering defect (54% in
review 21's), and 13 of the 23 folders they wrote were new findings (6 of 21 in reviews 20-21).

The ops a defect is triggered by (`triggers`): the op-spec families (an OpInfo variant in its
method, in-place and operator forms, its aliases (moveaxis is movedim) and the plain spec are one
family; variants that compute otherwise, and the ONNX frontend's ops, are not: `family`) that at
least half of its records' minimal graphs hold, and at least two of them when it has two or more.
Any one of them triggers it. A defect with one record steers every op of its minimal graph, at one
case in two: the minimizer keeps little more than the failure needs, though an op it could not
drop steers too, common ones (add, reshape, cast) among them. One whose records share no op steers
nothing.

How a case is steered (`KnownDefects.steer`): for each system family of the plugins it may use
(rootcause.system_family: ONNX Runtime, its levels and its offline optimizer are one) and each op
family of its ops that triggers a defect of that system, one draw keeps the case there with
probability 1/(g + 1) (g of the most repeated such defect). A system the case cannot lose (the lead
exporter's, which fair sharing must not starve; one whose runtimes leave fewer than two for the
differential; the last transformer's) keeps it, and the case's swarm loses the op families that
system avoided instead; a system avoiding only those keeps the case too. Otherwise all of the
system's plugins leave the case, the systems taken in an order drawn for the case as far as the
floors allow (past them, the system's op families leave the swarm). A corpus or seed graph, whose
ops are given, keeps them.

What is not steered: a case generated without a swarm (--no-swarm: its ops are all of them);
duplicate records pointing into another directory. The unreviewed folders of the directory a
campaign files into steer like reviewed ones, each as one record: a campaign spends fewer cases on
what it filed an hour before, and a false alarm it filed steers too until a review withdraws it. Every draw
comes from the case id and the plugins the case may use, so a campaign replays as far as its fair
share of time hands out the same plugins.
"""
from __future__ import annotations

import functools
import json
import math
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from fuzzer.choices import NumpyChoices
from fuzzer.ir import Graph
from fuzzer.report.rootcause import system_family
from fuzzer.store import case_seed

#: a defect needs at least this many reviewed records (its live folder and duplicates) to steer:
#: every live folder does (review 21's repeats were all of defects with one record)
MIN_RECORDS = 1
#: the namespaces a torch op spec's name may carry before the op: an OpInfo, a functional
_PREFIXES = ("opinfo.", "nn.functional.")
#: the forms an OpInfo variant of one op takes (x.add_(y), x.add(y), x + y, y + x)
_FORMS = frozenset({"method", "inplace", "operator", "reflected", "inplace_operator"})


@functools.lru_cache(maxsize=None)  # every case asks it of each of its ops, several times
def family(spec: str) -> str:
    """The family of an op spec's name: one op's OpInfo variants in their method, in-place and
    operator forms, its aliases, and its plain spec ("opinfo.diagonal.method", "opinfo.diagonal",
    "diagonal"; "opinfo.moveaxis" and "movedim"; "opinfo.maximum" and "opinfo.max.binary").
    Variants that compute otherwise stay apart (scatter_reduce's amax and sum, div's rounding
    modes), and so do the ONNX frontend's ops ("Sum", an elementwise sum, is not torch's "sum")."""
    name = spec.removeprefix("opinfo.")
    # torch's op database names the op every alias and form of it is (the OpInfo table keeps it)
    name = _opinfo_ops().get(name, name)
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix):]
    parts = name.split(".")
    while len(parts) > 1 and parts[-1] in _FORMS:
        parts.pop()
    return ".".join(parts)


@functools.lru_cache(maxsize=1)
def _opinfo_ops() -> dict[str, str]:
    """{OpInfo table entry: the OpInfo it spells} (fuzzer.ops.opinfo_table), {} when unreadable."""
    from fuzzer.ops.opinfo_table import TABLE

    try:
        entries = json.loads(TABLE.read_text())["entries"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        warnings.warn(f"known-defect steering reads no aliases: {TABLE} is unreadable ({e})", stacklevel=2)
        return {}
    return {name: e["op"] for name, e in entries.items() if isinstance(e, dict) and isinstance(e.get("op"), str)}


@dataclass(frozen=True)
class Defect:
    """One live bug folder with the op families its reviewed records share."""

    folder: str
    system: str
    records: int
    triggers: frozenset[str]


def triggers(graphs: list[Graph], records: int | None = None) -> frozenset[str]:
    """The op families at least half of a defect's records (records of them, graphs the minimal
    graphs of those that hold one readable), and at least two of them when there are two or
    more, hold."""
    records = len(graphs) if records is None else records
    seen = Counter(f for g in graphs for f in {family(op) for op in g.op_types()})
    need = max(min(2, records), math.ceil(records / 2))
    return frozenset(f for f, n in seen.items() if n >= need)


def defects_in(bugs_dirs: list[Path]) -> list[Defect]:
    """The defects of bugs_dirs that steer: live folders with at least MIN_RECORDS records whose
    graphs share an op family (a single record's graph shares its own). A case.json that cannot be read is skipped."""
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
        guises: dict[str, list[Graph | None]] = defaultdict(list)
        for name, case in records.items():
            bug = case["bug"]
            if bug.get("withdrawn"):
                continue
            target = str(bug.get("duplicate_of") or name)
            if target in records and not records[target]["bug"].get("duplicate_of") \
                    and not records[target]["bug"].get("withdrawn"):
                guises[target].append(_graph(case.get("graph")))
        for name, graphs in guises.items():
            shared = triggers([g for g in graphs if g is not None], len(graphs))
            if len(graphs) >= MIN_RECORDS and shared:
                out.append(Defect(name, system_family(records[name]["bug"].get("system", "")), len(graphs), shared))
    return out


def _graph(data) -> Graph | None:
    """A record's minimal graph, None when it holds none it can read (a record with no graph
    still counts as a guise: it only shares no op)."""
    try:
        return Graph.from_json(data)
    except Exception:  # noqa: BLE001 - an old or hand-written record
        return None


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
    #: {(system family, op family): the records of its most repeated defect that family triggers}
    _most: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    SALT = 0x4B4E4F57

    def __post_init__(self) -> None:
        for d in self.defects:
            for fam in d.triggers:
                self._most[(d.system, fam)] = max(self._most.get((d.system, fam), 0), d.records)

    @classmethod
    def from_dirs(cls, bugs_dirs: list[Path], seed: int) -> "KnownDefects":
        return cls(defects_in(bugs_dirs), seed)

    def chance(self, system: str, fam: str) -> float:
        """The chance a case holding ops of family fam goes to a system family: one over one more
        than the records of the most repeated of the system's defects fam triggers, 1 when none."""
        most = self._most.get((system, fam))
        return 1.0 / (most + 1) if most else 1.0

    def steer(self, case_id: int, ops: tuple[str, ...], ops_given: bool, exporters: list[str], lead: str,
              runtimes: list[str], transformers: list[str]) -> Steering:
        """The plugins case case_id keeps, and the ops its swarm loses (see the module docstring).

        ops: the op specs the case draws from (its swarm's, or its given graph's when ops_given);
        exporters, runtimes, transformers: the plugins it may use (runtimes keep at least two,
        transformers one when there were some); lead: the exporter it must keep.

        One draw per (system family, op family) the case triggers, so a system with several
        plugins (ONNX Runtime's levels, its offline optimizer) is steered as one. The systems the
        case cannot lose go first: the op families they avoid leave the swarm, and a system whose
        avoided families all left with them keeps its plugins (steering it too would cost a
        plugin for ops the case no longer holds)."""
        choices = NumpyChoices(case_seed(self.seed ^ self.SALT, case_id))
        families = sorted({family(o) for o in ops})
        plugins = {"exporters": list(exporters), "runtimes": list(runtimes), "transformers": list(transformers)}
        floors = {"exporters": 1, "runtimes": min(2, len(runtimes)), "transformers": min(1, len(transformers))}
        systems = list(dict.fromkeys(system_family(p) for names in plugins.values() for p in names))
        avoided = {}
        for system in systems:
            fams = {f for f in families if (stays := self.chance(system, f)) < 1.0 and not choices.boolean(stays)}
            if fams:
                avoided[system] = fams

        def without(kept: dict, system: str) -> dict:
            return {k: [p for p in names if system_family(p) != system] for k, names in kept.items()}

        def fits(kept: dict) -> bool:
            return lead in kept["exporters"] and all(len(kept[k]) >= floors[k] for k in kept)

        # the systems the case cannot lose even alone: their avoided op families leave the swarm
        stuck = {s for s in avoided if not fits(without(plugins, s))}
        drop_families = set().union(*(avoided[s] for s in stuck)) if stuck else set()
        left = tuple(o for o in ops if family(o) not in drop_families)
        if ops_given or not left:  # a given graph keeps its ops; a swarm of none would fall back to every op
            drop_families, left = set(), tuple(ops)
        kept = plugins
        # in an order of the case's own, so that the floors do not always spare the same plugins
        # (a fixed order dropped the first-listed runtimes until two were left: the maintainer review)
        order = sorted(avoided, key=lambda _: choices.real(0.0, 1.0))
        for system in order:
            fams = avoided[system]
            if system in stuck or not fams - drop_families:
                continue
            fewer = without(kept, system)
            if fits(fewer):
                self.used["plugins_dropped"] += sum(map(len, kept.values())) - sum(map(len, fewer.values()))
                kept = fewer
            elif not ops_given and (rest := tuple(o for o in left if family(o) not in fams)):
                left, drop_families = rest, drop_families | fams  # the floors reached: the ops go instead
        steered = Steering(exporters=kept["exporters"], runtimes=kept["runtimes"], transformers=kept["transformers"],
                           dropped_ops=tuple(o for o in ops if o not in left))
        self.used["ops_dropped"] += len(steered.dropped_ops)
        if steered.dropped_ops or kept != plugins:
            self.used["cases_steered"] += 1
        return steered

    def summary(self) -> dict:
        return {"defects": len(self.defects), **{k: self.used[k] for k in ("cases_steered", "plugins_dropped", "ops_dropped")}}


__all__ = ["Defect", "KnownDefects", "Steering", "defects_in", "family", "triggers"]
