"""ONNX-only math ops: activations and normalizations with ONNX's own definitions (Shrink, Hardmax, LRN, MVN),
variadic Sum/Mean/Max/Min, Mod with both fmod modes, bit ops, Det, TopK, ArgMax/ArgMin,
CumSum and Einsum.

Each torch lowering is the ground truth, written from the ONNX operator
specification, not from what a torch exporter would map it to.
"""
from __future__ import annotations

import math
import string
from typing import ClassVar

from fuzzer.errors import Rejected
from fuzzer.ir import FLOATS, DType, TensorType, broadcast_shapes
from fuzzer.ops.base import OpSpec, broadcast_partner, either_side, py, same_type
from fuzzer.ops.dtypes import ALL_BUT_INT16, INTS_BUT_INT16, NUMERIC_BUT_INT16

INF = math.inf


def axis_of(b, rank: int) -> int:
    """An axis of a rank-`rank` tensor, sometimes spelled negative."""
    d = b.choices.integer(0, rank - 1)
    return d - rank if b.choices.boolean(0.4) else d


# -- unary ---------------------------------------------------------------------
class OnnxUnary(OpSpec):
    """y = op(x), one ONNX op; torch computes fn(x)."""

    fn: ClassVar[str]
    dtypes = FLOATS
    exportable = False
    infer = staticmethod(same_type)

    def torch(self, ctx, attrs, a):
        return f"{self.fn}({a[0]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen(self.onnx_ops[0], a, outs)


class IsNaN(OpSpec):
    """Inputs are finite by construction, so this is all False; it still exercises the kernel."""

    name, onnx_ops, dtypes, exportable = "IsNaN", ("IsNaN",), FLOATS, False

    def infer(self, types, attrs):
        return [types[0].with_dtype(DType.bool)]

    def torch(self, ctx, attrs, a):
        return f"torch.isnan({a[0]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("IsNaN", a, outs, out_dtype=DType.bool)


class IsInf(IsNaN):
    name, onnx_ops = "IsInf", ("IsInf",)

    def sample_attrs(self, b, types):
        return {"detect_negative": b.choices.integer(0, 1), "detect_positive": b.choices.integer(0, 1)}

    def torch(self, ctx, attrs, a):
        x = a[0]
        return (f"(torch.isneginf({x}) & {bool(attrs['detect_negative'])}) | "
                f"(torch.isposinf({x}) & {bool(attrs['detect_positive'])})")

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("IsInf", a, outs, out_dtype=DType.bool, **attrs)


# -- activations and normalizations ---------------------------------------------
class ThresholdedRelu(OnnxUnary):
    name, onnx_ops = "ThresholdedRelu", ("ThresholdedRelu",)

    def sample_attrs(self, b, types):
        return {"alpha": b.choices.choice([1.0, 0.0, 0.5, -0.5, 1.25])}

    def torch(self, ctx, attrs, a):
        x = a[0]
        return f"torch.where({x} > {py(float(attrs['alpha']))}, {x}, torch.zeros_like({x}))"

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("ThresholdedRelu", a, outs, alpha=float(attrs["alpha"]))


class Shrink(OpSpec):
    """y = x + bias if x < -lambd, x - bias if x > lambd, else 0. Ints take whole bias/lambd
    (the kernel casts them to the element type); uint8 is left out: x - bias would wrap."""

    name, onnx_ops, exportable = "Shrink", ("Shrink",), False
    dtypes = frozenset(NUMERIC_BUT_INT16 - {DType.bfloat16, DType.uint8})
    infer = staticmethod(same_type)

    def sample_attrs(self, b, types):
        c = b.choices
        if types[0].dtype.is_int:
            return {"bias": float(c.integer(0, 2)), "lambd": float(c.integer(0, 3))}
        return {"bias": c.choice([0.0, 0.5, 1.5]), "lambd": c.choice([0.0, 0.5, 1.0])}

    def torch(self, ctx, attrs, a):
        x, bias, lambd = a[0], attrs["bias"], attrs["lambd"]
        # whole-valued attrs render as int literals so an int tensor stays int
        bias_lit = py(int(bias)) if float(bias).is_integer() else py(bias)
        return (f"torch.where({x} < -{py(lambd)}, {x} + {bias_lit}, "
                f"torch.where({x} > {py(lambd)}, {x} - {bias_lit}, torch.zeros_like({x})))")

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Shrink", a, outs, bias=float(attrs["bias"]), lambd=float(attrs["lambd"]))


