"""The op spec contract: one small class per op.

An op spec declares which values it can take as its primary operand, samples
every attribute and any further operands through the generator's Choices,
infers its output types, and lowers itself to a torch expression. Because the
spec builds the node itself, a generated graph is valid by construction; no
graph is ever generated and then filtered.

A spec instance is shared by every graph (the registry holds one per op), so it keeps
no draw state: a spec whose attributes depend on what it drew for its operands (the
dim its indices were drawn for, the optional operands it added) derives from
DrawsWithNotes and passes that through a note made for one draw.

The template method `build` is fixed; subclasses override the small hooks:

    accepts(t)            is t a usable primary operand?            (default: dtype and rank tables)
    operands(b, x)        the full operand list, drawing extras     (default: [x])
    sample_attrs(b, ts)   the attributes, drawn through b.choices   (default: {})
    draw(b, x)            (operands, attributes) drawn together     (default: the two above, in turn)
    infer(ts, attrs)      output TensorTypes                        (required)
    requires(ts, attrs)   why operand types break the op's preconditions, or None  (default: None)
    torch(ctx, attrs, a)  a Python expression over torch, F and the operand names a  (required)
    onnx(ctx, attrs, a, outs)  emit ONNX nodes computing outs from a  (optional: the direct ONNX frontend)
    tf(ctx, attrs, a, types)   the TensorFlow tensors computing it  (optional: the TF frontend, tf2onnx)

The contexts these hooks receive are protocols (fuzzer.ops.contexts): the op
layer imports nothing above the IR and the choice source.

Every spec has a torch lowering, because torch eager in float64 is the one
ground truth. A spec whose torch lowering is only that truth (no exporter
would turn it into the ONNX op the spec is about, or torch cannot export it)
sets `exportable = False`: it then appears only in graphs built directly as
ONNX, through its `onnx` hook. Which frontends a spec serves follows from the
hooks its class defines (`frontends()`): nothing else lists them.

`torch` returns source text, not a tensor: the same text builds the module the
campaign runs and the standalone repro a maintainer reads, so the two can never
drift apart.
"""
from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace
from typing import Any, ClassVar

from fuzzer.errors import Rejected, UsageError
from fuzzer.ir import FLOATS, DType, TensorType, Value
from fuzzer.ops.contexts import DrawContext, OnnxContext, TfContext, TorchContext

#: the ways an IR graph becomes a model: torch source (for the torch exporters), a direct
#: ONNX model, a tf.function (for tf2onnx)
FRONTENDS = ("torch", "onnx", "tf")

#: the oldest opset a direct model is built at: every default-domain op onnxfuzz lowers to has a
#: version by 7 (or is introduced later and raises its spec's floor), and ONNX Runtime loads it
OLDEST_OPSET = 7

# Tensors larger than this are never produced, so a case stays milliseconds-cheap.
MAX_NUMEL = 4096


