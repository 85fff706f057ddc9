"""Indexing ops: gather/index_select/take_along_dim/embedding, scatter (plain, add, reduce),
index_put, advanced indexing x[i0, i1] and masked_fill.

Indices are in range by construction: constants drawn from the case's rng, or int64
graph inputs whose domain is [0, n-1] (or [-n, n-1] where torch accepts negative
indices). A scatter whose result would depend on the order duplicates are written in
(plain scatter, index_put without accumulate) gets distinct indices per written slot,
so the op has one right answer.

Which dim the indices were drawn for is decided in draw_operands() and read back in
draw_attrs() from the draw's own note (DrawsWithNotes): nothing is kept on the spec.
"""
from __future__ import annotations

import numpy as np

from fuzzer.choices import rng_for
from fuzzer.ir import FLOATS, DType, TensorType
from fuzzer.ops.base import DrawsWithNotes, OpSpec, broadcast_partner, norm_dim, py
from fuzzer.ops.dtypes import ALL, NUMERIC
from fuzzer.ops.lowering import Lit
from fuzzer.ops.shape import neg



def index_operand(b, shape, lo: int, hi: int):
    """An int64 index tensor of `shape` with values in [lo, hi]: a graph input with that
    domain when inputs remain, else a constant."""
    t = TensorType(DType.int64, tuple(shape))
    # integers are drawn from [ceil(lo), floor(hi)], but an empty-looking (lo, lo) domain
    # falls back to a window above lo: half a unit keeps n == 1 at exactly 0
    domain = (lo, hi + 0.5)
    if b.choices.boolean(0.5) and len(b.graph.inputs) < b.config.max_inputs:
        return b.new_input(t, domain=domain)
    return b.const(t, domain=domain)


def distinct_along(b, shape, axis: int, n: int):
    """A constant int64 tensor of `shape` whose entries along `axis` are distinct values of
    [0, n-1] at every position of the other axes (needs shape[axis] <= n)."""
    rng = rng_for(b.choices)
    shape = list(shape)
    k = shape[axis]
    moved = shape[:axis] + shape[axis + 1:]
    cols = int(np.prod(moved)) if moved else 1
    picks = np.stack([rng.permutation(n)[:k] for _ in range(cols)])
    arr = np.moveaxis(picks.reshape(moved + [k]), -1, axis)
    return b.int_const(np.ascontiguousarray(arr).astype(np.int64))


class Gather(DrawsWithNotes, OpSpec):
    """torch.gather(x, dim, index): index of x's rank, no larger than x off dim, any size on it."""

    name, onnx_ops = "gather", ("GatherElements",)
    dtypes = ALL
    min_rank = 1

    def draw_operands(self, b, x, note):
        c = b.choices
        shape = x.type.shape
        note.dim = d = c.integer(0, len(shape) - 1)
        ishape = [c.integer(1, 6) if i == d else c.integer(1, s) for i, s in enumerate(shape)]
        return [x, index_operand(b, ishape, 0, shape[d] - 1)]

    def draw_attrs(self, b, types, note):
        return {"dim": neg(b, note.dim, types[0].rank), "method": b.choices.boolean(0.2)}

    def infer(self, types, attrs):
        return [types[1].with_dtype(types[0].dtype)]

    def torch(self, ctx, attrs, a):
        if attrs.get("method"):
            return f"{a[0]}.gather({attrs['dim']}, {a[1]})"
        return f"torch.gather({a[0]}, {attrs['dim']}, {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        x, idx = ctx.types[a[0]], ctx.types[a[1]]
        axis = norm_dim(attrs["dim"], x.rank)
        data = a[0]
        if any(i < s for d, (i, s) in enumerate(zip(idx.shape, x.shape)) if d != axis):
            # ONNX leaves an index smaller than the data off the axis unsaid, and the reference
            # evaluator rejects it: cut the data down to the part torch reads
            ends = [s if d == axis else i for d, (i, s) in enumerate(zip(idx.shape, x.shape))]
            data = ctx.node("Slice", [data, ctx.ints([0] * x.rank), ctx.ints(ends)])[0]
        # a non-negative axis: the reference evaluator's GatherElements slices shapes wrongly
        # for a negative one (onnx 1.23)
        ctx.node("GatherElements", [data, a[1]], outs, axis=axis)


