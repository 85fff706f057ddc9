"""ONNX-only indexing and layout ops: Size, Shape (start/end), EyeLike, Trilu, Tile, Expand
(bidirectional), DepthToSpace/SpaceToDepth, ReverseSequence, OneHot, Range, Pad,
GatherElements, Compress, GatherND (batch_dims).

Index operands are constants drawn in range when the build happens, so every
model is valid by construction and every output shape is static. Where a torch
truth needs the operand's static shape, the spec records it in its attributes.
"""
from __future__ import annotations

import math

import numpy as np

from fuzzer.choices import rng_for
from fuzzer.errors import Rejected
from fuzzer.ir import DType, TensorType, broadcast_shapes
from fuzzer.ops.base import OpSpec, py, same_type
from fuzzer.ops.dtypes import ALL_BUT_INT16, ALL_BUT_INT16_AND_BFLOAT16
from fuzzer.ops.onnx_math import axis_of



def _as_vector(ctx, name: str) -> str:
    """A 0-d value as a (1,) vector, for ONNX ops whose input must have rank >= 1 (its type is
    recorded, for ctx.widen's dtype lookup)."""
    vec = ctx.node("Unsqueeze", [name, ctx.ints([0])])[0]
    ctx.types[vec] = ctx.types[name].with_shape((1,))
    return vec


def _nd(ctx, t_name: str) -> str:
    return ctx.dtype(ctx.types[t_name].dtype)


class IndexOp(OpSpec):
    exportable = False
    dtypes = ALL_BUT_INT16


class Size(IndexOp):
    name, onnx_ops = "Size", ("Size",)

    def infer(self, types, attrs):
        return [TensorType(DType.int64, ())]

    def torch(self, ctx, attrs, a):
        return f"torch.tensor({a[0]}.numel(), dtype=torch.int64)"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Size", a, outs)


class Shape(IndexOp):
    """The int64 shape, or a slice of it (start/end, negative or out of range, since opset 15;
    Shape then Slice before that)."""

    name, onnx_ops, min_rank = "Shape", ("Shape", "Slice"), 1

    def sample_attrs(self, b, types):
        c = b.choices
        r = types[0].rank
        if c.boolean(0.3):
            return {}
        s = c.integer(0, r - 1)
        e = c.integer(s + 1, r)
        start = s - r if c.boolean(0.3) else s
        end = c.choice([e, e - r if e < r else r + 2])
        return {"start": start, "end": end}

    def infer(self, types, attrs):
        r = types[0].rank
        n = len(range(r)[slice(attrs.get("start"), attrs.get("end"))])
        return [TensorType(DType.int64, (n,))]

    def torch(self, ctx, attrs, a):
        return f"torch.tensor({a[0]}.shape[{attrs.get('start', '')}:{attrs.get('end', '')}], dtype=torch.int64)"

    def onnx(self, ctx, attrs, a, outs):
        if not attrs or ctx.opset >= 15:
            ctx.node("Shape", a, outs, start=attrs.get("start"), end=attrs.get("end"))
            return
        full = ctx.node("Shape", a)[0]
        end = attrs.get("end", 2**62)
        ctx.node("Slice", [full, ctx.ints([attrs.get("start", 0)]), ctx.ints([end])], outs)


class EyeLike(IndexOp):
    """Ones on diagonal k of a 2-D tensor's shape, in the input's dtype or `dtype`."""

    name, onnx_ops, min_rank, max_rank = "EyeLike", ("EyeLike",), 2, 2
    dtypes = ALL_BUT_INT16_AND_BFLOAT16  # bfloat16 only since opset 22

    def sample_attrs(self, b, types):
        c = b.choices
        n, m = types[0].shape
        attrs = {"k": c.integer(-n + 1, m - 1) if c.boolean(0.7) else c.choice([-n - 1, m + 1])}
        if c.boolean(0.5):
            attrs["dtype"] = c.choice(sorted(b.config.dtypes & ALL_BUT_INT16_AND_BFLOAT16, key=str) or [DType.float32])
        return attrs

    def infer(self, types, attrs):
        return [types[0].with_dtype(attrs.get("dtype", types[0].dtype))]

    def torch(self, ctx, attrs, a):
        x, k = a[0], attrs["k"]
        dt = ctx.dtype(attrs["dtype"]) if "dtype" in attrs else f"{x}.dtype"
        return f"torch.ones({x}.shape, dtype=torch.int64).triu({k}).tril({k}).to({dt})"

    def onnx(self, ctx, attrs, a, outs):
        dt = ctx.elem(attrs["dtype"]) if "dtype" in attrs else None
        ctx.node("EyeLike", a, outs, k=attrs["k"], dtype=dt)