class OpSpec:
    #: IR op_type; by convention the torch API name ("conv2d", "add").
    name: ClassVar[str]
    #: dtypes accepted for the primary operand.
    dtypes: ClassVar[frozenset[DType]] = frozenset(FLOATS)
    min_rank: ClassVar[int] = 0
    max_rank: ClassVar[int] = 5
    #: (lo, hi) that the primary operand must lie in, or None for anywhere.
    domain: ClassVar[tuple[float, float] | None] = None
    #: ONNX op types this op is expected to export to; informational, for coverage.
    onnx_ops: ClassVar[tuple[str, ...]] = ()
    #: relative weight when the generator picks an op.
    weight: ClassVar[float] = 1.0
    #: False when torch exporters must not see this op (its torch lowering is the truth only)
    exportable: ClassVar[bool] = True
    #: control-flow ops (If, Loop, Scan, torch.cond) are drawn only when the config asks for them
    control_flow: ClassVar[bool] = False
    #: the exporters (plugin names) that can export it, or None for every exporter of its frontend;
    #: others record "unsupported by design" for a graph holding it (TorchScript tracing cannot
    #: capture torch.cond: it would bake in one branch and be wrong on the other)
    exporters: ClassVar[tuple[str, ...] | None] = None
    #: the oldest opset its `onnx` lowering can target (an op introduced later, e.g. BitwiseAnd 18,
    #: or a form older opsets lack); 0: the first opset where every op of onnx_ops exists
    #: (first_opset). A direct model is built at an opset no older than any node's opset_floor
    min_opset: ClassVar[int] = 0
    _frontends: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def framework_op(cls) -> str:
        """The framework op a call of this spec reaches, for telling bugs apart: two spellings of
        one op (a method and a function, an alias) reach the same exporter code. By default, the
        spec's own name."""
        return cls.name

    # -- hooks ------------------------------------------------------------
    def accepts(self, t: TensorType) -> bool:
        return t.dtype in self.dtypes and self.min_rank <= t.rank <= self.max_rank and t.numel > 0

    def operands(self, b: DrawContext, x: Value) -> list[Value]:
        return [x]

    def sample_attrs(self, b: DrawContext, types: list[TensorType]) -> dict[str, Any]:
        return {}

    def infer(self, types: list[TensorType], attrs: dict[str, Any]) -> list[TensorType]:
        raise NotImplementedError(f"{type(self).__name__}.infer")

    def requires(self, types: list[TensorType], attrs: dict[str, Any]) -> str | None:
        """Why these operand types break a precondition the op's draw keeps (operand shapes that
        must agree with each other and with the attributes), or None when they keep them all.

        A spec whose infer() does not look at every operand says here what its draw promises of
        the others: the reducer reshapes graphs after the fact, and torch is lenient where the
        ONNX op is not (an LSTM bias of one element broadcasts in torch).
        """
        return None

    def torch(self, ctx: TorchContext, attrs: dict[str, Any], args: list[str]) -> str:
        raise NotImplementedError(f"{type(self).__name__}.torch")

    def onnx(self, ctx: OnnxContext, attrs: dict[str, Any], args: list[str], outs: list[str]) -> None:
        """Emit, through ctx.node, ONNX nodes that compute the values named outs from args.

        Optional: a spec without it is never drawn for the direct ONNX frontend.
        """
        raise NotImplementedError(f"{type(self).__name__}.onnx")

    def tf(self, ctx: TfContext, attrs: dict[str, Any], args: list, types: list[TensorType]):
        """The TensorFlow tensor (a tuple for several outputs) computing this op on the operand
        tensors args, whose IR types are types; through ctx.tf, never an import of tensorflow.

        Optional: a spec without it is never drawn for the TF frontend. Define it only when
        every attribute combination the spec draws is lowered exactly.
        """
        raise NotImplementedError(f"{type(self).__name__}.tf")

    def draw(self, b: DrawContext, x: Value) -> tuple[list[Value], dict[str, Any]]:
        """This op's operands (x first) and attributes, drawn together."""
        ops = self.operands(b, x)
        return ops, self.sample_attrs(b, [v.type for v in ops])

    def opset_floor(self, types: list[TensorType], attrs: dict[str, Any]) -> int:
        """The oldest opset at which a node of this op with these operand types and attributes
        can be lowered: the spec's first_opset, or later where a drawn attribute or dtype has no
        form before some opset (ArgMax's select_last_index exists from 12)."""
        return self.first_opset

    @property
    def first_opset(self) -> int:
        """The oldest opset this spec's `onnx` lowering targets: min_opset when set, else the
        first opset where every default-domain op of onnx_ops exists; never below OLDEST_OPSET."""
        if self.min_opset:
            return max(OLDEST_OPSET, self.min_opset)
        return max([OLDEST_OPSET] + [first_version(op) for op in self.onnx_ops])

    @property
    def attrs_alone(self) -> bool:
        """Can the attributes be redrawn for fixed operand types (sample_attrs alone)? False
        for a DrawsWithNotes spec, whose attributes are drawn with its operands."""
        return type(self).draw is OpSpec.draw

    @property
    def has_onnx(self) -> bool:
        return type(self).onnx is not OpSpec.onnx

    @property
    def has_tf(self) -> bool:
        return type(self).tf is not OpSpec.tf

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        # derived once per class: the generator asks every spec about its frontend per graph
        cls._frontends = frozenset(f for f, has in (
            ("torch", cls.exportable), ("onnx", cls.onnx is not OpSpec.onnx), ("tf", cls.tf is not OpSpec.tf)) if has)

    def frontends(self) -> frozenset[str]:
        """The frontends that can materialize this op, from the hooks its class defines: torch
        when its torch lowering may be exported, onnx with an `onnx` hook, tf with a `tf` one."""
        return self._frontends

    def serves(self, frontend: str) -> bool:
        if frontend not in FRONTENDS:
            raise UsageError(f"unknown frontend {frontend!r}; known: {', '.join(FRONTENDS)}")
        return frontend in self._frontends

    # -- template method ----------------------------------------------------
    def build(self, b: DrawContext, x: Value):
        """Add one node of this op to b's graph, consuming x. Returns the Node.

        Raises fuzzer.errors.Rejected when x turns out unusable (the generator
        then tries another op); never builds an invalid node.
        """
        if self.domain is not None:
            x = b.guard(x, self.domain)
        ops, attrs = self.draw(b, x)
        types = [v.type for v in ops]
        outs = self.infer(types, attrs)
        for t in outs:
            if t.numel > MAX_NUMEL:
                raise Rejected(f"{self.name}: output {t} too large")
        return b.graph.add_node(self.name, ops, attrs, outs)

    def __repr__(self) -> str:
        return f"<op {self.name}>"