class TakeAlongDim(Gather):
    """torch.take_along_dim(x, index, dim): like gather, but the index broadcasts against x
    off dim (its size there is x's or 1)."""

    name, onnx_ops = "take_along_dim", ("GatherElements", "Expand")

    def draw_operands(self, b, x, note):
        c = b.choices
        shape = x.type.shape
        note.dim = d = c.integer(0, len(shape) - 1)
        ishape = [c.integer(1, 6) if i == d else (1 if c.boolean(0.4) else s) for i, s in enumerate(shape)]
        return [x, index_operand(b, ishape, 0, shape[d] - 1)]

    def draw_attrs(self, b, types, note):
        return {"dim": neg(b, note.dim, types[0].rank)}

    def infer(self, types, attrs):
        x, idx = types
        d = norm_dim(attrs["dim"], x.rank)
        return [x.with_shape(tuple(idx.shape[i] if i == d else x.shape[i] for i in range(x.rank)))]

    def torch(self, ctx, attrs, a):
        return f"torch.take_along_dim({a[0]}, {a[1]}, dim={attrs['dim']})"

    def onnx(self, ctx, attrs, a, outs):
        out = ctx.types[outs[0]]
        idx = ctx.node("Expand", [a[1], ctx.ints(out.shape)])[0]
        ctx.node("GatherElements", [a[0], idx], outs, axis=norm_dim(attrs["dim"], out.rank))


class IndexSelect(DrawsWithNotes, OpSpec):
    """torch.index_select(x, dim, index) with a 1-D index (repeats allowed)."""

    name, onnx_ops = "index_select", ("Gather",)
    dtypes = ALL
    min_rank = 1

    def draw_operands(self, b, x, note):
        c = b.choices
        note.dim = d = c.integer(0, x.type.rank - 1)
        return [x, index_operand(b, [c.integer(1, 6)], 0, x.type.shape[d] - 1)]

    def draw_attrs(self, b, types, note):
        return {"dim": neg(b, note.dim, types[0].rank)}

    def infer(self, types, attrs):
        x, idx = types
        d = norm_dim(attrs["dim"], x.rank)
        return [x.with_shape(x.shape[:d] + idx.shape + x.shape[d + 1:])]

    def torch(self, ctx, attrs, a):
        return f"torch.index_select({a[0]}, {attrs['dim']}, {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Gather", a, outs, axis=int(attrs["dim"]))


class Embedding(OpSpec):
    """F.embedding(index, table): the primary operand is the (num, dim) table; the int64
    index (any shape up to rank 3) lies in [0, num-1]. padding_idx changes gradients only,
    so it appears just as a spelling."""

    name, onnx_ops = "embedding", ("Gather",)
    dtypes = frozenset(FLOATS)
    min_rank = max_rank = 2

    def operands(self, b, x):
        c = b.choices
        shape = [c.integer(1, 5) for _ in range(c.integer(0, 3))]
        return [x, index_operand(b, shape, 0, x.type.shape[0] - 1)]

    def sample_attrs(self, b, types):
        num = types[0].shape[0]
        return {"padding_idx": b.choices.integer(-num, num - 1)} if b.choices.boolean(0.3) else {}

    def infer(self, types, attrs):
        table, idx = types
        return [table.with_shape(idx.shape + table.shape[1:])]

    def torch(self, ctx, attrs, a):
        kw = f", padding_idx={attrs['padding_idx']}" if "padding_idx" in attrs else ""
        return f"F.embedding({a[1]}, {a[0]}{kw})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Gather", [a[0], a[1]], outs, axis=0)


