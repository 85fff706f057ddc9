"""Rewrite motifs of ONNX Runtime's graph-wide transformers: ConstantFolding, ConstantSharing,
CommonSubexpressionElimination, the TransposeOptimizer (cancellation and push-through),
GatherSliceToSplitFusion, RemoveDuplicateCastTransformer and the NCHWc layout (level 3).

The guards a draw may break are those of fuzzer.ops.motifs_ort.
"""
from __future__ import annotations

import numpy as np

from fuzzer.choices import rng_for
from fuzzer.ir import CONST, DType, TensorType, broadcast_shapes
from fuzzer.ops.base import py
from fuzzer.ops.motifs_ort import F32, ConvBase, OrtMotif, outs_of
from fuzzer.ops.motifs_ort_rules import TAILS, draw_tail, tail_src, with_tap

F64, F16, I32, I64 = DType.float64, DType.float16, DType.int32, DType.int64
NUMBERS = frozenset({F32, F64, F16, I32, I64})
SYM = {"Add": "+", "Sub": "-", "Mul": "*"}


class ConstantFold(OrtMotif):
    """x op (c1 op' c2) with c1, c2 constants of x's trailing shape: the constant subexpression is
    computed at load (ConstantFolding). Broken: c2 a graph input (input), float16 (dtype: the CPU
    provider folds no float16 node, measured)."""

    name = "motif_ort_constant_folding"
    rewrites = (("onnxruntime", "ConstantFolding"),)
    dtypes = NUMBERS
    fire_dtypes = frozenset(NUMBERS - {F16})
    guards = ("input",)

    def pattern(self, b, x, broken):
        c = b.choices
        t = TensorType(x.type.dtype, x.type.shape[x.type.rank - c.integer(0, x.type.rank):])
        c1 = b.const(t)
        c2 = b.const(t) if broken != "input" else b.new_input(t)
        return [x, c1, c2], {"inner": c.choice(list(SYM)), "outer": c.choice(["Add", "Mul", "Sub"]),
                             "swap": c.boolean(0.4)}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        k = f"({a[1]} {SYM[attrs['inner']]} {a[2]})"
        return f"({k} {SYM[attrs['outer']]} {a[0]})" if attrs["swap"] else f"({a[0]} {SYM[attrs['outer']]} {k})"

    def onnx(self, ctx, attrs, a, outs):
        k = ctx.node(attrs["inner"], a[1:], 1)[0]
        ctx.node(attrs["outer"], [k, a[0]] if attrs["swap"] else [a[0], k], outs)


class ConstantShare(OrtMotif):
    """(x + c1) * c2 with c1 and c2 two initializers of one scalar value -> one initializer
    (ConstantSharing). Broken: different values (value)."""

    name = "motif_ort_constant_sharing"
    rewrites = (("onnxruntime", "ConstantSharing"),)
    dtypes = fire_dtypes = NUMBERS
    guards = ("value",)

    def pattern(self, b, x, broken):
        c = b.choices
        v = c.choice([2, 3, -1, 0.5] if x.type.dtype.is_float else [2, 3, -1])
        shape = c.choice([(), (1,)])
        c1 = b.int_const(np.full(shape, v), x.type.dtype)
        c2 = b.int_const(np.full(shape, v + 1 if broken == "value" else v), x.type.dtype)
        return [x, c1, c2], {"ops": [c.choice(["Add", "Sub"]), c.choice(["Mul", "Add"])]}

    def infer(self, types, attrs):
        return [types[0].with_shape(broadcast_shapes(*(t.shape for t in types)))]

    def torch(self, ctx, attrs, a):
        o1, o2 = attrs["ops"]
        return f"(({a[0]} {SYM[o1]} {a[1]}) {SYM[o2]} {a[2]})"

    def onnx(self, ctx, attrs, a, outs):
        o1, o2 = attrs["ops"]
        ctx.node(o2, [ctx.node(o1, [a[0], a[1]], 1)[0], a[2]], outs)