class Hardmax(OpSpec):
    """1 at the first maximum along axis, 0 elsewhere (opset 13: one axis, not flattened)."""

    name, onnx_ops, dtypes, exportable, min_rank = "Hardmax", ("Hardmax",), FLOATS, False, 1

    infer = staticmethod(same_type)

    def sample_attrs(self, b, types):
        return {"axis": axis_of(b, types[0].rank)}

    def torch(self, ctx, attrs, a):
        x, d = a[0], attrs["axis"]
        return f"F.one_hot(torch.argmax({x}, dim={d}), {x}.shape[{d}]).movedim(-1, {d}).to({x}.dtype)"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Hardmax", a, outs, axis=attrs["axis"])


class LpNormalization(OpSpec):
    name, onnx_ops, dtypes, exportable, min_rank = "LpNormalization", ("LpNormalization",), FLOATS, False, 1
    infer = staticmethod(same_type)

    def sample_attrs(self, b, types):
        return {"axis": axis_of(b, types[0].rank), "p": b.choices.choice([1, 2])}

    def torch(self, ctx, attrs, a):
        x = a[0]
        norm = f"torch.linalg.vector_norm({x}, ord={attrs['p']}, dim={attrs['axis']}, keepdim=True)"
        # an all-zero slice stays 0 (onnxruntime and onnx.reference both give 0, not 0/0 = NaN)
        return f"(lambda n: {x} / n.masked_fill(n == 0, 1))({norm})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("LpNormalization", a, outs, axis=attrs["axis"], p=attrs["p"])


class MeanVarianceNormalization(OpSpec):
    """(x - mean) / (sqrt(biased variance) + 1e-9) over axes (default [0, 2, 3])."""

    name, onnx_ops, dtypes, exportable, min_rank = "MeanVarianceNormalization", ("MeanVarianceNormalization",), FLOATS, False, 1
    infer = staticmethod(same_type)

    def sample_attrs(self, b, types):
        c = b.choices
        rank = types[0].rank
        if rank == 4 and c.boolean(0.3) and types[0].numel // types[0].shape[1] > 1:
            return {}
        axes = sorted({c.integer(0, rank - 1) for _ in range(c.integer(1, rank))})
        if math.prod(types[0].shape[d] for d in axes) < 2:
            # one element per group: E[x^2] - E[x]^2 rounds to a tiny negative, and its sqrt is NaN
            raise Rejected("MeanVarianceNormalization over single elements")
        return {"axes": [d - rank if c.boolean(0.3) else d for d in axes]}

    def torch(self, ctx, attrs, a):
        x = a[0]
        dims = py(tuple(attrs.get("axes", (0, 2, 3))))
        return (f"({x} - {x}.mean({dims}, keepdim=True)) / "
                f"(({x} * {x}).mean({dims}, keepdim=True) - {x}.mean({dims}, keepdim=True) ** 2).clamp(min=0).sqrt().add(1e-9)")

    def onnx(self, ctx, attrs, a, outs):
        # The schema lists float16, double and bfloat16, but the function body that defines the op
        # adds float32 constants, so the full checker rejects every dtype but float32 at every
        # opset (onnx 1.23): the op always computes in float32, between Casts. The axes are always
        # spelled: with the attribute left to its default [0, 2, 3], the function body's
        # Constant(value_ints=@axes) gets no value and the full checker rejects the model too
        # (TensorProto.FLOAT spelled out: ctx.elem would give double in truth mode, which fails too)
        from onnx import TensorProto

        axes = list(attrs.get("axes", (0, 2, 3)))
        if ctx.elem(ctx.types[a[0]].dtype) == TensorProto.FLOAT:
            ctx.node("MeanVarianceNormalization", a, outs, axes=axes)
            return
        x = ctx.node("Cast", a, 1, to=TensorProto.FLOAT)[0]
        y = ctx.node("MeanVarianceNormalization", [x], 1, axes=axes)[0]
        ctx.node("Cast", [y], outs, to=ctx.elem(ctx.types[a[0]].dtype))


