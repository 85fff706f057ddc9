"""Assorted torch ops with a clear ONNX counterpart: triu/tril, one_hot, repeat, roll,
grid_sample, softmin.

Each is spelled the way models write it, so TorchScript and dynamo choose the ONNX
form (Trilu, OneHot, Tile, Slice/Concat, GridSample, Softmax of Neg); the `onnx`
lowerings build the same semantics directly, valid from opset 13 (grid_sample
from 20, see GridSample.min_opset).
"""
from __future__ import annotations

import numpy as np

from fuzzer.ir import FLOATS, DType, TensorType
from fuzzer.ops.base import OpSpec, norm_dim, py, same_type
from fuzzer.ops.dtypes import ALL
from fuzzer.ops.lowering import Lit, cast, close, compute_dtype, reduce, target, unsqueeze
from fuzzer.ops.softmax import SoftmaxLike, tf_softmax



class Triu(OpSpec):
    """torch.triu(x, diagonal=k) over the trailing two dims; k may lie outside the matrix."""

    name, fn, upper, onnx_ops = "triu", "torch.triu", 1, ("Trilu",)
    dtypes, min_rank = ALL, 2
    infer = staticmethod(same_type)

    def sample_attrs(self, b, types):
        n, m = types[0].shape[-2:]
        c = b.choices
        return {"diagonal": c.integer(-n - 1, m + 1)} if c.boolean(0.7) else {}

    def torch(self, ctx, attrs, a):
        return f"{self.fn}({a[0]}, diagonal={attrs.get('diagonal', 0)})"

    def onnx(self, ctx, attrs, a, outs):
        k = attrs.get("diagonal", 0)
        if ctx.opset >= 14:
            ctx.node("Trilu", [a[0], ctx.scalar(k, DType.int64)], outs, upper=self.upper)
            return
        # no Trilu before 14: keep x where a constant triangle mask holds, else 0
        n, m = ctx.types[a[0]].shape[-2:]
        tri = np.triu if self.upper else np.tril
        mask = ctx.const(tri(np.ones((n, m), dtype=bool), k), DType.bool)
        ctx.widen("Where", [mask, a[0], Lit(0)], outs, ctx.types[a[0]].dtype, keep=(0,), index=1)

    def tf(self, ctx, attrs, a, types):
        tf, (n, m) = ctx.tf, types[0].shape[-2:]
        k = int(attrs.get("diagonal", 0))
        # the kept triangle as a static mask (the shape is static); k may lie outside the matrix
        mask = np.triu(np.ones((n, m), dtype=bool), k)
        return tf.where(tf.constant(mask), a[0], tf.zeros_like(a[0]))


class Tril(Triu):
    name, fn, upper = "tril", "torch.tril", 0

    def tf(self, ctx, attrs, a, types):
        tf, (n, m) = ctx.tf, types[0].shape[-2:]
        k = int(attrs.get("diagonal", 0))
        # the kept triangle as a static mask (the shape is static); k may lie outside the matrix
        mask = np.tril(np.ones((n, m), dtype=bool), k)
        return tf.where(tf.constant(mask), a[0], tf.zeros_like(a[0]))


class OneHotT(OpSpec):
    """F.one_hot(x, num_classes) of int64 class indices in [0, 3]; int64 output, classes last."""

    name, onnx_ops = "one_hot", ("OneHot",)
    dtypes, max_rank = frozenset({DType.int64}), 3
    domain = (0, 3)

    def sample_attrs(self, b, types):
        return {"num_classes": b.choices.integer(4, 7)}

    def infer(self, types, attrs):
        return [types[0].with_shape(types[0].shape + (attrs["num_classes"],))]

    def torch(self, ctx, attrs, a):
        return f"F.one_hot({a[0]}, {attrs['num_classes']})"

    def onnx(self, ctx, attrs, a, outs):
        values = ctx.const(np.array([0, 1], dtype=np.int64))
        depth = ctx.scalar(attrs["num_classes"], DType.int64)
        if ctx.types[a[0]].rank == 0:  # OneHot wants indices of rank >= 1
            hot = ctx.node("OneHot", unsqueeze(ctx, a[0], [0]) + [depth, values], 1, axis=-1)[0]
            ctx.node("Squeeze", [hot, ctx.ints([0])], outs)
            return
        ctx.node("OneHot", [a[0], depth, values], outs, axis=-1)