class CommonSubexpression(OrtMotif):
    """The same op with the same attributes twice on x, their results added -> one node
    (CommonSubexpressionElimination). Broken: the second one's attribute differs (attr)."""

    name = "motif_ort_cse"
    rewrites = (("onnxruntime", "CommonSubexpressionElimination"),)
    dtypes = fire_dtypes = NUMBERS
    min_rank = 1
    guards = ("attr",)

    def pattern(self, b, x, broken):
        c = b.choices
        r = x.type.rank
        if x.type.dtype.is_float and c.boolean(0.5):
            a1 = c.choice([0.1, 0.5])
            return [x], {"op": "LeakyRelu", "a": [a1, a1 * 2 if broken == "attr" else a1]}
        ax = c.integer(0, r - 1)
        return [x], {"op": "ReduceMax", "a": [ax, (ax + 1) % r if broken == "attr" and r > 1 else ax],
                     "broken": broken if r > 1 else ""}

    def infer(self, types, attrs):
        if attrs["op"] == "LeakyRelu":
            return [types[0]]
        a1, a2 = attrs["a"]
        s1 = tuple(1 if i == a1 else d for i, d in enumerate(types[0].shape))
        s2 = tuple(1 if i == a2 else d for i, d in enumerate(types[0].shape))
        return [types[0].with_shape(broadcast_shapes(s1, s2))]

    def torch(self, ctx, attrs, a):
        if attrs["op"] == "LeakyRelu":
            return " + ".join(f"F.leaky_relu({a[0]}, {py(v)})" for v in attrs["a"])
        return " + ".join(f"{a[0]}.amax({d}, keepdim=True)" for d in attrs["a"])

    def onnx(self, ctx, attrs, a, outs):
        if attrs["op"] == "LeakyRelu":
            ys = [ctx.node("LeakyRelu", a, 1, alpha=v)[0] for v in attrs["a"]]
        elif ctx.opset >= 18:
            ys = [ctx.node("ReduceMax", [a[0], ctx.ints([d])], 1, keepdims=1)[0] for d in attrs["a"]]
        else:
            ys = [ctx.node("ReduceMax", a, 1, axes=[d], keepdims=1)[0] for d in attrs["a"]]
        ctx.node("Add", ys, outs)


def draw_perm(b, rank: int) -> list[int]:
    """A permutation of rank dims that is not the identity (when rank > 1)."""
    perm = list(range(rank))
    while rank > 1 and perm == list(range(rank)):
        perm = [int(p) for p in rng_for(b.choices).permutation(rank)]
    return perm


class TransposeCancel(OrtMotif):
    """Transpose(p) -> unary (Relu, Neg, Abs) -> Transpose(q): q the inverse of p cancels it, another
    q merges with it (TransposeOptimizer pushes the first through the unary op either way);
    int32, int64, float64 too. Broken: the first Transpose's output is also an output (tap)."""

    name = "motif_ort_transpose_cancel"
    rewrites = (("onnxruntime", "TransposeOptimizer"),)
    dtypes = fire_dtypes = NUMBERS
    min_rank = 2
    guards = ("tap",)

    def pattern(self, b, x, broken):
        c = b.choices
        p = draw_perm(b, x.type.rank)
        inv = [int(i) for i in np.argsort(p)]
        return [x], {"p": p, "q": inv if c.boolean(0.6) else draw_perm(b, x.type.rank), "mid": draw_tail(b, x.type.dtype)}

    def infer(self, types, attrs):
        s = [types[0].shape[i] for i in attrs["p"]]
        t = types[0].with_shape(tuple(s))
        return self.tapped(attrs, t.with_shape(tuple(s[i] for i in attrs["q"])), t)

    def torch(self, ctx, attrs, a):
        y = f"{TAILS[attrs['mid']].format('t')}.permute{py(tuple(attrs['q']))}"
        return f"(lambda t: {with_tap(attrs, y, 't')})({a[0]}.permute{py(tuple(attrs['p']))})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        t = ctx.node("Transpose", a, [tap] if tap else 1, perm=list(attrs["p"]))[0]
        m = ctx.node(attrs["mid"], [t], 1)[0]
        ctx.node("Transpose", [m], [out], perm=list(attrs["q"]))


class TransposePush(OrtMotif):
    """Transpose(x, p) op Transpose(y, p) for a binary op (Add, Mul, Sub) -> op on x and y with one
    Transpose after it (TransposeOptimizer push-through); int32, int64, float64 too. Broken:
    another perm for y (attr: pushing would cost a Transpose, so the optimizer leaves it)."""

    name = "motif_ort_transpose_push"
    rewrites = (("onnxruntime", "TransposeOptimizer"),)
    dtypes = fire_dtypes = NUMBERS
    min_rank = 2
    guards = ("attr",)

    def pattern(self, b, x, broken):
        c = b.choices
        p = draw_perm(b, x.type.rank)
        q = p
        if broken == "attr":  # any other perm, the identity included (a rank-2 x has no other)
            q = [int(i) for i in rng_for(c).permutation(x.type.rank)]
            if q == p:
                q = q[1:] + q[:1]
        ts = tuple(x.type.shape[i] for i in p)
        inv = [int(i) for i in np.argsort(q)]
        y = b.operand(TensorType(x.type.dtype, tuple(ts[i] for i in inv)))  # y transposed by q is ts
        if y.producer().op_type == CONST:  # a transposed constant is folded before the optimizer looks
            y = b.new_input(y.type)
        return [x, y], {"p": p, "q": q, "op": c.choice(list(SYM))}

    def infer(self, types, attrs):
        return [types[0].with_shape(tuple(types[0].shape[i] for i in attrs["p"]))]

    def torch(self, ctx, attrs, a):
        return (f"{a[0]}.permute{py(tuple(attrs['p']))} {SYM[attrs['op']]} "
                f"{a[1]}.permute{py(tuple(attrs['q']))}")

    def onnx(self, ctx, attrs, a, outs):
        t = ctx.node("Transpose", [a[0]], 1, perm=list(attrs["p"]))[0]
        u = ctx.node("Transpose", [a[1]], 1, perm=list(attrs["q"]))[0]
        ctx.node(attrs["op"], [t, u], outs)