class LRN(OpSpec):
    """x / (bias + alpha / size * sum of squares over channels [c - floor((size-1)/2),
    c + ceil((size-1)/2)])**beta; for even sizes the window leans forward, unlike torch's."""

    # ONNX allows any rank >= 3; ORT's kernel only rank 4, so drawing others would block every case
    name, onnx_ops, dtypes, exportable, min_rank, max_rank = "LRN", ("LRN",), FLOATS, False, 4, 4
    infer = staticmethod(same_type)

    def sample_attrs(self, b, types):
        c = b.choices
        # ONNX allows even sizes, but ORT's kernel refuses them and the reference evaluator
        # indexes past the channels: drawing them would only block cases
        size = c.choice([1, 3, 5])
        return {"size": size, "alpha": c.choice([1e-4, 0.1, 0.5]), "beta": c.choice([0.75, 0.5, 1.0]),
                "bias": c.choice([1.0, 2.0, 0.5])}

    def torch(self, ctx, attrs, a):
        x, n = a[0], attrs["size"]
        front, back = (n - 1) // 2, n - 1 - (n - 1) // 2
        sq = f"F.pad(({x} * {x}).movedim(1, -1), ({front}, {back})).unfold(-1, {n}, 1).sum(-1).movedim(-1, 1)"
        return f"{x} / ({py(attrs['bias'])} + {py(attrs['alpha'] / n)} * {sq}) ** {py(attrs['beta'])}"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("LRN", a, outs, size=attrs["size"], alpha=float(attrs["alpha"]), beta=float(attrs["beta"]),
                 bias=float(attrs["bias"]))


# -- variadic -----------------------------------------------------------------
class Variadic(OpSpec):
    """op(x1, ..., xn), 1 to 4 operands broadcasting together."""

    exportable = False

    def operands(self, b, x):
        ops = [x]
        shape = x.type.shape
        for _ in range(b.choices.choice([0, 1, 1, 2, 3])):
            s = broadcast_partner(b, shape)
            ops.append(b.operand(TensorType(x.type.dtype, s)))
            shape = broadcast_shapes(shape, s)
        pos = b.choices.integer(0, len(ops) - 1)
        ops[0], ops[pos] = ops[pos], ops[0]
        return ops

    def infer(self, types, attrs):
        return [TensorType(types[0].dtype, broadcast_shapes(*(t.shape for t in types)))]

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen(self.onnx_ops[0], a, outs)  # Max and Min take integers from 12


class Sum(Variadic):
    name, onnx_ops, dtypes = "onnx.Sum", ("Sum",), FLOATS

    def torch(self, ctx, attrs, a):
        return " + ".join(a) if len(a) > 1 else f"{a[0]}.clone()"


class Mean(Variadic):
    name, onnx_ops, dtypes = "onnx.Mean", ("Mean",), FLOATS

    def torch(self, ctx, attrs, a):
        return f"({' + '.join(a)}) / {len(a)}" if len(a) > 1 else f"{a[0]}.clone()"


class Max(Variadic):
    name, onnx_ops, dtypes = "Max", ("Max",), NUMERIC_BUT_INT16
    fn = "torch.maximum"

    def torch(self, ctx, attrs, a):
        expr = f"{a[0]}.clone()" if len(a) == 1 else a[0]
        for y in a[1:]:
            expr = f"{self.fn}({expr}, {y})"
        return expr


class Min(Max):
    name, onnx_ops = "Min", ("Min",)
    fn = "torch.minimum"


# -- integer and remainder ops --------------------------------------------------
class Mod(OpSpec):
    """fmod=0 (ints only): the remainder takes the divisor's sign, as torch.remainder;
    fmod=1: C fmod, the dividend's sign, as torch.fmod (required for floats)."""

    name, onnx_ops, dtypes, exportable = "Mod", ("Mod",), NUMERIC_BUT_INT16, False

    def operands(self, b, x):
        # a divisor bounded away from 0 keeps the remainder defined and well conditioned
        return either_side(b, x, TensorType(x.type.dtype, broadcast_partner(b, x.type.shape)), rhs_domain=(1.0, INF))

    def sample_attrs(self, b, types):
        return {"fmod": 1 if types[0].dtype.is_float else b.choices.integer(0, 1)}

    def infer(self, types, attrs):
        return [TensorType(types[0].dtype, broadcast_shapes(types[0].shape, types[1].shape))]

    def torch(self, ctx, attrs, a):
        return f"torch.{'fmod' if attrs['fmod'] else 'remainder'}({a[0]}, {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Mod", a, outs, fmod=attrs["fmod"])


