"""Ops with several outputs or a data-dependent one: topk, sort, argsort, max/min along a dim,
aminmax, unique, nonzero; and einsum.

Ties. Which index topk/sort/argmax return among equal values is unspecified (ONNX says
so; torch does not promise it either), so a tie would make a correct runtime look wrong.
The ranked ops therefore rank `x + tiebreak`, where tiebreak is a weight holding distinct
multiples of a step (a permutation along the ranked dim, 1 elsewhere): values tied in x
(relu's zeros, floor's integers) get distinct offsets, and values that differ by a whole
number of steps apart are rare for float inputs. The step is wide enough to survive the
dtype's rounding near |x| = 2. Only float inputs are ranked; integers would tie too often.
sorted=False is never drawn: its order is unspecified in both torch and ONNX.

Data-dependent shapes (unique, nonzero) are reduced inside the op's own lowering to a
static shape: unique's inverse indices and each element's count; nonzero's index sums.
"""
from __future__ import annotations

import numpy as np

from fuzzer.choices import rng_for
from fuzzer.ir import FLOATS, DType, TensorType
from fuzzer.ops.base import DrawsWithNotes, OpSpec, norm_dim
from fuzzer.ops.dtypes import NUMERIC_BUT_INT16
from fuzzer.ops.lowering import cast, compute_dtype
from fuzzer.ops.norm import reduce
from fuzzer.ops.shape import neg

#: tiebreak step per dtype: several ulps at 2.0
STEP = {DType.float16: 0.01, DType.bfloat16: 0.05, DType.float32: 1e-3, DType.float64: 1e-3}


class Ranked(DrawsWithNotes, OpSpec):
    """An op ranking x along one dim; operands are x and its tiebreak weight."""

    dtypes = frozenset(FLOATS)
    min_rank = 1

    def draw_operands(self, b, x, note):
        rank, dtype = x.type.rank, x.type.dtype
        note.dim = d = b.choices.integer(0, rank - 1)
        n = x.type.shape[d]
        ramp = rng_for(b.choices).permutation(n).astype(np.float64) * STEP[dtype]
        shape = tuple(n if i == d else 1 for i in range(rank))
        return [x, b.graph.add_const(ramp.reshape(shape).astype(dtype.numpy), dtype)]

    def dim_attrs(self, b, types, note) -> dict:
        return {"dim": neg(b, note.dim, types[0].rank)}

    def keyed(self, a) -> str:
        return f"({a[0]} + {a[1]})"

    def onnx_keyed(self, ctx, a) -> str:
        return ctx.node("Add", [a[0], a[1]])[0]

    def topk(self, ctx, x: str, k: int, axis: int, largest: bool, outs) -> None:
        """TopK writing outs (values, indices); through float32 for bfloat16 before opset 24,
        where TopK first takes it (the round trip is exact)."""
        dtype = ctx.types[x].dtype if x in ctx.types else None
        if dtype is None or not (dtype == DType.bfloat16 and not ctx.truth and ctx.opset < 24):
            ctx.node("TopK", [x, ctx.ints([k])], outs, axis=axis, largest=int(largest), sorted=1)
            return
        wide = ctx.node("Cast", [x], to=ctx.elem(DType.float32))[0]
        v, i = ctx.node("TopK", [wide, ctx.ints([k])], 2, axis=axis, largest=int(largest), sorted=1)
        ctx.node("Cast", [v], [outs[0]], to=ctx.elem(DType.bfloat16))
        ctx.node("Identity", [i], [outs[1]])


def keyed_name(ctx, spec, a) -> str:
    """The ONNX name of x + tiebreak, with its type recorded for later lowering steps."""
    s = spec.onnx_keyed(ctx, a)
    ctx.types[s] = ctx.types[a[0]]
    return s


class TopK(Ranked):
    """torch.topk(x, k, dim, largest, sorted=True) -> (values, indices)."""

    name, onnx_ops = "topk", ("TopK",)

    def draw_attrs(self, b, types, note):
        c = b.choices
        attrs = self.dim_attrs(b, types, note)
        attrs["k"] = c.integer(1, types[0].shape[note.dim])
        if c.boolean(0.7):
            attrs["largest"] = c.boolean(0.5)
        if c.boolean(0.3):
            attrs["sorted"] = True
        return attrs

    def infer(self, types, attrs):
        x = types[0]
        d = norm_dim(attrs["dim"], x.rank)
        shape = x.shape[:d] + (attrs["k"],) + x.shape[d + 1:]
        return [x.with_shape(shape), TensorType(DType.int64, shape)]

    def torch(self, ctx, attrs, a):
        kw = "".join(f", {k}={attrs[k]!r}" for k in ("largest", "sorted") if k in attrs)
        return f"torch.topk({self.keyed(a)}, {attrs['k']}, dim={attrs['dim']}{kw})"

    def onnx(self, ctx, attrs, a, outs):
        x = keyed_name(ctx, self, a)
        self.topk(ctx, x, attrs["k"], norm_dim(attrs["dim"], ctx.types[a[0]].rank), attrs.get("largest", True), outs)