class GatherSliceSplit(OrtMotif):
    """Gathers of single indices and Slices that together cover one axis of x, in order ->
    one Split (GatherSliceToSplitFusion). Broken: a piece left out (value)."""

    name = "motif_ort_gather_slice_split"
    rewrites = (("onnxruntime", "GatherSliceToSplitFusion"),)
    dtypes = fire_dtypes = frozenset({F32, F64, F16, I32, I64})
    min_rank = 1

    def accepts(self, t):
        return super().accepts(t) and max(t.shape) >= 2

    guards = ("value",)

    def pattern(self, b, x, broken):
        c = b.choices
        axes = [d for d in range(x.type.rank) if x.type.shape[d] >= 2]
        axis = c.choice(axes)
        n = x.type.shape[axis]
        pieces, at = [], 0
        while at < n:
            size = 1 if c.boolean(0.5) else c.integer(1, n - at)
            pieces.append(["gather" if size == 1 and c.boolean(0.7) else "slice", at, at + size])
            at += size
        if len(pieces) == 1:  # one slice of everything: split it in two
            pieces = [["gather", 0, 1], ["slice", 1, n]]
        if broken == "value":
            pieces = pieces[1:]
        return [x], {"axis": axis - x.type.rank if c.boolean(0.4) else axis, "pieces": pieces}

    def infer(self, types, attrs):
        t = types[0]
        ax = attrs["axis"] % t.rank
        out = []
        for kind, s, e in attrs["pieces"]:
            shape = t.shape[:ax] + ((e - s,) if kind == "slice" else ()) + t.shape[ax + 1:]
            out.append(t.with_shape(shape))
        return out

    def torch(self, ctx, attrs, a):
        ax = attrs["axis"]
        parts = [f"{a[0]}.narrow({ax}, {s}, {e - s})" if kind == "slice" else f"{a[0]}.select({ax}, {s})"
                 for kind, s, e in attrs["pieces"]]
        return f"({', '.join(parts)},)" if len(parts) > 1 else parts[0]

    def onnx(self, ctx, attrs, a, outs):
        ax = attrs["axis"]
        for (kind, s, e), out in zip(attrs["pieces"], outs):
            if kind == "gather":
                ctx.node("Gather", [a[0], ctx.const(np.asarray(s, dtype=np.int64))], [out], axis=ax)
            else:
                ctx.node("Slice", [a[0], ctx.ints([s]), ctx.ints([e]), ctx.ints([ax])], [out])


class CastPair(OrtMotif):
    """float32 -> float64 -> float32 -> removed (RemoveDuplicateCastTransformer; a second consumer
    of the wide value does not stop it). Broken: a float32 -> int32 -> float32 pair, which loses
    the fraction (attr). (float16 is left out: the casts ORT itself puts around float16 nodes
    without a kernel are removed by the same transformer, whatever the motif.)"""

    name = "motif_ort_cast_pair"
    rewrites = (("onnxruntime", "RemoveDuplicateCastTransformer"),)
    dtypes = fire_dtypes = frozenset({F32})
    guards = ("attr",)
    WIDE = {F32: F64, F16: F32}

    def pattern(self, b, x, broken):
        wide = DType.int32 if broken == "attr" else self.WIDE[x.type.dtype]
        return [x], {"wide": wide.value, "tail": draw_tail(b, x.type.dtype), "tap": b.choices.boolean(0.3)}

    def tapped(self, attrs, main, tap):
        return [main, tap] if attrs["tap"] else [main]

    def infer(self, types, attrs):
        return self.tapped(attrs, types[0], types[0].with_dtype(DType(attrs["wide"])))

    def torch(self, ctx, attrs, a):
        back = tail_src(attrs, f"w.to({a[0]}.dtype)")
        body = f"({back}, w)" if attrs["tap"] else back
        return f"(lambda w: {body})({a[0]}.to({ctx.dtype(DType(attrs['wide']))}))"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs[0], (outs[1] if attrs["tap"] else None)
        w = ctx.node("Cast", a, [tap] if tap else 1, to=ctx.elem(DType(attrs["wide"])))[0]
        n = ctx.node("Cast", [w], 1, to=ctx.elem(ctx.types[a[0]].dtype))[0]
        ctx.node(attrs["tail"], [n], [out])