class BitShift(OpSpec):
    """uint8 x shifted by y in [0, 7] bits; bits shifted out of the byte are lost."""

    name, onnx_ops, exportable = "BitShift", ("BitShift",), False
    dtypes = frozenset({DType.uint8})

    def operands(self, b, x):
        return either_side(b, x, TensorType(DType.uint8, broadcast_partner(b, x.type.shape)), rhs_domain=(0, 7))

    def sample_attrs(self, b, types):
        return {"direction": b.choices.choice(["LEFT", "RIGHT"])}

    def infer(self, types, attrs):
        return [TensorType(DType.uint8, broadcast_shapes(types[0].shape, types[1].shape))]

    def torch(self, ctx, attrs, a):
        op = "bitwise_left_shift" if attrs["direction"] == "LEFT" else "bitwise_right_shift"
        return f"torch.{op}({a[0]}, {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("BitShift", a, outs, direction=attrs["direction"])


class BitwiseAnd(OpSpec):
    name, onnx_ops, exportable, min_opset = "BitwiseAnd", ("BitwiseAnd",), False, 18
    dtypes = INTS_BUT_INT16
    fn = "torch.bitwise_and"

    def operands(self, b, x):
        return either_side(b, x, TensorType(x.type.dtype, broadcast_partner(b, x.type.shape)))

    def infer(self, types, attrs):
        return [TensorType(types[0].dtype, broadcast_shapes(types[0].shape, types[1].shape))]

    def torch(self, ctx, attrs, a):
        return f"{self.fn}({a[0]}, {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node(self.onnx_ops[0], a, outs)


class BitwiseOr(BitwiseAnd):
    name, onnx_ops, fn = "BitwiseOr", ("BitwiseOr",), "torch.bitwise_or"


class BitwiseXor(BitwiseAnd):
    name, onnx_ops, fn = "BitwiseXor", ("BitwiseXor",), "torch.bitwise_xor"


class BitwiseNot(OpSpec):
    name, onnx_ops, exportable, min_opset, dtypes = "BitwiseNot", ("BitwiseNot",), False, 18, INTS_BUT_INT16
    infer = staticmethod(same_type)

    def torch(self, ctx, attrs, a):
        return f"torch.bitwise_not({a[0]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("BitwiseNot", a, outs)


# -- linear algebra -------------------------------------------------------------
class Det(OpSpec):
    """Determinant of the trailing square matrices."""

    name, onnx_ops, dtypes, exportable, min_rank = "Det", ("Det",), FLOATS, False, 2

    def accepts(self, t):
        return super().accepts(t) and t.shape[-1] == t.shape[-2] and t.shape[-1] <= 4

    def infer(self, types, attrs):
        return [types[0].with_shape(types[0].shape[:-2])]

    def torch(self, ctx, attrs, a):
        x = a[0]
        # torch has no half-precision det on CPU; float32 there rounds once, like the ONNX kernels
        return (f"torch.linalg.det({x} if {x}.dtype in (torch.float32, torch.float64) "
                f"else {x}.float()).to({x}.dtype)")

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("Det", a, outs)