class Scatter(DrawsWithNotes, OpSpec):
    """torch.scatter(x, dim, index, src) or scatter(x, dim, index, value=scalar).

    Every written slot gets one write (distinct indices along dim), so the result is unique.
    """

    name, onnx_ops = "scatter", ("ScatterElements",)
    dtypes = ALL
    min_rank = 1

    def index_shape(self, b, shape, d):
        c = b.choices
        return [c.integer(1, s) for s in shape]

    def draw_index(self, b, ishape, d, n):
        return distinct_along(b, ishape, d, n)

    def draw_operands(self, b, x, note):
        c = b.choices
        shape = x.type.shape
        note.dim = d = c.integer(0, len(shape) - 1)
        ishape = self.index_shape(b, shape, d)
        idx = self.draw_index(b, ishape, d, shape[d])
        if self.name == "scatter" and c.boolean(0.3):
            return [x, idx]  # the scalar value form
        # src may be larger than the index; only its leading index-shaped block is read
        sshape = [i if c.boolean(0.7) else max(i, s) for i, s in zip(ishape, shape)]
        return [x, idx, b.operand(TensorType(x.type.dtype, sshape))]

    def draw_attrs(self, b, types, note):
        attrs = {"dim": neg(b, note.dim, types[0].rank)}
        if len(types) == 2:
            dt = types[0].dtype
            attrs["value"] = (b.choices.boolean(0.5) if dt == DType.bool
                              else b.choices.integer(0 if dt == DType.uint8 else -3, 3) if dt.is_int else b.choices.choice([-1.5, 0.0, 2.25]))
        return attrs

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        src = a[2] if len(a) == 3 else f"value={py(attrs['value'])}"
        return f"torch.scatter({a[0]}, {attrs['dim']}, {a[1]}, {src})"

    def updates(self, ctx, attrs, a) -> str:
        """The updates tensor ONNX wants: exactly the index's shape."""
        ishape = ctx.types[a[1]].shape
        dtype = ctx.types[a[0]].dtype
        if len(a) == 2:
            return ctx.node("Expand", [ctx.scalar(attrs["value"], dtype), ctx.ints(ishape)])[0]
        if ctx.types[a[2]].shape == ishape:
            return a[2]
        n = len(ishape)
        return ctx.node("Slice", [a[2], ctx.ints([0] * n), ctx.ints(ishape), ctx.ints(range(n))])[0]

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("ScatterElements", [a[0], a[1], self.updates(ctx, attrs, a)], outs, axis=int(attrs["dim"]))


class ScatterAdd(Scatter):
    """torch.scatter_add(x, dim, index, src): duplicates allowed, they add up."""

    name, onnx_ops = "scatter_add", ("ScatterElements",)
    dtypes = NUMERIC
    min_opset = 16  # ScatterElements reduction

    def index_shape(self, b, shape, d):
        c = b.choices
        return [c.integer(1, 6) if i == d else c.integer(1, s) for i, s in enumerate(shape)]

    def draw_index(self, b, ishape, d, n):
        return index_operand(b, ishape, 0, n - 1)

    def torch(self, ctx, attrs, a):
        return f"torch.scatter_add({a[0]}, {attrs['dim']}, {a[1]}, {a[2]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("ScatterElements", [a[0], a[1], self.updates(ctx, attrs, a)], outs,
                 axis=int(attrs["dim"]), reduction="add")


#: torch reduce name -> (ONNX reduction, the identity include_self=False starts from)
REDUCE = {"sum": ("add", 0), "prod": ("mul", 1), "amax": ("max", -np.inf), "amin": ("min", np.inf)}


class ScatterReduce(ScatterAdd):
    """torch.scatter_reduce(x, dim, index, src, reduce, include_self) for the order-free
    reductions sum/prod/amax/amin, duplicates allowed."""

    name, onnx_ops = "scatter_reduce", ("ScatterElements",)
    min_opset = 18  # ScatterElements max/min

    def draw_attrs(self, b, types, note):
        attrs = super().draw_attrs(b, types, note)
        attrs["reduce"] = b.choices.choice(sorted(REDUCE))
        attrs["include_self"] = b.choices.boolean(0.6)
        return attrs

    def torch(self, ctx, attrs, a):
        return (f"torch.scatter_reduce({a[0]}, {attrs['dim']}, {a[1]}, {a[2]}, "
                f"reduce={attrs['reduce']!r}, include_self={attrs['include_self']!r})")

    def onnx(self, ctx, attrs, a, outs):
        op, identity = REDUCE[attrs["reduce"]]
        x, dtype = a[0], ctx.types[a[0]].dtype
        axis = int(attrs["dim"])
        if not attrs["include_self"]:
            # the written slots start from the reduction's identity instead of x's values
            if not dtype.is_float and not np.isfinite(identity):
                info = np.iinfo(dtype.numpy)
                identity = info.min if identity < 0 else info.max
            fill = ctx.node("Expand", [ctx.scalar(identity, dtype), ctx.ints(ctx.types[a[1]].shape)])[0]
            x = ctx.node("ScatterElements", [x, a[1], fill], axis=axis)[0]
        ctx.node("ScatterElements", [x, a[1], self.updates(ctx, attrs, a)], outs, axis=axis, reduction=op)