class NchwcConv(ConvBase):
    """A 2-D float32 Conv (N, C, H, W), its bias and maybe a Relu -> NCHWc blocked layout with
    ReorderInput/ReorderOutput (NchwcTransformer, level 3). Broken: a Conv grouped by channel
    over a few channels (attr); a 1-D Conv (shape: x of rank 3). (float16 is no guard: ORT runs
    a float16 Conv in float32 between Casts, and blocks that.)"""

    name = "motif_ort_nchwc_conv"
    rewrites = (("onnxruntime", "NchwcTransformer"),)
    dtypes = fire_dtypes = frozenset({F32})
    guards = ("attr",)

    def pattern(self, b, x, broken):
        if broken == "attr" and x.type.shape[1] == 1:  # one channel: no grouped conv to draw
            broken = "shape" if x.type.rank == 3 else ""
        ops, attrs = self.conv(b, x, broken, grouped=broken == "attr")
        if x.type.rank == 3 and not broken:
            broken = "shape"
        return ops, {**attrs, "relu": b.choices.boolean(0.5), "broken": broken}

    def infer(self, types, attrs):
        return [self.conv_out(types, attrs)]

    def torch(self, ctx, attrs, a):
        y = self.conv_src(attrs, a)
        return f"torch.relu({y})" if attrs["relu"] else y

    def onnx(self, ctx, attrs, a, outs):
        if attrs["relu"]:
            ctx.node("Relu", [self.conv_node(ctx, attrs, a)], outs)
        else:
            self.conv_node(ctx, attrs, a, outs)


class Float16Conv(ConvBase):
    """A float16 Conv with a constant float16 weight: the CPU provider runs it in float32, so Casts
    are put around it (CastFloat16Transformer) and the weight initializer is stored as float32
    instead of cast at run time (FuseFp16InitializerToFp32NodeTransformer, level 3). Broken: the
    weight (and bias) graph inputs (input: no initializer to convert)."""

    name = "motif_ort_fp16_conv"
    rewrites = (("onnxruntime", "CastFloat16Transformer"), ("onnxruntime", "FuseFp16InitializerToFp32NodeTransformer"))
    dtypes = fire_dtypes = frozenset({F16})
    guards = ("input",)

    def pattern(self, b, x, broken):
        ops, attrs = self.conv(b, x, broken, weight_const=broken != "input")
        if broken == "input" and attrs["has_bias"]:  # a constant bias would be converted as well
            ops[2] = b.new_input(ops[2].type)
        return ops, attrs

    def infer(self, types, attrs):
        return [self.conv_out(types, attrs)]

    def torch(self, ctx, attrs, a):
        return self.conv_src(attrs, a)

    def onnx(self, ctx, attrs, a, outs):
        self.conv_node(ctx, attrs, a, outs)


class SpaceToDepth(OrtMotif):
    """Four Slices of x (N, C, H, W) with steps 2 on H and W, starting at (0, 0), (1, 0), (0, 1),
    (1, 1) in any order, concatenated on the channels (the Focus layer of YOLOv5) -> a
    SpaceToDepth rewrite (SliceConcatToSpaceToDepthFusion, float only). Broken: int32 or
    int64 x (dtype)."""

    name = "motif_ort_space_to_depth"
    rewrites = (("onnxruntime", "SliceConcatToSpaceToDepthFusion"),)
    dtypes = frozenset({F32, F64, I32, I64})
    fire_dtypes = frozenset({F32, F64})
    min_rank = max_rank = 4
    ORDER = [[0, 0], [1, 0], [0, 1], [1, 1]]

    def accepts(self, t):
        return super().accepts(t) and t.shape[2] % 2 == 0 and t.shape[3] % 2 == 0

    def pattern(self, b, x, broken):
        order = [list(o) for o in self.ORDER]
        if b.choices.boolean(0.3):
            order = [order[i] for i in rng_for(b.choices).permutation(4)]
        return [x], {"order": order, "end": b.choices.choice([2**62, 2**63 - 1])}

    def infer(self, types, attrs):
        n, ch, h, w = types[0].shape
        return [types[0].with_shape((n, 4 * ch, h // 2, w // 2))]

    def torch(self, ctx, attrs, a):
        parts = ", ".join(f"{a[0]}[:, :, {i}::2, {j}::2]" for i, j in attrs["order"])
        return f"torch.cat(({parts}), dim=1)"

    def onnx(self, ctx, attrs, a, outs):
        parts = [ctx.node("Slice", [a[0], ctx.ints(o), ctx.ints([attrs["end"]] * 2), ctx.ints([2, 3]), ctx.ints([2, 2])], 1)[0]
                 for o in attrs["order"]]
        ctx.node("Concat", parts, outs, axis=1)
