"""Coverage guidance: steer a campaign toward the rules of the systems under test it has not hit.

Two levers, both fed by the workdir's rule coverage (fuzzer.coverage, fuzzer.store):
- the corpus: every case that hits a rule no earlier case of the workdir hit keeps
  its graph (the store's corpus table), a rule of a converter, optimizer or runtime
  transformer (a runtime's (op, dtype, opset) triples are thousands, and nearly every
  case reaches a new one: they would make every case a corpus entry); a share of later cases (corpus_ratio) start
  from a corpus graph mutated (fuzzer.generate.mutate), rarely picked entries
  first, so the neighbourhood of each newly reached rule gets explored;
- the ops linked to rules not yet hit: a motif names the optimizer rules it is built
  to trigger (fuzzer.ops.motif), and an exporter's rules are named after the aten op
  they translate ("aten::softmax", "aten_softmax"), as are the specs of those ops.
  Swarms (fuzzer.generate.swarm) draw those ops more often while their rules stay
  uncovered.

Each decision is drawn from the case id alone, so a campaign replays; a corpus case
carries its mutated graph, as a seed-mutation case does.
"""
from __future__ import annotations

import dataclasses
import re

from fuzzer.store import case_seed

#: how often (in cases) the corpus, and the uncovered rules (a larger read), are read again from the store
REFRESH_CORPUS, REFRESH_RULES = 20, 100
#: a motif's `rewrites` system -> the prefix of the coverage systems holding its rules
_MOTIF_SYSTEMS = {"onnxruntime": "onnxruntime:transformers@", "onnxoptimizer": "onnxoptimizer:passes",
                  "onnxscript": "onnxscript:rewrite-rules", "onnxslim": "onnxslim:rules", "onnxsim": "onnxsim:passes",
                  "tf2onnx": "tf2onnx:"}
_ATEN = re.compile(r"^aten(?:::|_)([a-z0-9_]+?)(?:\.|$)")


class Guide:
    """What a guided campaign asks before each case: a corpus graph to mutate, and ops to favour."""

    SALT = 0xC0FFEE

    def __init__(self, store, seed: int, config, corpus_ratio: float = 0.25) -> None:
        self.store = store
        self.seed = seed
        self.config = config
        self.corpus_ratio = corpus_ratio
        self._entries: list[dict] = []
        self._frontends: dict[int, frozenset[str]] = {}
        self._boost: frozenset[str] = frozenset()
        self._read_at: dict[str, int] = {}
        self.used = {"corpus_mutated": 0, "generated": 0, "boosted_ops": 0, "corpus_size": 0}

    def _due(self, what: str, cid: int, every: int) -> bool:
        last = self._read_at.get(what)
        if last is not None and cid - last < every:
            return False
        self._read_at[what] = cid
        return True

    def _refresh(self, cid: int) -> None:
        if self._due("corpus", cid, REFRESH_CORPUS):
            self._entries = self.store.corpus()
            self.used["corpus_size"] = len(self._entries)
        if self._due("rules", cid, REFRESH_RULES):
            self._boost = linked_ops(self.store.rule_coverage())
            self.used["boosted_ops"] = len(self._boost)

    def boost(self, cid: int) -> frozenset[str]:
        """The op specs linked to rules the workdir has not hit yet."""
        self._refresh(cid)
        return self._boost

    def graph_for(self, cid: int, exporters: list[str]) -> str | None:
        """A mutated corpus graph for case cid (JSON), or None to generate one from scratch."""
        from fuzzer.case import case_frontend
        from fuzzer.choices import NumpyChoices
        from fuzzer.errors import UsageError
        from fuzzer.generate.mutate import mutate
        from fuzzer.ir import Graph

        self._refresh(cid)
        choices = NumpyChoices(case_seed(self.seed ^ self.SALT, cid))
        if not self._entries or not choices.boolean(self.corpus_ratio):
            self.used["generated"] += 1
            return None
        frontend = case_frontend(exporters)
        pool = [e for e in self._entries if frontend in self._frontends_of(e)]
        if not pool:
            self.used["generated"] += 1
            return None
        # the least picked entries first (this run's picks counted as it goes): every newly
        # reached rule gets its neighbourhood explored before any entry is picked again
        fewest = min(e["picked"] for e in pool)
        entry = choices.choice([e for e in pool if e["picked"] == fewest])
        entry["picked"] += 1
        self.store.corpus_picked(entry["case_id"])
        config = dataclasses.replace(self.config, frontend=frontend)
        try:
            graph = mutate(Graph.loads(entry["graph"]), choices, config)
        except UsageError:
            graph = Graph.loads(entry["graph"])
        self.used["corpus_mutated"] += 1
        return graph.dumps()

    def _frontends_of(self, entry: dict) -> frozenset[str]:
        from fuzzer.ir import Graph
        from fuzzer.ops import FRONTENDS, get_spec

        found = self._frontends.get(entry["case_id"])
        if found is None:
            ops = set(Graph.loads(entry["graph"]).op_types())
            try:
                found = frozenset(f for f in FRONTENDS if all(get_spec(op).serves(f) for op in ops))
            except KeyError:  # an op spec this onnxfuzz no longer has
                found = frozenset()
            self._frontends[entry["case_id"]] = found
        return found

    def summary(self) -> dict:
        return dict(self.used)


def linked_ops(coverage: dict[str, dict]) -> frozenset[str]:
    """The op specs linked to a rule some system's inventory lists and no case has hit.

    Args:
        coverage: Store.rule_coverage() ({system: {"uncovered": [...], ...}}).
    """
    from fuzzer.ops import all_specs
    from fuzzer.ops.motif import is_motif

    uncovered = {(system, rule) for system, c in coverage.items() for rule in c.get("uncovered", [])}
    if not uncovered:
        return frozenset()
    names = {s.name for s in all_specs()}
    ops = set()
    for system, rule in uncovered:
        if system.startswith(("torchscript:", "dynamo:")):
            m = _ATEN.match(rule)
            if m:
                stem = m.group(1).rstrip("_")
                ops.update(n for n in (stem, stem.removesuffix("_dim"), stem.removesuffix("_tensor")) if n in names)
    by_system: dict[str, set[str]] = {}
    for system, rule in uncovered:
        by_system.setdefault(rule, set()).add(system)
    for spec in all_specs():
        if not is_motif(spec):
            continue
        for tool, rule in spec.rewrites:
            prefix = _MOTIF_SYSTEMS.get(tool)
            if prefix and any(s.startswith(prefix) for s in by_system.get(rule, ())):
                ops.add(spec.name)
    return frozenset(ops)