class Sort(Ranked):
    """torch.sort(x, dim, descending, stable) -> (values, indices)."""

    name, onnx_ops = "sort", ("TopK",)

    def draw_attrs(self, b, types, note):
        c = b.choices
        attrs = self.dim_attrs(b, types, note)
        if c.boolean(0.7):
            attrs["descending"] = c.boolean(0.5)
        if c.boolean(0.2):
            attrs["stable"] = True
        return attrs

    def infer(self, types, attrs):
        return [types[0], TensorType(DType.int64, types[0].shape)]

    def torch(self, ctx, attrs, a):
        kw = "".join(f", {k}={attrs[k]!r}" for k in ("descending", "stable") if k in attrs)
        return f"torch.sort({self.keyed(a)}, dim={attrs['dim']}{kw})"

    def onnx(self, ctx, attrs, a, outs):
        x = keyed_name(ctx, self, a)
        t = ctx.types[a[0]]
        d = norm_dim(attrs["dim"], t.rank)
        self.topk(ctx, x, t.shape[d], d, attrs.get("descending", False), outs)


class Argsort(Sort):
    """torch.argsort(x, dim, descending) -> indices."""

    name, onnx_ops = "argsort", ("TopK",)

    def infer(self, types, attrs):
        return [TensorType(DType.int64, types[0].shape)]

    def torch(self, ctx, attrs, a):
        kw = "".join(f", {k}={attrs[k]!r}" for k in ("descending", "stable") if k in attrs)
        return f"torch.argsort({self.keyed(a)}, dim={attrs['dim']}{kw})"

    def onnx(self, ctx, attrs, a, outs):
        super().onnx(ctx, attrs, a, [ctx.fresh("values"), outs[0]])


class MaxDim(Ranked):
    """torch.max(x, dim, keepdim) -> (values, indices)."""

    name, onnx_ops = "max_dim", ("ReduceMax", "ArgMax")
    fn, reduce_op, arg_op = "torch.max", "ReduceMax", "ArgMax"

    def draw_attrs(self, b, types, note):
        attrs = self.dim_attrs(b, types, note)
        if b.choices.boolean(0.6):
            attrs["keepdim"] = b.choices.boolean(0.5)
        return attrs

    def infer(self, types, attrs):
        x = types[0]
        d = norm_dim(attrs["dim"], x.rank)
        shape = x.shape[:d] + ((1,) if attrs.get("keepdim") else ()) + x.shape[d + 1:]
        return [x.with_shape(shape), TensorType(DType.int64, shape)]

    def torch(self, ctx, attrs, a):
        kw = f", keepdim={attrs['keepdim']!r}" if "keepdim" in attrs else ""
        return f"{self.fn}({self.keyed(a)}, {attrs['dim']}{kw})"

    def onnx(self, ctx, attrs, a, outs):
        x = keyed_name(ctx, self, a)
        d = norm_dim(attrs["dim"], ctx.types[a[0]].rank)
        keep = bool(attrs.get("keepdim", False))
        reduce(ctx, self.reduce_op, x, [d], keep, [outs[0]])
        ctx.node(self.arg_op, [x], [outs[1]], axis=d, keepdims=int(keep))


class MinDim(MaxDim):
    """torch.min(x, dim, keepdim) -> (values, indices)."""

    name, onnx_ops = "min_dim", ("ReduceMin", "ArgMin")
    fn, reduce_op, arg_op = "torch.min", "ReduceMin", "ArgMin"


class Aminmax(OpSpec):
    """torch.aminmax(x, dim=None|d, keepdim) -> (min, max); no indices, so ties are harmless."""

    name, onnx_ops = "aminmax", ("ReduceMin", "ReduceMax")
    dtypes = NUMERIC_BUT_INT16

    def sample_attrs(self, b, types):
        c = b.choices
        attrs: dict = {}
        if types[0].rank and c.boolean(0.6):
            attrs["dim"] = neg(b, c.integer(0, types[0].rank - 1), types[0].rank)
        if c.boolean(0.5):
            attrs["keepdim"] = c.boolean(0.5)
        return attrs

    def axes(self, x, attrs):
        return list(range(x.rank)) if "dim" not in attrs else [norm_dim(attrs["dim"], x.rank)]

    def infer(self, types, attrs):
        x = types[0]
        axes = self.axes(x, attrs)
        keep = attrs.get("keepdim", False)
        shape = tuple(1 if i in axes else s for i, s in enumerate(x.shape) if keep or i not in axes)
        return [x.with_shape(shape)] * 2

    def torch(self, ctx, attrs, a):
        kw = "".join(f", {k}={attrs[k]!r}" for k in ("dim", "keepdim") if k in attrs)
        return f"torch.aminmax({a[0]}{kw})"

    def onnx(self, ctx, attrs, a, outs):
        axes = self.axes(ctx.types[a[0]], attrs)
        keep = bool(attrs.get("keepdim", False))
        if not axes:  # a rank-0 input: both are the value itself
            ctx.node("Identity", [a[0]], [outs[0]])
            ctx.node("Identity", [a[0]], [outs[1]])
            return
        dtype = ctx.types[a[0]].dtype
        reduce(ctx, "ReduceMin", a[0], axes, keep, [outs[0]], dtype=dtype)
        reduce(ctx, "ReduceMax", a[0], axes, keep, [outs[1]], dtype=dtype)