class IndexPut(DrawsWithNotes, OpSpec):
    """x.index_put((index,), values, accumulate): rows of dim 0 replaced (distinct rows) or
    accumulated into (repeats allowed); values broadcast to (len(index),) + x.shape[1:]."""

    name, onnx_ops = "index_put", ("ScatterND",)
    dtypes = NUMERIC
    min_rank = 1
    min_opset = 16  # ScatterND reduction, for accumulate

    def draw_operands(self, b, x, note):
        c = b.choices
        shape = x.type.shape
        note.acc = acc = c.boolean(0.5)
        k = c.integer(1, 6 if acc else shape[0])
        if acc:
            idx = index_operand(b, [k], -shape[0] if c.boolean(0.3) else 0, shape[0] - 1)
        else:
            idx = distinct_along(b, [k], 0, shape[0])
        full = (k,) + shape[1:]
        vshape = full[c.integer(0, len(full)):] if c.boolean(0.3) else full
        return [x, idx, b.operand(TensorType(x.type.dtype, vshape))]

    def draw_attrs(self, b, types, note):
        return {"accumulate": note.acc}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        return f"{a[0]}.index_put(({a[1]},), {a[2]}, accumulate={attrs['accumulate']!r})"

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        k = ctx.types[a[1]].shape[0]
        # ScatterND does not promise negative indices; torch counts them from the end
        n = ctx.scalar(x.shape[0], DType.int64)
        idx = ctx.node("Mod", [ctx.node("Add", [a[1], n])[0], n])[0]
        idx = ctx.node("Unsqueeze", [idx, ctx.ints([1])])[0]
        v = ctx.node("Expand", [a[2], ctx.ints((k,) + x.shape[1:])])[0]
        ctx.node("ScatterND", [a[0], idx, v], outs, reduction="add" if attrs["accumulate"] else None)


class GatherND(OpSpec):
    """Advanced indexing x[i0] or x[i0, i1] with int64 index tensors (negative allowed) that
    broadcast against each other; the result is their broadcast shape + the untouched dims."""

    name, onnx_ops = "gather_nd", ("GatherND", "Gather")
    dtypes = ALL
    min_rank = 1

    def operands(self, b, x):
        c = b.choices
        shape = x.type.shape
        k = c.integer(1, min(2, len(shape)))
        ishape = tuple(c.integer(1, 4) for _ in range(c.integer(1, 2)))
        idx = []
        for i in range(k):
            s = ishape if i == 0 else broadcast_partner(b, ishape)
            lo = -shape[i] if c.boolean(0.3) else 0
            idx.append(index_operand(b, s, lo, shape[i] - 1))
        return [x, *idx]

    def infer(self, types, attrs):
        x, idx = types[0], types[1:]
        shape = np.broadcast_shapes(*(t.shape for t in idx))
        return [x.with_shape(tuple(shape) + x.shape[len(idx):])]

    def torch(self, ctx, attrs, a):
        return f"{a[0]}[{', '.join(a[1:])}]"

    def onnx(self, ctx, attrs, a, outs):
        if len(a) == 2:
            ctx.node("Gather", a, outs, axis=0)
            return
        out = ctx.types[outs[0]]
        bshape = out.shape[:out.rank - (ctx.types[a[0]].rank - 2)]
        parts = [ctx.node("Unsqueeze", [ctx.node("Expand", [i, ctx.ints(bshape)])[0], ctx.ints([-1])])[0]
                 for i in a[1:]]
        ctx.node("GatherND", [a[0], ctx.node("Concat", parts, axis=-1)[0]], outs)


class MaskedFill(OpSpec):
    """x.masked_fill(mask, value) / torch.masked_fill with a bool mask broadcasting to x."""

    name, onnx_ops = "masked_fill", ("Where",)
    dtypes = ALL

    def operands(self, b, x):
        # the mask broadcasts to x, never x to the mask: widened dims are cut back to 1
        shape = broadcast_partner(b, x.type.shape)
        shape = tuple(1 if s != t else s for s, t in zip(shape, x.type.shape[x.type.rank - len(shape):]))
        return [x, b.operand(TensorType(DType.bool, shape))]

    def sample_attrs(self, b, types):
        dt, c = types[0].dtype, b.choices
        value = c.boolean(0.5) if dt == DType.bool else c.integer(0 if dt == DType.uint8 else -5, 5) if dt.is_int else c.choice([-1e4, -0.5, 0.0, 3.0])
        return {"value": value, "method": c.boolean(0.5)}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        if attrs.get("method"):
            return f"{a[0]}.masked_fill({a[1]}, {py(attrs['value'])})"
        return f"torch.masked_fill({a[0]}, {a[1]}, {py(attrs['value'])})"

    def onnx(self, ctx, attrs, a, outs):
        # Where takes bfloat16 only from opset 16: ctx.widen computes older ones in float32
        ctx.widen("Where", [a[1], Lit(attrs["value"]), a[0]], outs, ctx.types[a[0]].dtype, keep=(0,), index=1)