class Repeat(OpSpec):
    """x.repeat(*reps); reps may be longer than x's rank (new leading dims)."""

    name, onnx_ops, dtypes, max_rank = "repeat", ("Tile", "Reshape"), ALL, 4

    def sample_attrs(self, b, types):
        c = b.choices
        extra = c.integer(0, 1) if types[0].rank < 4 else 0
        return {"repeats": [c.choice([1, 1, 2, 3]) for _ in range(types[0].rank + extra)] or [c.integer(1, 3)]}

    def infer(self, types, attrs):
        reps = attrs["repeats"]
        shape = (1,) * (len(reps) - types[0].rank) + types[0].shape
        return [types[0].with_shape(tuple(s * r for s, r in zip(shape, reps)))]

    def torch(self, ctx, attrs, a):
        return f"{a[0]}.repeat({py(tuple(attrs['repeats']))})"

    def onnx(self, ctx, attrs, a, outs):
        t, reps = ctx.types[a[0]], attrs["repeats"]
        x = a[0]
        if len(reps) > t.rank:  # Tile needs repeats of x's rank: add the leading 1s first
            x = ctx.node("Reshape", [x, ctx.ints((1,) * (len(reps) - t.rank) + t.shape)])[0]
        ctx.node("Tile", [x, ctx.ints(reps)], outs)

    def tf(self, ctx, attrs, a, types):
        tf, reps, x = ctx.tf, [int(r) for r in attrs["repeats"]], a[0]
        extra = len(reps) - types[0].rank
        if extra:  # x.repeat prepends size-1 dims for the extra repeats
            x = tf.reshape(x, [1] * extra + list(types[0].shape))
        return tf.tile(x, reps)


class Roll(OpSpec):
    """torch.roll(x, shifts, dims) along one or more dims; shifts may be negative or exceed the dim."""

    name, onnx_ops, dtypes, min_rank = "roll", ("Slice", "Concat"), ALL, 1
    infer = staticmethod(same_type)

    def sample_attrs(self, b, types):
        c = b.choices
        rank = types[0].rank
        dims = sorted({c.integer(0, rank - 1) for _ in range(c.integer(1, min(rank, 2)))})
        dims = [d - rank if c.boolean(0.3) else d for d in dims]
        return {"shifts": [c.integer(-5, 5) for _ in dims], "dims": dims}

    def torch(self, ctx, attrs, a):
        return f"torch.roll({a[0]}, shifts={py(tuple(attrs['shifts']))}, dims={py(tuple(attrs['dims']))})"

    def onnx(self, ctx, attrs, a, outs):
        t = ctx.types[a[0]]
        x = a[0]
        for shift, d in zip(attrs["shifts"], attrs["dims"]):
            n = t.shape[d]
            s = shift % n
            if s == 0:
                continue
            # the last s elements move to the front
            tail = ctx.node("Slice", [x, ctx.ints([n - s]), ctx.ints([n]), ctx.ints([d])])[0]
            head = ctx.node("Slice", [x, ctx.ints([0]), ctx.ints([n - s]), ctx.ints([d])])[0]
            x = ctx.node("Concat", [tail, head], axis=d)[0]
        ctx.node("Identity", [x], outs)

    def tf(self, ctx, attrs, a, types):
        # tf.roll has torch.roll's direction: element i moves to i + shift (mod n)
        dims = [norm_dim(d, types[0].rank) for d in attrs["dims"]]
        return ctx.tf.roll(a[0], shift=[int(v) for v in attrs["shifts"]], axis=dims)


class GridSample(OpSpec):
    """F.grid_sample of an (N, C, H, W) input at an (N, Ho, Wo, 2) grid in [-1.1, 1.1], so
    some samples fall outside and exercise padding_mode."""

    name, onnx_ops = "grid_sample", ("GridSample",)
    # float32 only: onnx's reference evaluator samples float64 inputs at float32 precision
    # (errors ~1e-6 where ORT matches torch to 1e-16), so the meta-test could not check
    # float64 lowerings; torch has no half-precision grid_sample on CPU
    dtypes, min_rank, max_rank = frozenset({DType.float32}), 4, 4
    # GridSample is in opset 16, but with the mode names bilinear/bicubic that opset 20 renamed;
    # the onnx reference evaluator knows only the new names, so the direct lowering (whose
    # values the meta-test checks with that evaluator) starts at 20. Exporters still emit 16-19.
    min_opset = 20

    def operands(self, b, x):
        c = b.choices
        n = x.type.shape[0]
        grid = b.operand(TensorType(x.type.dtype, (n, c.integer(1, 5), c.integer(1, 5), 2)), domain=(-1.1, 1.1))
        return [x, grid]

    def sample_attrs(self, b, types):
        c = b.choices
        return {"mode": c.choice(["bilinear", "nearest", "bicubic"]),
                "padding_mode": c.choice(["zeros", "border", "reflection"]),
                "align_corners": c.boolean(0.5)}

    def infer(self, types, attrs):
        x, g = types
        return [x.with_shape((x.shape[0], x.shape[1], g.shape[1], g.shape[2]))]

    def torch(self, ctx, attrs, a):
        return (f"F.grid_sample({a[0]}, {a[1]}, mode={attrs['mode']!r}, padding_mode={attrs['padding_mode']!r}, "
                f"align_corners={attrs['align_corners']!r})")

    def onnx(self, ctx, attrs, a, outs):
        mode = {"bilinear": "linear", "bicubic": "cubic"}.get(attrs["mode"], attrs["mode"])
        ctx.node("GridSample", a, outs, mode=mode, padding_mode=attrs["padding_mode"],
                 align_corners=int(attrs["align_corners"]))