class Unique(OpSpec):
    """torch.unique(x, sorted=True, return_inverse=True, return_counts=...): the unique values
    have a data-dependent length, so the op yields the inverse indices (x's shape) and, with
    counts, each element's count, counts[inverse] (x's shape too)."""

    name, onnx_ops = "unique", ("Unique", "Gather")
    dtypes = frozenset(FLOATS | {DType.int8, DType.uint8, DType.int16, DType.int32, DType.int64, DType.bool})
    min_rank = 1

    def sample_attrs(self, b, types):
        return {"counts": b.choices.boolean(0.6)}

    def infer(self, types, attrs):
        t = TensorType(DType.int64, types[0].shape)
        return [t, t] if attrs["counts"] else [t]

    def torch(self, ctx, attrs, a):
        if attrs["counts"]:
            call = f"torch.unique({a[0]}, sorted=True, return_inverse=True, return_counts=True)"
            return f"(lambda u: (u[1], u[2][u[1]]))({call})"
        return f"torch.unique({a[0]}, sorted=True, return_inverse=True)[1]"

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        # no ONNX Unique takes bfloat16: widening to float32 keeps every value distinct and in order
        wide = cast(ctx, a[0], x.dtype, compute_dtype(ctx, x.dtype, "Unique"))
        shape = x.shape
        _, _, inverse, counts = ctx.node("Unique", [wide], 4, sorted=1)
        ctx.node("Reshape", [inverse, ctx.ints(shape)], [outs[0]])
        if attrs["counts"]:
            ctx.node("Gather", [counts, outs[0]], [outs[1]], axis=0)


class Nonzero(OpSpec):
    """torch.nonzero(x).sum(0): the coordinates of x's nonzero elements (a data-dependent
    count of rows), summed per dim to a static (rank,) int64 vector."""

    name, onnx_ops = "nonzero", ("NonZero", "ReduceSum")
    dtypes = frozenset(FLOATS | {DType.int8, DType.uint8, DType.int16, DType.int32, DType.int64, DType.bool})
    min_rank = 1

    def infer(self, types, attrs):
        return [TensorType(DType.int64, (types[0].rank,))]

    def torch(self, ctx, attrs, a):
        return f"torch.nonzero({a[0]}).sum(0)"

    def onnx(self, ctx, attrs, a, outs):
        nz = ctx.node("NonZero", [a[0]])[0]
        reduce(ctx, "ReduceSum", nz, [1], False, outs)


LETTERS = "abcdefghij"


class Einsum(DrawsWithNotes, OpSpec):
    """torch.einsum over x and 0-1 more operands, no repeated letter within an operand (no
    diagonals): transposes, reductions, outer products, (batched) matmuls."""

    name, onnx_ops = "einsum", ("Einsum",)
    dtypes = frozenset(FLOATS)
    max_rank = 4

    def draw_operands(self, b, x, note):
        c = b.choices
        sizes = dict(zip(LETTERS, x.type.shape))
        note.terms = [LETTERS[:x.type.rank]]
        ops = [x]
        if c.boolean(0.7):
            fresh = iter(LETTERS[x.type.rank:])
            term = ""
            for _ in range(c.integer(0 if x.type.rank else 1, 3)):
                pool = [ch for ch in sizes if ch not in term]
                if pool and c.boolean(0.6):
                    ch = c.choice(pool)
                else:
                    ch = next(fresh)
                    sizes[ch] = c.integer(1, 5)
                term += ch
            note.terms.append(term)
            ops.append(b.operand(TensorType(x.type.dtype, tuple(sizes[ch] for ch in term))))
        note.sizes = sizes
        return ops

    def draw_attrs(self, b, types, note):
        c = b.choices
        letters = sorted(set("".join(note.terms)))
        out = [ch for ch in letters if c.boolean(0.6)]
        out = [out.pop(c.integer(0, len(out) - 1)) for _ in range(len(out))]  # any order
        return {"equation": ",".join(note.terms) + "->" + "".join(out)}

    def infer(self, types, attrs):
        lhs, out = attrs["equation"].split("->")
        sizes = {}
        for term, t in zip(lhs.split(","), types):
            sizes.update(zip(term, t.shape))
        return [types[0].with_shape(tuple(sizes[ch] for ch in out))]

    def torch(self, ctx, attrs, a):
        return f"torch.einsum({attrs['equation']!r}, {', '.join(a)})"

    def onnx(self, ctx, attrs, a, outs):
        # no ONNX Einsum takes bfloat16: it computes in float32 between Casts
        ctx.widen("Einsum", a, outs, ctx.types[a[0]].dtype, equation=attrs["equation"])