class Trilu(IndexOp):
    """Upper (triu) or lower (tril) triangle of the trailing matrices; k an optional input."""

    name, onnx_ops, min_rank, min_opset = "Trilu", ("Trilu",), 2, 14

    def sample_attrs(self, b, types):
        c = b.choices
        n, m = types[0].shape[-2:]
        k = c.integer(-n, m) if c.boolean(0.7) else None
        return {"upper": c.integer(0, 1), "k": k}

    infer = staticmethod(same_type)

    def torch(self, ctx, attrs, a):
        fn = "triu" if attrs["upper"] else "tril"
        return f"torch.{fn}({a[0]}, {attrs['k'] or 0})"

    def onnx(self, ctx, attrs, a, outs):
        args = list(a) + ([ctx.scalar(attrs["k"], DType.int64)] if attrs["k"] is not None else [])
        ctx.node("Trilu", args, outs, upper=attrs["upper"])


class Tile(IndexOp):
    name, onnx_ops, min_rank = "onnx.Tile", ("Tile",), 1

    def sample_attrs(self, b, types):
        c = b.choices
        return {"repeats": [c.choice([1, 1, 2, 3]) for _ in types[0].shape]}

    def infer(self, types, attrs):
        return [types[0].with_shape(tuple(s * r for s, r in zip(types[0].shape, attrs["repeats"])))]

    def torch(self, ctx, attrs, a):
        return f"{a[0]}.repeat({py(tuple(attrs['repeats']))})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Tile", [a[0], ctx.ints(attrs["repeats"])], outs)


class Expand(IndexOp):
    """Bidirectional broadcast to `shape`: unlike torch's expand, a 1 in shape keeps x's dim."""

    name, onnx_ops, max_rank = "onnx.Expand", ("Expand",), 4

    def sample_attrs(self, b, types):
        c = b.choices
        x = types[0]
        lead = [c.integer(1, 3) for _ in range(c.integer(0, 1))]
        body = [c.choice([1, 1, s]) if s > 1 else c.choice([1, 2, 3]) for s in x.shape]
        shape = lead + body
        if len(shape) > x.rank and c.boolean(0.2):  # shape may also be shorter than x's rank
            shape = body[1:]
        return {"shape": shape}

    def infer(self, types, attrs):
        return [types[0].with_shape(broadcast_shapes(types[0].shape, tuple(attrs["shape"])))]

    def torch(self, ctx, attrs, a):
        return f"torch.broadcast_to({a[0]}, torch.broadcast_shapes({a[0]}.shape, {py(tuple(attrs['shape']))}))"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Expand", [a[0], ctx.ints(attrs["shape"])], outs)