class Softmin(SoftmaxLike):
    """F.softmin(x, dim[, dtype]) = softmax(-x): exported as Neg then Softmax."""

    name, fn, onnx_ops = "softmin", "F.softmin", ("Neg", "Softmax")

    def onnx(self, ctx, attrs, a, outs):
        src = ctx.types[a[0]].dtype
        dt = DType(attrs["dtype"]) if attrs.get("dtype") is not None else src
        ct = compute_dtype(ctx, dt, "Softmax", "Neg")
        x = ctx.node("Neg", [cast(ctx, a[0], src, ct)])[0]
        y = target(ctx, ct, dt, outs[0])
        if ctx.types[a[0]].rank == 0:  # a 0-d tensor is one row of one element
            s = ctx.node("Softmax", unsqueeze(ctx, x, [0]), axis=0)[0]
            ctx.node("Squeeze", [s, ctx.ints([0])], [y])
        else:
            ctx.node("Softmax", [x], [y], axis=attrs["dim"])
        close(ctx, y, ct, dt, outs[0])

    def tf(self, ctx, attrs, a, types):
        return tf_softmax(self, ctx, attrs, a, types)


class TileT(Repeat):
    """torch.tile(x, dims): like repeat, but dims may also be shorter than x's rank
    (leading 1s are then implied)."""

    name, onnx_ops = "tile", ("Tile", "Reshape")
    # repeat's TF lowering takes one repeat per dim at least; tile's may be fewer: not lowered
    tf = OpSpec.tf

    def sample_attrs(self, b, types):
        c = b.choices
        rank = types[0].rank
        n = c.integer(max(rank - 1, 1), min(rank + 1, 4)) if rank < 4 else c.integer(3, 4)
        return {"repeats": [c.choice([1, 1, 2, 3]) for _ in range(n)]}

    def _full(self, rank: int, reps: list[int]) -> list[int]:
        return [1] * (rank - len(reps)) + list(reps)

    def infer(self, types, attrs):
        return super().infer(types, {"repeats": self._full(types[0].rank, attrs["repeats"])})

    def torch(self, ctx, attrs, a):
        return f"torch.tile({a[0]}, {py(tuple(attrs['repeats']))})"

    def onnx(self, ctx, attrs, a, outs):
        super().onnx(ctx, {"repeats": self._full(ctx.types[a[0]].rank, attrs["repeats"])}, a, outs)


class ChannelShuffle(OpSpec):
    """F.channel_shuffle(x, groups) of (N, C, *): channels viewed as (groups, C / groups), transposed."""

    name, onnx_ops = "channel_shuffle", ("Reshape", "Transpose")
    dtypes, min_rank, max_rank = frozenset(FLOATS), 3, 5
    infer = staticmethod(same_type)

    def accepts(self, t):
        return super().accepts(t) and t.shape[1] >= 2

    def sample_attrs(self, b, types):
        n = types[0].shape[1]
        return {"groups": b.choices.choice([g for g in range(1, n + 1) if n % g == 0])}

    def torch(self, ctx, attrs, a):
        return f"F.channel_shuffle({a[0]}, {attrs['groups']})"

    def onnx(self, ctx, attrs, a, outs):
        t, g = ctx.types[a[0]], attrs["groups"]
        n, c, rest = t.shape[0], t.shape[1], list(t.shape[2:])
        split = ctx.node("Reshape", [a[0], ctx.ints([n, g, c // g] + rest)])[0]
        perm = [0, 2, 1] + list(range(3, 3 + len(rest)))
        swapped = ctx.node("Transpose", [split], perm=perm)[0]
        ctx.node("Reshape", [swapped, ctx.ints(list(t.shape))], outs)


class CosineSimilarity(OpSpec):
    """F.cosine_similarity(x1, x2, dim): x1 . x2 / max(|x1| |x2|, eps), dim removed.

    The eps clamp only matters for near-zero vectors, where the value is ill-conditioned and
    the oracle does not judge it; away from zero every formula agrees."""

    name, onnx_ops = "cosine_similarity", ("Mul", "ReduceSum", "Sqrt", "Div")
    dtypes, min_rank = frozenset({DType.float32, DType.float64}), 1

    def operands(self, b, x):
        return [x, b.operand(x.type)]

    def sample_attrs(self, b, types):
        r = types[0].rank
        d = b.choices.integer(0, r - 1)
        return {"dim": d - r if b.choices.boolean(0.4) else d}

    def infer(self, types, attrs):
        shape = list(types[0].shape)
        del shape[attrs["dim"]]
        return [types[0].with_shape(tuple(shape))]

    def torch(self, ctx, attrs, a):
        return f"F.cosine_similarity({a[0]}, {a[1]}, dim={attrs['dim']})"

    def onnx(self, ctx, attrs, a, outs):
        x, y, d = a[0], a[1], attrs["dim"]
        dt = ctx.types[x].dtype

        def total(u, v):
            return reduce(ctx, "ReduceSum", ctx.node("Mul", [u, v])[0], [d], False)[0]

        norms = ctx.node("Mul", [total(x, x), total(y, y)])[0]
        denom = ctx.node("Sqrt", [ctx.node("Max", [norms, ctx.scalar(1e-16, dt)])[0]])[0]
        ctx.node("Div", [total(x, y), denom], outs)
