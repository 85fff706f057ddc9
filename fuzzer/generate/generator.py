"""Random valid graphs, grown forward one op at a time.

Each step picks an op spec, offers it an existing value it accepts (recent
values are favoured, so graphs grow deep chains rather than wide fans), and
lets the spec build its node. When no value fits, a new graph input of a type
the spec accepts is added. Every sink becomes a graph output, so no exporter
can prune dead code out from under the oracle.

Given a PathTracker (fuzzer.generate.diversity), some steps instead pick the
operand first and then the op, favouring ops that would extend the chain
ending at that operand into an op path no earlier graph has produced.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from fuzzer.choices import Choices
from fuzzer.errors import Rejected, UsageError
from fuzzer.generate.builder import Builder
from fuzzer.generate.diversity import PathTracker
from fuzzer.ir import CONST, DType, Graph, TensorType
from fuzzer.ops import OpSpec, all_specs, get_spec


#: every dtype the issue asks for (int16 is left out: few ONNX kernels take it); float32 stays
#: the most common start (GenConfig.start_dtype_bias), the others come in as inputs, weights and casts
DEFAULT_DTYPES = frozenset({
    DType.float32, DType.float16, DType.bfloat16, DType.float64,
    DType.int8, DType.uint8, DType.int32, DType.int64, DType.bool,
})
#: the chance of one more op in a stepwise graph (about 4 more on average, up to max_nodes)
STEP_ON = 0.8
#: the chance that a step is diversity-guided when a tracker is given
GUIDED = 0.6
#: the chance that a guided step takes a new-path op when there is one
NOVEL = 0.85


@dataclass(frozen=True)
class GenConfig:
    min_nodes: int = 1
    max_nodes: int = 10
    max_inputs: int = 3
    max_rank: int = 4
    max_dim: int = 6
    dtypes: frozenset[DType] = DEFAULT_DTYPES
    #: op names to draw from; None for every registered op
    ops: tuple[str, ...] | None = None
    #: the dtype most graphs start from; float32 is what users deploy
    start_dtype_bias: float = 0.6
    #: (op name, dtype) pairs never built: no selected runtime supports them (fuzzer.probe.steer)
    avoid: frozenset = frozenset()
    #: what materializes the graph: "torch", "onnx" (direct) or "tf"; only ops it serves are drawn
    frontend: str = "torch"
    #: draw control-flow ops (If, Loop, Scan, torch.cond) too
    control_flow: bool = False
    #: export some input dims as dynamic and judge the model at more than one size
    dynamic: bool = False
    #: the opset every direct ONNX model is built at, when one is forced (`run --opset`): ops whose
    #: lowering needs a newer one are not drawn, where they would only give invalid models
    max_opset: int | None = None
    #: draw "one more op?" before each step rather than a node count first: how graphs shrink
    #: best under Hypothesis (fuzzer.strategies sets it); campaigns keep the count
    stepwise: bool = False
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "dtypes", frozenset(DType(d) for d in self.dtypes))
        if not 1 <= self.min_nodes <= self.max_nodes:
            raise UsageError(f"need 1 <= min_nodes <= max_nodes, got {self.min_nodes}, {self.max_nodes}")
        if self.ops is not None:
            for name in self.ops:
                try:
                    get_spec(name)
                except KeyError as e:
                    raise UsageError(str(e.args[0])) from None

    def specs(self) -> list[OpSpec]:
        specs = all_specs() if self.ops is None else [get_spec(n) for n in self.ops]
        usable = [s for s in specs if s.weight > 0 and s.dtypes & self.dtypes and s.serves(self.frontend)
                  and (self.control_flow or not s.control_flow)
                  and not (self.frontend == "onnx" and self.max_opset is not None and s.first_opset > self.max_opset)]
        if not usable:
            at = f" at opset {self.max_opset}" if self.frontend == "onnx" and self.max_opset is not None else ""
            raise UsageError(f"no op of the {self.frontend} frontend{at} accepts any of the selected dtypes")
        return usable


def generate(choices: Choices, config: GenConfig = GenConfig(), tracker: PathTracker | None = None) -> Graph:
    """A random valid graph drawn through choices.

    Args:
        choices: the only source of randomness (NumpyChoices, HypothesisChoices).
        config: sizes, dtypes, ops and frontend to draw from.
        tracker: op paths already produced; when given, ops making new paths are
            favoured, and the finished graph's paths are added to it.
    """
    graph = Graph()
    b = Builder(graph, choices, config)
    specs = config.specs()
    # stepwise: no node count up front, a "one more op?" flag before each step instead, so that
    # Hypothesis drops a step by deleting its span alone (a count drawn first would have to
    # shrink together with the deletion, which its shrinker rarely manages)
    target = config.max_nodes if config.stepwise else choices.integer(config.min_nodes, config.max_nodes)
    _first_input(b, specs)
    attempts = 0
    while len(graph) < target and attempts < 20 * target + 20:
        attempts += 1
        if config.stepwise and len(graph) >= config.min_nodes and not choices.boolean(STEP_ON):
            break
        picked = _guided_pick(b, specs, tracker) if tracker is not None else None
        if picked is None:
            spec = choices.choice(specs)
            x = _pick_operand(b, spec)
        else:
            spec, x = picked
        if x is None:
            continue
        try:
            with b.transaction():
                _within_opset(config, spec.build(b, x))
                if len(graph) > config.max_nodes:  # domain guards add ops of their own
                    raise Rejected("over max_nodes")
        except Rejected:
            continue
    if len(graph) == 0:  # every attempt was rejected: before _finish drops the unused inputs
        _fallback(b, specs)
    _finish(graph)
    if tracker is not None:
        tracker.update(graph)
    return graph


def _within_opset(config: GenConfig, node) -> None:
    """Reject a node of a direct model whose draw needs a newer opset than the forced one
    (`run --opset N`): what its spec knows (opset_floor), or a bfloat16 value (13)."""
    if config.frontend == "onnx" and config.max_opset is not None:
        floor = get_spec(node.op_type).opset_floor([v.type for v in node.inputs], node.attrs)
        if any(v.type.dtype == DType.bfloat16 for v in (*node.inputs, *node.outputs)):
            floor = max(floor, 13)
        if floor > config.max_opset:
            raise Rejected(f"{node.op_type}: this draw needs opset {floor}")


def _fallback(b: Builder, specs: list[OpSpec]) -> None:
    """One op on the first input, when every attempt of the main loop was rejected: each
    drawable spec that accepts it gets one more try (in a drawn order), and a cast to the
    input's own dtype, which no operand can reject, comes last when the frontend serves it.

    Raises:
        UsageError: nothing can be built on the input (no spec fits and the frontend has no cast).
    """
    x = b.graph.inputs[0]
    fits = list(_fits(b.config, specs, x.type))  # a copy: tried specs are popped
    while fits:
        spec = fits.pop(b.choices.integer(0, len(fits) - 1))
        try:
            with b.transaction():
                _within_opset(b.config, spec.build(b, x))
                if len(b.graph) > b.config.max_nodes:
                    raise Rejected("over max_nodes")
            return
        except Rejected:
            continue
    cast = get_spec("cast")
    if not cast.serves(b.config.frontend) or x.type.dtype not in cast.dtypes:
        raise UsageError(f"no op of the {b.config.frontend} frontend can be built on an input of type {x.type}")
    b.graph.add_node("cast", [x], {"to": x.type.dtype}, [x.type])


def _guided_pick(b: Builder, specs: list[OpSpec], tracker: PathTracker):
    """(spec, operand) with the operand chosen first among op outputs and the spec among
    those accepting it, new-path specs favoured; None to take an unguided step instead."""
    c = b.choices
    values = [v for v in b.graph.values() if v.producer().is_op]
    if not values or not c.boolean(GUIDED):
        return None
    x = c.choice(values[-3:]) if c.boolean(0.7) else c.choice(values)
    fits = _fits(b.config, specs, x.type)
    if not fits:
        return None
    names = set(tracker.novel(x, [s.name for s in fits]))
    new = [s for s in fits if s.name in names]
    spec = c.choice(new) if new and c.boolean(NOVEL) else c.choice(fits)
    return spec, x


#: (config, type) -> the config's specs that accept the type: a guided step asks every spec
#: about one type, and accepts() computes sizes each time (measured: 40% of a guided graph's
#: generation time); specs() is a function of the config, so the pair is the whole key
_FITS: dict = {}
_FITS_MAX = 50_000


def _fits(config: GenConfig, specs: list[OpSpec], t: TensorType) -> list[OpSpec]:
    key = (config, t)
    found = _FITS.get(key)
    if found is None:
        if len(_FITS) >= _FITS_MAX:  # a long campaign sees many types: start over rather than grow
            _FITS.clear()
        avoid = config.avoid
        # the dtype table first: a set lookup, where accepts() computes sizes
        found = _FITS[key] = [s for s in specs if t.dtype in s.dtypes and (s.name, t.dtype.value) not in avoid
                              and s.accepts(t)]
    return found


def _first_input(b: Builder, specs: list[OpSpec]) -> None:
    c = b.choices
    dtypes = sorted(b.config.dtypes, key=str)
    if DType.float32 in b.config.dtypes and c.boolean(b.config.start_dtype_bias):
        dtype = DType.float32
    else:
        dtype = c.choice(dtypes)
    b.new_input(_random_type(b, dtype, 1, b.config.max_rank))


def _random_type(b: Builder, dtype: DType, min_rank: int, max_rank: int) -> TensorType:
    c = b.choices
    rank = c.integer(min_rank, max(min_rank, min(max_rank, b.config.max_rank)))
    return TensorType(dtype, tuple(c.integer(1, b.config.max_dim) for _ in range(rank)))


def _pick_operand(b: Builder, spec: OpSpec):
    c = b.choices
    avoid = b.config.avoid

    def usable(t: TensorType) -> bool:
        return spec.accepts(t) and (spec.name, t.dtype.value) not in avoid

    values = [v for v in b.graph.values() if v.producer().op_type != CONST and usable(v.type)]
    if values and not c.boolean(0.05):
        # favour the newest values: deep chains are where multi-op exporter patterns live
        recent = values[-3:]
        return c.choice(recent) if c.boolean(0.7) else c.choice(values)
    if len(b.graph.inputs) >= b.config.max_inputs:
        return None
    dtypes = sorted((d for d in spec.dtypes & b.config.dtypes if (spec.name, d.value) not in avoid), key=str)
    if not dtypes:
        return None
    t = _random_type(b, c.choice(dtypes), max(spec.min_rank, 0), spec.max_rank)
    if not usable(t):
        return None
    return b.new_input(t)


def _finish(graph: Graph) -> None:
    """Drop unused inputs and constants; make every op sink a graph output."""
    graph.drop_unused_sources()
    graph.outputs = [v for n in graph.op_nodes for v in n.outputs if not v.uses()]