class Einsum(OpSpec):
    """One or two operands; each output letter appears once in the output; letters dropped
    from the output are summed over (no diagonals/traces). Sometimes the implicit form."""

    name, onnx_ops, exportable, max_rank = "onnx.Einsum", ("Einsum",), False, 4
    dtypes = frozenset(FLOATS | {DType.int32, DType.int64})

    def operands(self, b, x):
        c = b.choices
        if c.boolean(0.3):
            return [x]
        # y takes some of x's dims (contracted or batched) and some of its own (outer product)
        shape = [s for s in x.type.shape if c.boolean(0.5)] + [c.integer(1, 4) for _ in range(c.integer(0, 2))]
        pool = list(shape)
        shape = []
        while pool:
            shape.append(pool.pop(c.integer(0, len(pool) - 1)))
        return [x, b.operand(TensorType(x.type.dtype, tuple(shape)))]

    def sample_attrs(self, b, types):
        c = b.choices
        x = types[0]
        xs = string.ascii_lowercase[: x.rank]
        sizes = dict(zip(xs, x.shape))
        inputs = [xs]
        if len(types) == 2:
            fresh = iter(string.ascii_lowercase[x.rank:])
            ys, used = [], set()
            for n in types[1].shape:
                # share a letter of x of the same size (not yet shared), or a new letter
                same = [ch for ch in xs if sizes[ch] == n and ch not in used]
                ch = c.choice(same) if same and c.boolean(0.7) else next(fresh)
                used.add(ch)
                sizes[ch] = n
                ys.append(ch)
            inputs.append("".join(ys))
        joined = "".join(inputs)
        if c.boolean(0.2):  # implicit output: the letters seen once, alphabetically
            return {"equation": ",".join(inputs), "out": [ch for ch in sorted(sizes) if joined.count(ch) == 1],
                    "sizes": sizes}
        keep = [ch for ch in sorted(sizes) if c.boolean(0.6)]
        out = []
        while keep:
            out.append(keep.pop(c.integer(0, len(keep) - 1)))
        return {"equation": ",".join(inputs) + "->" + "".join(out), "out": out, "sizes": sizes}

    def infer(self, types, attrs):
        return [TensorType(types[0].dtype, tuple(attrs["sizes"][ch] for ch in attrs["out"]))]

    def torch(self, ctx, attrs, a):
        # torch has no int32 batched matmul on CPU: ints contract in int64, exactly
        return (f"(lambda *t: torch.einsum({attrs['equation']!r}, *(u.long() if u.dtype == torch.int32 else u for u in t))"
                f".to(t[0].dtype))({', '.join(a)})")

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("Einsum", a, outs, equation=attrs["equation"])


# -- selection and scans ----------------------------------------------------------
class TopK(OpSpec):
    """(values, int64 indices) of the k largest/smallest along axis; k is an input. Ties go
    to the lower index, as ONNX requires, so the truth is a stable sort. sorted=0 leaves the
    order unspecified, so the pick is re-sorted by original index, then by value."""

    name, onnx_ops, exportable, min_rank = "onnx.TopK", ("TopK", "GatherElements"), False, 1
    dtypes = frozenset(NUMERIC_BUT_INT16)

    def sample_attrs(self, b, types):
        c = b.choices
        rank = types[0].rank
        d = axis_of(b, rank)
        n = types[0].shape[d]
        return {"axis": d, "k": c.integer(1, n), "largest": c.integer(0, 1),
                # ints tie often, and an unsorted pick may order tied elements either way
                "sorted": 1 if types[0].dtype.is_int else c.choice([1, 1, 0])}

    def infer(self, types, attrs):
        x = types[0]
        s = list(x.shape)
        s[attrs["axis"] % x.rank] = attrs["k"]
        return [x.with_shape(s), TensorType(DType.int64, tuple(s))]

    def torch(self, ctx, attrs, a):
        x, d, k = a[0], attrs["axis"], attrs["k"]
        desc = bool(attrs["largest"])
        return (f"(lambda s: (s.values.narrow({d}, 0, {k}), s.indices.narrow({d}, 0, {k})))"
                f"(torch.sort({x}, dim={d}, descending={desc}, stable=True))")

    def onnx(self, ctx, attrs, a, outs):
        k = ctx.ints([attrs["k"]])
        kw = dict(axis=attrs["axis"], largest=attrs["largest"])
        if attrs["sorted"]:
            ctx.widen("TopK", [a[0], k], outs, keep=(1,), keep_outs=(1,), sorted=1, **kw)
            return
        vals, idx = ctx.fresh("topv"), ctx.fresh("topi")
        ctx.types[vals] = ctx.types[outs[0]]
        ctx.widen("TopK", [a[0], k], [vals, idx], keep=(1,), keep_outs=(1,), sorted=0, **kw)
        # order the unsorted pick as the truth does, by value and then by original index. The
        # kernel may pick tied elements in any order (repeated values, or one element sampled
        # twice upstream), so first put the pick in original-index order (a TopK of its indices),
        # then sort that by value with a sorted TopK, which keeps tied elements in the order given
        axis = attrs["axis"]
        _, by_index = ctx.node("TopK", [idx, k], 2, axis=axis, largest=0, sorted=1)
        idx1 = ctx.node("GatherElements", [idx, by_index], 1, axis=axis)[0]
        vals1 = ctx.node("GatherElements", [vals, by_index], 1, axis=axis)[0]
        ctx.types[vals1] = ctx.types[outs[0]]
        pos = ctx.fresh("pos")
        ctx.widen("TopK", [vals1, k], [outs[0], pos], keep=(1,), keep_outs=(1,), sorted=1, **kw)
        ctx.node("GatherElements", [idx1, pos], [outs[1]], axis=axis)


