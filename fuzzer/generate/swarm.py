"""Swarm configurations: generate within a small random subset of everything.

Drawing each op uniformly from about 200 specs makes a given op pair appear in
about one graph in 10^4, and a triple almost never; optimizer rewrites and
exporter fusions fire on exactly such patterns. Swarm testing (Groce et al.,
ISSTA 2012) gives each stretch of test cases its own small configuration: a
handful of op specs, the dtypes they take, a few size and operand toggles,
and the exporter, transformer and runtime plugins that judge the stretch.
Within a swarm of eight ops a given pair is drawn in about one step in 64,
with the attribute and shape draws varied around it every time; and a feature
that suppresses others (an op that shrinks every shape to one element, a cast
to bool) is simply absent from most swarms.

A Swarm is drawn only through a Choices sequence, so it is replayed exactly
from its seed: campaigns and `gen` draw it from a seed derived from (campaign
or graph seed, stretch index, frontend) (swarm_seed), and each case also
records it (CaseSpec.swarm, case.json) so that nothing has to be re-derived.
In a campaign the ops change every STRETCH cases and the plugin pairing every
PAIRING_STRETCH cases (SwarmSchedule), each from its own seed.
A Swarm narrows a GenConfig (Swarm.config) and nothing else: the generator is
unchanged, and its fallback still builds a graph when no drawn op fits.

The diversity tracker (fuzzer.generate.diversity) keeps working inside a
swarm: its guided steps choose among the swarm's ops, favouring the pairs and
triples of them not produced yet, so a stretch first covers its own subset's
paths and then repeats them with fresh attributes.
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

from fuzzer.choices import Choices, NumpyChoices
from fuzzer.ir import DType

#: how many op specs a swarm holds, at least and at most (drawn uniformly in between): below 4 a
#: graph of ten nodes is mostly one op repeated; above a dozen pairs thin out again
MIN_OPS, MAX_OPS = 4, 12
#: the chance that float32, what users deploy, is a swarm's primary dtype
FLOAT32_PRIMARY = 0.5
#: the chance of each further dtype some of the swarm's ops take (casts, weights, mixed graphs)
EXTRA_DTYPE = 0.25
#: how many consecutive cases (or `gen` seeds) share one swarm. Measured (benchmarks/swarm.py,
#: 1000 graphs with the path tracker on): one swarm per case gives 8% more distinct 3-op paths
#: than no swarm and 13% fewer pairs; a stretch of 10 gives 32% fewer pairs and no more triples,
#: since a stretch of ten-node graphs exhausts its swarm's pairs
STRETCH = 1
#: how many consecutive cases share one plugin pairing (exporters, transformers, runtimes): far
#: more than one, since the campaign exports consecutive cases of equal exporters together
#: (fuzzer.campaign.batching), in batches of up to 32, and a pairing per case would cut them short
PAIRING_STRETCH = 64
#: the chance that a guided swarm starts from ops linked to rules not yet hit, when there are some
BOOSTED = 0.5
#: mixed into the seed a stretch's swarm is drawn from, so it is independent of the cases' streams
SALT = 0x5A4E


@dataclass(frozen=True)
class Swarm:
    """One swarm: what a stretch of cases generates from and is judged by.

    ops, dtypes and the sizes replace the campaign's GenConfig fields (Swarm.config); exporters,
    transformers and runtimes are the subsets of the campaign's plugins the stretch may use
    (empty: no restriction, e.g. for `gen`, which runs no plugin).
    """

    frontend: str
    ops: tuple[str, ...]
    dtypes: tuple[str, ...]
    max_rank: int
    max_dim: int
    #: fewer graph inputs allowed means more operands become constants
    max_inputs: int
    control_flow: bool = False
    dynamic: bool = False
    exporters: tuple[str, ...] = ()
    transformers: tuple[str, ...] = ()
    runtimes: tuple[str, ...] = ()

    def config(self, base):
        """base (a GenConfig) narrowed to this swarm; what it does not draw (node counts, the
        avoided pairs, the forced opset) is kept."""
        return dataclasses.replace(
            base, frontend=self.frontend, ops=self.ops, dtypes=frozenset(DType(d) for d in self.dtypes),
            max_rank=self.max_rank, max_dim=self.max_dim, max_inputs=self.max_inputs,
            control_flow=self.control_flow, dynamic=self.dynamic)

    def to_json(self) -> dict:
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, data: dict) -> "Swarm":
        """Raises: ValueError when data is not a recorded swarm."""
        try:
            return cls(**{f.name: tuple(data[f.name]) if isinstance(data[f.name], list) else data[f.name]
                          for f in dataclasses.fields(cls) if f.name in data})
        except (TypeError, KeyError) as e:
            raise ValueError(f"not a recorded swarm: {e}") from None


def draw_swarm(choices: Choices, base, exporters=(), transformers=(), runtimes=(), boost=frozenset()) -> Swarm:
    """A random small configuration inside base (a GenConfig), drawn through choices alone.

    The ops come first from the stream, so the same seed gives `gen` and a campaign the same
    swarm of ops whatever plugins they pass. Every drawn op takes the swarm's primary dtype,
    avoids no (op, primary dtype) pair base steers away from, and fits the drawn max_rank; the
    other dtypes are each taken by some drawn op. The plugin subsets are never empty when they
    are given: at least one exporter and transformer, at least two runtimes (a differential).
    boost: op names to favour (fuzzer.campaign.guidance: ops linked to rules no case has hit);
    with none that the swarm's dtype allows, the draw is exactly the unguided one.

    Raises:
        UsageError: base has no op for its frontend (GenConfig.specs).
    """
    c = choices
    control_flow = base.control_flow and c.boolean(0.5)
    dynamic = base.dynamic and c.boolean(0.5)
    specs = [s for s in base.specs() if control_flow or not s.control_flow]
    if not specs:  # base allows only control-flow ops: keep them rather than have nothing
        specs, control_flow = base.specs(), True
    avoid = base.avoid

    def takes(s, d: DType) -> bool:
        return d in s.dtypes and (s.name, d.value) not in avoid

    primaries = sorted((d for d in base.dtypes if any(takes(s, d) for s in specs)), key=str)
    if not primaries:  # steering avoids every pair: draw as if it avoided none (the generator still does)
        avoid = frozenset()
        primaries = sorted((d for d in base.dtypes if any(takes(s, d) for s in specs)), key=str)
    primary = DType.float32 if DType.float32 in primaries and c.boolean(FLOAT32_PRIMARY) else c.choice(primaries)
    pool = [s for s in specs if takes(s, primary)]
    chosen = []
    favoured = [s for s in pool if s.name in boost]
    if favoured and c.boolean(BOOSTED):  # coverage guidance: one or two ops linked to rules not hit yet
        for _ in range(min(len(favoured), c.integer(1, 2))):
            spec = favoured.pop(c.integer(0, len(favoured) - 1))
            pool.remove(spec)
            chosen.append(spec)
    for _ in range(min(len(pool), c.integer(MIN_OPS, MAX_OPS) - len(chosen))):
        chosen.append(pool.pop(c.integer(0, len(pool) - 1)))
    chosen.sort(key=lambda s: s.name)
    others = sorted({d for s in chosen for d in s.dtypes & base.dtypes} - {primary}, key=str)
    dtypes = [primary] + [d for d in others if c.boolean(EXTRA_DTYPE)]
    # every op can take a primary operand of the swarm's max_rank: a rank-4 conv is never starved
    lowest = max([1] + [s.min_rank for s in chosen])
    max_rank = c.integer(min(lowest, base.max_rank), base.max_rank)
    max_dim = c.integer(min(3, base.max_dim), base.max_dim)
    max_inputs = c.integer(1, base.max_inputs)
    return Swarm(
        frontend=base.frontend, ops=tuple(s.name for s in chosen), dtypes=tuple(sorted(d.value for d in dtypes)),
        max_rank=max_rank, max_dim=max_dim, max_inputs=max_inputs, control_flow=control_flow, dynamic=dynamic,
        **draw_pairing(c, exporters, transformers, runtimes))


def draw_pairing(choices: Choices, exporters=(), transformers=(), runtimes=()) -> dict[str, tuple[str, ...]]:
    """{"exporters", "transformers", "runtimes"}: random subsets of the names given, each kept in
    its order and never empty when names are given (at least two runtimes: a differential)."""
    c = choices
    return {"exporters": _subset(c, exporters, 1), "transformers": _subset(c, transformers, 1),
            "runtimes": _subset(c, runtimes, 2)}


def _subset(c: Choices, names, at_least: int) -> tuple[str, ...]:
    """A random subset of names, in their order: each kept with even odds, topped up to at_least."""
    names = list(names)
    kept = [n for n in names if c.boolean(0.5)]
    rest = [n for n in names if n not in kept]
    while len(kept) < min(at_least, len(names)):
        kept.append(rest.pop(c.integer(0, len(rest) - 1)))
    return tuple(n for n in names if n in kept)


def swarm_seed(seed: int, stretch: int, frontend: str) -> int:
    """The seed of the swarm of stretch number `stretch` of a campaign (or `gen` run) seeded with
    seed, for one frontend: a hash, the same in every process (Python's hash() is salted)."""
    digest = hashlib.sha256(f"{SALT}:{seed}:{stretch}:{frontend}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def swarm_for(seed: int, stretch: int, base, exporters=(), transformers=(), runtimes=(), boost=frozenset()) -> Swarm:
    """The swarm stretch number `stretch` uses, drawn for base's frontend (see swarm_seed)."""
    return draw_swarm(NumpyChoices(swarm_seed(seed, stretch, base.frontend)), base, exporters, transformers, runtimes,
                      boost)


def for_seed(seed: int, base) -> Swarm:
    """The swarm of the graph `gen` draws from seed: a function of the seed alone (stretches of
    STRETCH consecutive seeds share one), so `gen --count 1 --seed S` redraws it."""
    return swarm_for(0, seed // STRETCH, base)


class SwarmSchedule:
    """The swarms of a campaign: every `stretch` consecutive case ids share one set of ops, dtypes
    and sizes per frontend, every `pairing_stretch` one plugin pairing per frontend (each drawn
    from its own seed, so the two stretches are independent).

    Args:
        seed: the campaign's seed.
        base: the campaign's GenConfig (any frontend: each swarm takes its own).
        exporters: {frontend: the campaign's exporters of that frontend}.
        transformers, runtimes: the campaign's.
    """

    def __init__(self, seed: int, base, exporters: dict[str, list[str]], transformers=(), runtimes=(),
                 stretch: int = STRETCH, pairing_stretch: int = PAIRING_STRETCH) -> None:
        if stretch < 1 or pairing_stretch < 1:
            raise ValueError(f"a stretch is at least one case, got {stretch} and {pairing_stretch}")
        self.seed, self.base, self.stretch, self.pairing_stretch = seed, base, stretch, pairing_stretch
        self.exporters, self.transformers, self.runtimes = exporters, list(transformers), list(runtimes)
        self._swarms: dict[tuple[int, str], Swarm] = {}
        self._pairings: dict[tuple[int, str], dict] = {}
        self.drawn = 0

    def frontend_of(self, exporter: str) -> str:
        """The frontend of one of the campaign's exporters."""
        return next(fe for fe, names in self.exporters.items() if exporter in names)

    def for_case(self, case_id: int, frontend: str, boost=frozenset()) -> Swarm:
        """The swarm of a case; boost: ops to favour (see draw_swarm). A guided campaign's swarms
        depend on the coverage so far, so each case records its swarm (CaseSpec.swarm)."""
        key = (case_id // self.stretch, frontend)
        if key not in self._swarms:
            if len(self._swarms) > 64:  # stretches only move forward: the old ones are done
                self._swarms.clear()
            self._swarms[key] = swarm_for(self.seed, key[0], dataclasses.replace(self.base, frontend=frontend),
                                          boost=boost)
            self.drawn += 1
        pair = (case_id // self.pairing_stretch, frontend)
        if pair not in self._pairings:
            if len(self._pairings) > 64:
                self._pairings.clear()
            choices = NumpyChoices(swarm_seed(self.seed, pair[0], f"{frontend}/plugins"))
            self._pairings[pair] = draw_pairing(choices, self.exporters.get(frontend, ()), self.transformers,
                                                self.runtimes)
        return dataclasses.replace(self._swarms[key], **self._pairings[pair])


__all__ = ["PAIRING_STRETCH", "STRETCH", "Swarm", "SwarmSchedule", "draw_pairing", "draw_swarm", "for_seed", "swarm_for",
           "swarm_seed"]