class DrawsWithNotes:
    """Mixin (listed before the OpSpec base) for a spec whose attributes depend on choices made
    while drawing its operands: it defines draw_operands(b, x, note) and draw_attrs(b, types,
    note), and the note, a fresh namespace per draw, carries those choices from one to the other."""

    def draw(self, b: DrawContext, x: Value) -> tuple[list[Value], dict[str, Any]]:
        note = SimpleNamespace()
        ops = self.draw_operands(b, x, note)
        return ops, self.draw_attrs(b, [v.type for v in ops], note)

    def draw_operands(self, b: DrawContext, x: Value, note: SimpleNamespace) -> list[Value]:
        return [x]

    def draw_attrs(self, b: DrawContext, types: list[TensorType], note: SimpleNamespace) -> dict[str, Any]:
        return {}


@lru_cache(maxsize=None)
def first_version(op: str) -> int:
    """The opset where ONNX op `op` (default domain) first exists; 0 for a name onnx does not
    define there (another domain's op, or an exporter's name that is not an op type)."""
    import onnx.defs

    try:
        return min(s.since_version for s in onnx.defs.get_all_schemas_with_history() if s.name == op and s.domain == "")
    except ValueError:
        return 0


def same_type(types: list[TensorType], attrs: dict) -> list[TensorType]:
    """infer() for ops whose single output has the first operand's type."""
    return [types[0]]


def broadcast_partner(b: DrawContext, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts with `shape`: trailing dims kept, set to 1, or (where
    shape has a 1) widened, and possibly fewer leading dims. Keeps broadcasting in
    both directions in play, which is where exporters insert Expand and Unsqueeze."""
    c = b.choices
    rank = c.integer(0, len(shape)) if c.boolean(0.3) else len(shape)
    out = []
    for d in shape[len(shape) - rank:]:
        k = c.integer(0, 3)
        if k == 0:
            out.append(1)
        elif k == 1 and d == 1:
            out.append(c.integer(2, 4))
        else:
            out.append(d)
    return tuple(out)


#: the chance that a binary op's drawn operand takes the left slot, the primary operand the right
SWAP = 0.2


def either_side(b: DrawContext, x: Value, t: TensorType, *, lhs_domain=None, rhs_domain=None) -> list[Value]:
    """[x, y], or sometimes [y, x]: a binary op's second operand y, of type t, on either side of
    the primary operand x, so that a constant is also the left operand of sub, div, pow, a
    compare or a shift.

    Without domains y is drawn once and the two swap places. With them each operand must lie in
    the domain of the slot it takes: x moved to the right is guarded into rhs_domain (a divisor
    stays away from 0) and the left operand is drawn anew inside lhs_domain, a constant half the
    time (operand() often reuses a value or adds an input instead). The draws up to the swap are
    the ones a plain [x, y] makes, so ops that rarely swap keep their choice sequence."""
    c = b.choices
    y = b.operand(t, domain=rhs_domain)
    if not c.boolean(SWAP):
        return [x, y]
    if lhs_domain is None and rhs_domain is None:
        return [y, x]
    if rhs_domain is not None:
        x = b.guard(x, rhs_domain)
    left = b.const(t, lhs_domain) if c.boolean(0.5) else b.operand(t, domain=lhs_domain)
    return [left, x]


def norm_dim(d: int, rank: int) -> int:
    """A possibly negative dim as an index in [0, rank) (0 for a rank-0 tensor)."""
    return int(d) % rank if rank else 0


def py(value) -> str:
    """A Python literal for an attribute value (tuples stay tuples, floats keep full precision)."""
    if isinstance(value, (list, tuple)):
        inner = ", ".join(py(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, float):
        return repr(float(value))
    return repr(value)