class ArgMax(OpSpec):
    name, onnx_ops, exportable, min_rank = "onnx.ArgMax", ("ArgMax",), False, 1
    dtypes = frozenset(NUMERIC_BUT_INT16)
    fn = "argmax"

    def sample_attrs(self, b, types):
        c = b.choices
        return {"axis": axis_of(b, types[0].rank), "keepdims": c.integer(0, 1), "select_last_index": c.integer(0, 1)}

    def infer(self, types, attrs):
        x = types[0]
        d = attrs["axis"] % x.rank
        s = list(x.shape)
        if attrs["keepdims"]:
            s[d] = 1
        else:
            del s[d]
        return [TensorType(DType.int64, tuple(s))]

    def torch(self, ctx, attrs, a):
        x, d, keep = a[0], attrs["axis"], bool(attrs["keepdims"])
        # torch returns the first extreme; the last one is the first of the flipped tensor
        if attrs["select_last_index"]:
            return f"{x}.shape[{d}] - 1 - torch.{self.fn}(torch.flip({x}, ({d},)), dim={d}, keepdim={keep})"
        return f"torch.{self.fn}({x}, dim={d}, keepdim={keep})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node(self.onnx_ops[0], a, outs, axis=attrs["axis"], keepdims=attrs["keepdims"],
                 select_last_index=attrs["select_last_index"])


class ArgMin(ArgMax):
    name, onnx_ops, fn = "onnx.ArgMin", ("ArgMin",), "argmin"


class CumSum(OpSpec):
    """Running sum along an axis given as a 0-d int32/int64 input; exclusive leaves out the
    element itself, reverse runs from the end."""

    name, onnx_ops, exportable, min_rank = "onnx.CumSum", ("CumSum",), False, 1
    dtypes = frozenset(FLOATS | {DType.int32, DType.int64})

    def sample_attrs(self, b, types):
        c = b.choices
        return {"axis": axis_of(b, types[0].rank), "exclusive": c.integer(0, 1), "reverse": c.integer(0, 1),
                "axis_dtype": c.choice(["int64", "int32"])}

    infer = staticmethod(same_type)

    def torch(self, ctx, attrs, a):
        x, d = a[0], attrs["axis"]
        src = f"torch.flip({x}, ({d},))" if attrs["reverse"] else x
        # torch widens int32 sums to int64; ONNX keeps the input type
        expr = f"torch.cumsum({src}, {d}, dtype={x}.dtype)"
        if attrs["exclusive"]:
            # shift by one: the first running sum is 0
            expr = f"torch.cat([torch.zeros_like({src}.narrow({d}, 0, 1)), {expr}.narrow({d}, 0, {src}.shape[{d}] - 1)], {d})"
        return f"torch.flip({expr}, ({d},))" if attrs["reverse"] else expr

    def onnx(self, ctx, attrs, a, outs):
        axis = ctx.scalar(attrs["axis"], DType(attrs["axis_dtype"]))
        ctx.widen("CumSum", [a[0], axis], outs, keep=(1,), exclusive=attrs["exclusive"], reverse=attrs["reverse"])


class CastLike(OpSpec):
    """x cast to the dtype of a second operand (whose values are unused)."""

    name, onnx_ops, exportable, min_opset = "CastLike", ("CastLike",), False, 15
    dtypes = ALL_BUT_INT16

    def operands(self, b, x):
        c = b.choices
        options = sorted(b.config.dtypes & ALL_BUT_INT16, key=str) or [x.type.dtype]
        target = c.choice(options)
        if target == DType.uint8 and x.type.dtype not in (DType.uint8, DType.bool):
            raise Rejected("CastLike: negative values have no uint8 image")
        like = b.operand(TensorType(target, tuple(c.integer(1, 3) for _ in range(c.integer(0, 2)))))
        return [x, like]

    def infer(self, types, attrs):
        return [types[0].with_dtype(types[1].dtype)]

    def torch(self, ctx, attrs, a):
        return f"{a[0]}.to({a[1]}.dtype)"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("CastLike", a, outs)