class DepthToSpace(IndexOp):
    """(N, C, H, W) -> (N, C/b^2, H*b, W*b). DCR takes the block from the channel's high
    part (depth, column, row); CRD from its low part (pixel_shuffle's order)."""

    name, onnx_ops, min_rank, max_rank = "DepthToSpace", ("DepthToSpace",), 4, 4

    def sample_attrs(self, b, types):
        c = types[0].shape[1]
        blocks = [k for k in (1, 2, 3) if c % (k * k) == 0]
        return {"blocksize": b.choices.choice(blocks), "mode": b.choices.choice(["DCR", "CRD"])}

    def infer(self, types, attrs):
        n, c, h, w = types[0].shape
        k = attrs["blocksize"]
        return [types[0].with_shape((n, c // (k * k), h * k, w * k))]

    def torch(self, ctx, attrs, a):
        x, k = a[0], attrs["blocksize"]
        n, c, h, w = (f"{x}.shape[{i}]" for i in range(4))
        if attrs["mode"] == "DCR":
            return (f"{x}.reshape({n}, {k}, {k}, {c} // {k * k}, {h}, {w}).permute(0, 3, 4, 1, 5, 2)"
                    f".reshape({n}, {c} // {k * k}, {h} * {k}, {w} * {k})")
        return (f"{x}.reshape({n}, {c} // {k * k}, {k}, {k}, {h}, {w}).permute(0, 1, 4, 2, 5, 3)"
                f".reshape({n}, {c} // {k * k}, {h} * {k}, {w} * {k})")

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("DepthToSpace", a, outs, blocksize=attrs["blocksize"], mode=attrs["mode"])


class SpaceToDepth(IndexOp):
    name, onnx_ops, min_rank, max_rank = "SpaceToDepth", ("SpaceToDepth",), 4, 4

    def sample_attrs(self, b, types):
        _, _, h, w = types[0].shape
        return {"blocksize": b.choices.choice([k for k in (1, 2, 3) if h % k == 0 and w % k == 0])}

    def infer(self, types, attrs):
        n, c, h, w = types[0].shape
        k = attrs["blocksize"]
        return [types[0].with_shape((n, c * k * k, h // k, w // k))]

    def torch(self, ctx, attrs, a):
        x, k = a[0], attrs["blocksize"]
        n, c, h, w = (f"{x}.shape[{i}]" for i in range(4))
        return (f"{x}.reshape({n}, {c}, {h} // {k}, {k}, {w} // {k}, {k}).permute(0, 3, 5, 1, 2, 4)"
                f".reshape({n}, {c} * {k * k}, {h} // {k}, {w} // {k})")

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("SpaceToDepth", a, outs, blocksize=attrs["blocksize"])


class ReverseSequence(IndexOp):
    """Reverse the first sequence_lens[i] steps along time_axis of batch i (axes 0 and 1)."""

    name, onnx_ops, min_rank = "ReverseSequence", ("ReverseSequence",), 2

    def operands(self, b, x):
        c = b.choices
        time_axis = c.integer(0, 1)
        batch, steps = x.type.shape[1 - time_axis], x.type.shape[time_axis]
        lens = b.int_const([c.integer(1, steps) for _ in range(batch)], DType.int64)
        return [x, lens]

    def sample_attrs(self, b, types):
        # the lengths were drawn for one of the two layouts: recover which from their count
        x, lens = types
        if x.shape[0] == x.shape[1]:
            time_axis = b.choices.integer(0, 1)
        else:
            time_axis = 0 if lens.shape[0] == x.shape[1] else 1
        return {"time_axis": time_axis, "batch_axis": 1 - time_axis}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        x, lens, t = a[0], a[1], attrs["time_axis"]
        xt = f"{x}.movedim(({t}, {1 - t}), (0, 1))"
        steps = f"torch.arange({x}.shape[{t}]).unsqueeze(1)"
        idx = f"torch.where({steps} < {lens}, {lens} - 1 - {steps}, {steps})"
        return (f"(lambda y, i: torch.gather(y, 0, i.reshape(i.shape + (1,) * (y.dim() - 2)).expand(y.shape))"
                f".movedim((0, 1), ({t}, {1 - t})))({xt}, {idx})")

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("ReverseSequence", a, outs, keep=(1,), time_axis=attrs["time_axis"], batch_axis=attrs["batch_axis"])


class OneHot(IndexOp):
    """[off, on] at a new axis; indices may be negative (counted from depth) or out of range
    (all off), both defined by ONNX."""

    name, onnx_ops, max_rank = "OneHot", ("OneHot",), 3
    dtypes = frozenset({DType.int8, DType.uint8, DType.int32, DType.int64})

    def operands(self, b, x):
        c = b.choices
        vdtype = c.choice(sorted(b.config.dtypes & ALL_BUT_INT16_AND_BFLOAT16, key=str) or [DType.float32])
        values = b.const(TensorType(vdtype, (2,)))
        return [x, values]

    def sample_attrs(self, b, types):
        r = types[0].rank + 1
        return {"depth": b.choices.integer(1, 8), "axis": b.choices.integer(-r, r - 1)}

    def infer(self, types, attrs):
        s = list(types[0].shape)
        axis = attrs["axis"] % (len(s) + 1)
        return [TensorType(types[1].dtype, tuple(s[:axis] + [attrs["depth"]] + s[axis:]))]

    def torch(self, ctx, attrs, a):
        x, v, d = a[0], a[1], attrs["depth"]
        i = f"{x}.long()"
        hit = f"(({i} % {d}).unsqueeze(-1) == torch.arange({d})) & (({i} >= -{d}) & ({i} < {d})).unsqueeze(-1)"
        return f"torch.where({hit}, {v}[1], {v}[0]).movedim(-1, {attrs['axis']})"

    def onnx(self, ctx, attrs, a, outs):
        depth = ctx.scalar(attrs["depth"], DType.int64)
        if ctx.types[a[0]].rank == 0:
            # ONNX wants indices of rank >= 1; a scalar's one-hot is the (depth,) row whatever
            # the axis, so one-hot a (1,) vector along its last axis and drop the leading 1
            hot = ctx.node("OneHot", [_as_vector(ctx, a[0]), depth, a[1]], 1, axis=-1)[0]
            ctx.node("Squeeze", [hot, ctx.ints([0])], outs)
            return
        ctx.node("OneHot", [a[0], depth, a[1]], outs, axis=attrs["axis"])


class Range(IndexOp):
    """x + Range(start, limit, delta) over constant scalars whose length is x's; the limit sits
    half a step past the last element, so rounding cannot change the count."""

    name, onnx_ops, min_rank, max_rank = "Range", ("Range", "Add"), 1, 1
    dtypes = frozenset({DType.float32, DType.float64, DType.int32, DType.int64})

    def sample_attrs(self, b, types):
        c = b.choices
        n = types[0].shape[0]
        if types[0].dtype.is_float:
            start, delta = c.choice([0.0, -1.5, 2.25]), c.choice([1.0, 0.5, -0.25, -2.0])
            return {"start": start, "delta": delta, "limit": start + delta * (n - 0.5)}
        start, delta = c.integer(-4, 4), c.choice([1, 2, -1, -3])
        return {"start": start, "delta": delta, "limit": start + delta * (n - 1) + (1 if delta > 0 else -1)}

    infer = staticmethod(same_type)

    def torch(self, ctx, attrs, a):
        x = a[0]
        return f"{x} + torch.arange({py(attrs['start'])}, {py(attrs['limit'])}, {py(attrs['delta'])}, dtype={x}.dtype)"

    def onnx(self, ctx, attrs, a, outs):
        dt = ctx.types[a[0]].dtype
        r = ctx.node("Range", [ctx.scalar(attrs[k], dt) for k in ("start", "limit", "delta")])[0]
        ctx.node("Add", [a[0], r], outs)


class Pad(IndexOp):
    """constant (optional value), reflect or edge padding, pads possibly negative (cropping),
    over all axes or (opset >= 18) an axes input, possibly negative and unordered."""

    name, onnx_ops, min_rank = "onnx.Pad", ("Pad",), 1

    def sample_attrs(self, b, types):
        c = b.choices
        x = types[0]
        mode = c.choice(["constant", "constant", "reflect", "edge"])
        if mode != "constant" and x.dtype == DType.bool:
            mode = "constant"
        axes = sorted({c.integer(0, x.rank - 1) for _ in range(c.integer(1, x.rank))})
        pads = {}
        for d in axes:
            n = x.shape[d]
            hi = n - 1 if mode == "reflect" else 3
            begin = c.integer(-(n - 1) // 2, hi)
            end = c.integer(-(n - 1 - max(0, -begin)) // 2 if n > 1 else 0, hi)
            if mode == "reflect" and n == 1:
                begin = end = 0
            if mode == "reflect" and min(begin, end) < 0:
                # ONNX leaves open whether a crop at one end comes before the reflection at the
                # other (onnxruntime crops first): both readings agree only while the reflected
                # pad fits in what the crop leaves
                room = n - 1 + min(begin, end)
                begin, end = min(begin, room), min(end, room)
            pads[d] = (begin, end)
        attrs = {"mode": mode, "pads": [[d, *pads[d]] for d in axes], "shape": list(x.shape),
                 "spell_axes": c.boolean(0.5), "negative_axes": c.boolean(0.3)}
        if mode == "constant" and c.boolean(0.6):
            attrs["value"] = (c.choice([0, 1, 5]) if x.dtype.is_int else bool(c.integer(0, 1))
                              if x.dtype == DType.bool else c.choice([0.5, -1.25, 3.0]))
        return attrs

    def infer(self, types, attrs):
        s = list(types[0].shape)
        for d, begin, end in attrs["pads"]:
            s[d] += begin + end
        if min(s) < 1:
            raise Rejected("Pad: a dim cropped away")
        return [types[0].with_shape(tuple(s))]

    def torch(self, ctx, attrs, a):
        expr = a[0]
        for d, begin, end in attrs["pads"]:
            n = attrs["shape"][d]
            pos = np.arange(-begin, n + end)
            if attrs["mode"] == "constant":
                # out of range picks a sentinel row appended at the end: the pad value
                idx = np.where((pos >= 0) & (pos < n), pos, n).tolist()
                value = attrs.get("value", 0)
                fill = f"torch.full_like({expr}.narrow({d}, 0, 1), {py(value)})"
                expr = f"torch.cat([{expr}, {fill}], {d}).index_select({d}, torch.tensor({idx}))"
                continue
            if attrs["mode"] == "edge":
                idx = np.clip(pos, 0, n - 1)
            else:  # reflect about the edge elements, without repeating them
                period = 2 * (n - 1)
                m = np.mod(pos, period)
                idx = np.where(m < n, m, period - m)
            expr = f"{expr}.index_select({d}, torch.tensor({idx.tolist()}))"
        return expr

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        by_axis = {d: (bgn, end) for d, bgn, end in attrs["pads"]}
        if attrs["spell_axes"] and ctx.opset >= 18:
            axes = [d - x.rank if attrs["negative_axes"] else d for d in by_axis]
            pads = [by_axis[d][0] for d in by_axis] + [by_axis[d][1] for d in by_axis]
            extra = [ctx.ints(axes)]
        else:
            pads = [by_axis.get(d, (0, 0))[0] for d in range(x.rank)] + [by_axis.get(d, (0, 0))[1] for d in range(x.rank)]
            extra = []
        value = ctx.scalar(attrs["value"], x.dtype) if "value" in attrs else ("" if extra else None)
        args = [a[0], ctx.ints(pads)] + ([value] if value is not None else []) + extra
        ctx.widen("Pad", args, outs, keep=(1, 3) if "value" in attrs else (1, 2, 3), mode=attrs["mode"])


class GatherElements(IndexOp):
    """out[i][j] = x[idx[i][j]][j] along axis (for axis 0); int32 or int64 indices, possibly
    negative, of x's rank with no dim larger than x's. The indices lie in range for every
    axis, so the axis is drawn after them."""

    name, onnx_ops, min_rank = "GatherElements", ("GatherElements",), 1

    def operands(self, b, x):
        c = b.choices
        m = min(x.type.shape)
        shape = [c.integer(1, s) for s in x.type.shape]
        idx = rng_for(c).integers(-m, m, size=shape)
        return [x, b.int_const(idx, c.choice([DType.int64, DType.int32]))]

    def sample_attrs(self, b, types):
        return {"axis": axis_of(b, types[0].rank)}

    def infer(self, types, attrs):
        return [types[1].with_dtype(types[0].dtype)]

    def torch(self, ctx, attrs, a):
        x, i, d = a[0], a[1], attrs["axis"]
        return f"torch.gather({x}, {d}, {i}.long() % {x}.shape[{d}])"

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("GatherElements", a, outs, keep=(1,), axis=attrs["axis"])


class Compress(IndexOp):
    """The slices along axis (or elements of the flattened x) where a constant bool condition
    is True; the condition may be shorter than the axis."""

    name, onnx_ops = "Compress", ("Compress",)

    def operands(self, b, x):
        c = b.choices
        length = c.integer(1, max(x.type.shape, default=1))
        # exactly (length + 1) // 2 Trues, at random places: infer() sees only the types
        picks = list(range(length))
        cond = [False] * length
        for _ in range((length + 1) // 2):
            cond[picks.pop(c.integer(0, len(picks) - 1))] = True
        return [x, b.int_const(cond, DType.bool)]

    def sample_attrs(self, b, types):
        x, cond = types
        fits = [d for d in range(x.rank) if x.shape[d] >= cond.shape[0]]
        if not fits or b.choices.boolean(0.3):
            return {"axis": None}
        return {"axis": axis_of(b, x.rank) if len(fits) == x.rank else b.choices.choice(fits)}

    def infer(self, types, attrs):
        x, cond = types
        kept = (cond.shape[0] + 1) // 2
        if attrs["axis"] is None:
            return [x.with_shape((kept,))]
        s = list(x.shape)
        s[attrs["axis"] % x.rank] = kept
        return [x.with_shape(tuple(s))]

    def torch(self, ctx, attrs, a):
        x, cond, d = a[0], a[1], attrs["axis"]
        src = f"{x}.flatten()" if d is None else x
        return f"{src}.index_select({0 if d is None else d}, torch.nonzero({cond}).flatten())"

    def onnx(self, ctx, attrs, a, outs):
        x = a[0]
        if ctx.types[x].rank == 0:
            # ONNX wants an input of rank >= 1; a scalar has no axis to compress along (the axis
            # is None), and its flattening is the (1,) vector itself
            x = _as_vector(ctx, x)
        ctx.widen("Compress", [x, a[1]], outs, keep=(1,), axis=attrs["axis"])
