"""Rewrite motifs for the ONNX-to-ONNX optimizers: bounds (Min/Max/Clip/Relu pairs fused into
one Clip, Min or Max), an Einsum turned into a MatMul, shape arithmetic folded (Shape then
Gather or Slice), an Add/Mul/Sub/Div/Pow by its unit removed, duplicate initializers merged,
an If on a constant condition inlined, three MatMuls of one
input fused (QKV), operands reordered (a constant Add operand, a Slice moved after a MatMul,
a Not before a Where), a Concat of shape pieces folded into a Reshape, a zero bias dropped.

Every motif's torch lowering is the float64 truth; see fuzzer.ops.motifs_passes_base for how
the side of the guard is drawn.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from fuzzer.errors import Rejected
from fuzzer.ir import DType, TensorType
from fuzzer.ops.base import broadcast_partner, norm_dim, py
from fuzzer.ops.motifs_passes import ConvLike, conv_geometry, conv_onnx
from fuzzer.ops.dtypes import COMMON_AND_BOOL, FLOAT32, FLOAT32_64, FLOAT32_64_INT32_64
from fuzzer.ops.motifs_passes_base import PassMotif, chain, middle_name, tapped
from fuzzer.ops.motifs_passes_shape import factor_shape
from fuzzer.ops.shape import neg, shuffled



def scalar_shape(b) -> tuple[int, ...]:
    """A one-element shape: 0-d mostly, sometimes (1,) or (1, 1) (onnxscript counts every
    one-element constant as a scalar bound; a (1, 1) one also broadcasts x up to rank 2)."""
    return b.choices.choice([(), (), (), (1,), (1, 1)])


# -- bounds -----------------------------------------------------------------------
class MinMaxPair(PassMotif):
    """second(first(x, c1...), d1...) for first, second in Min/Max with constant bounds:
    one Clip (Min after Max, Max after Min) or one Min/Max (the same op twice)."""

    first: ClassVar[str]
    second: ClassVar[str]
    onnx_ops = ("Min", "Max")
    dtypes = FLOAT32_64_INT32_64
    clip: ClassVar[bool] = True
    #: bound_input: a bound is a graph input; bound_not_scalar: a bound of several elements
    #: (only Clip wants scalars); tap: the first result has another use
    guards = ("bound_input", "bound_not_scalar", "tap")

    def draw_motif(self, b, x, broken):
        c = b.choices
        t = x.type
        if broken == "bound_not_scalar" and not self.clip:
            broken = "bound_input"
        bounds = []
        counts = [c.integer(1, 2), c.integer(1, 2)]
        for k in counts:
            for _ in range(k):
                bounds.append(TensorType(t.dtype, scalar_shape(b)))
        pick = c.integer(0, len(bounds) - 1)
        if broken == "bound_not_scalar":
            shape = broadcast_partner(b, t.shape)
            if int(np.prod(shape, dtype=np.int64)) < 2:
                if t.numel < 2:
                    raise Rejected("no several-element bound for a one-element tensor")
                shape = t.shape
            bounds[pick] = TensorType(t.dtype, shape)
        values = [b.new_input(bt) if broken == "bound_input" and i == pick else b.const(bt)
                  for i, bt in enumerate(bounds)]
        return [x] + values, {"counts": counts, "tap": broken == "tap"}

    def infer(self, types, attrs):
        from fuzzer.ir import broadcast_shapes

        k = attrs["counts"][0]
        mid = types[0].with_shape(broadcast_shapes(*(t.shape for t in types[:1 + k])))
        out = mid.with_shape(broadcast_shapes(mid.shape, *(t.shape for t in types[1 + k:])))
        return tapped([out], mid, attrs)

    @staticmethod
    def torch_fold(op: str, first: str, rest: list[str]) -> str:
        fn = "torch.minimum" if op == "Min" else "torch.maximum"
        out = first
        for r in rest:
            out = f"{fn}({out}, {r})"
        return out

    def torch(self, ctx, attrs, a):
        k = attrs["counts"][0]
        return chain(self.torch_fold(self.first, a[0], a[1:1 + k]), self.torch_fold(self.second, "t", a[1 + k:]), attrs)

    def onnx(self, ctx, attrs, a, outs):
        k = attrs["counts"][0]
        mid = middle_name(ctx, outs, attrs, self.first.lower())
        ctx.node(self.first, a[:1 + k], [mid])
        ctx.node(self.second, [mid] + a[1 + k:], [outs[0]])


class MaxMinClip(MinMaxPair):
    name = "motif_osr_max_min_clip"
    first, second = "Max", "Min"
    rewrites = (("onnxscript", "FuseMaxMinToClip"),)


class MinMaxClip(MinMaxPair):
    """Max(Min(x, ub), lb) with lb <= ub (onnxscript checks the order of the bounds here)."""

    name = "motif_osr_min_max_clip"
    first, second = "Min", "Max"
    rewrites = (("onnxscript", "FuseMinMaxToClip"),)
    guards = ("bound_input", "bound_not_scalar", "tap", "bounds_crossed")

    def draw_motif(self, b, x, broken):
        ops, attrs = super().draw_motif(b, x, None if broken == "bounds_crossed" else broken)
        # the constant bounds get whole values picked here, so that their order is known: every
        # upper bound hi, every lower bound lo (crossed: lo > hi)
        k = attrs["counts"][0]
        t = x.type
        lo, hi = sorted(b.choices.choice([-1, 0, 1, 2]) for _ in range(2))
        if broken == "bounds_crossed":
            if lo == hi:
                lo, hi = hi + 1, lo
            else:
                lo, hi = hi, lo
        upper = [b.int_const(np.full(v.type.shape, hi), t.dtype) if v.producer().op_type == "const" else v
                 for v in ops[1:1 + k]]
        lower = [b.int_const(np.full(v.type.shape, lo), t.dtype) if v.producer().op_type == "const" else v
                 for v in ops[1 + k:]]
        return [x] + upper + lower, attrs


class MinMin(MinMaxPair):
    name = "motif_osr_min_min"
    first, second = "Min", "Min"
    clip = False
    rewrites = (("onnxscript", "FuseSuccessiveMin"),)
    guards = ("bound_input", "tap")


class MaxMax(MinMaxPair):
    name = "motif_osr_max_max"
    first, second = "Max", "Max"
    clip = False
    rewrites = (("onnxscript", "FuseSuccessiveMax"),)
    guards = ("bound_input", "tap")


class ClipPair(PassMotif):
    """Clip(Clip(x, a1, b1), a2, b2), Clip(Relu(x), a, b) or Relu(Clip(x, a, b)), bounds constant
    scalars (either may be left out): one Clip. The intervals may be disjoint: the fused Clip
    must still give what the two give."""

    onnx_ops = ("Clip", "Relu")
    dtypes = FLOAT32_64
    ops: ClassVar[tuple[str, str]]
    guards = ("bound_input", "tap")

    def draw_motif(self, b, x, broken):
        c = b.choices
        bt = TensorType(x.type.dtype, ())
        slots = [[c.boolean(0.8), c.boolean(0.8)] if op == "Clip" else [] for op in self.ops]
        present = [(i, j) for i, s in enumerate(slots) for j, p in enumerate(s) if p]
        if not present:
            slots[self.ops.index("Clip")][0] = True
            present = [(self.ops.index("Clip"), 0)]
        made_input = c.choice(present) if broken == "bound_input" else None
        ops = [x]
        for i, s in enumerate(slots):
            for j, p in enumerate(s):
                if p:
                    ops.append(b.new_input(bt) if (i, j) == made_input else b.const(bt))
        return ops, {"slots": slots, "tap": broken == "tap"}

    def infer(self, types, attrs):
        return tapped([types[0]], types[0], attrs)

    def _split(self, attrs, a):
        rest, per = list(a[1:]), []
        for s in attrs["slots"]:
            mine = []
            for present in s:
                mine.append(rest.pop(0) if present else None)
            per.append(mine)
        return per

    def torch(self, ctx, attrs, a):
        exprs = []
        for op, bounds, src in zip(self.ops, self._split(attrs, a), (a[0], "t")):
            if op == "Relu":
                exprs.append(f"torch.relu({src})")
            else:
                lo, hi = bounds if bounds else (None, None)
                # ONNX Clip is min(max(x, lo), hi): crossed bounds give hi, as torch.clamp does
                e = src if lo is None else f"torch.maximum({src}, {lo})"
                exprs.append(e if hi is None else f"torch.minimum({e}, {hi})")
        return chain(exprs[0], exprs[1], attrs)

    def onnx(self, ctx, attrs, a, outs):
        mid = middle_name(ctx, outs, attrs, self.ops[0].lower())
        for op, bounds, src, dst in zip(self.ops, self._split(attrs, a), (a[0], mid), (mid, outs[0])):
            if op == "Relu":
                ctx.node("Relu", [src], [dst])
            else:
                lo, hi = bounds
                ins = [src] + ([lo or "", hi] if hi is not None else [lo] if lo is not None else [])
                ctx.node("Clip", ins, [dst])


class ClipClip(ClipPair):
    name = "motif_osr_clip_clip"
    ops = ("Clip", "Clip")
    rewrites = (("onnxscript", "FuseSuccessiveClip"),)


class ReluClip(ClipPair):
    name = "motif_osr_relu_clip"
    ops = ("Relu", "Clip")
    rewrites = (("onnxscript", "FuseSuccessiveClipRelu"),)


class ClipRelu(ClipPair):
    name = "motif_osr_clip_relu"
    ops = ("Clip", "Relu")
    rewrites = (("onnxscript", "FuseSuccessiveReluClip"),)


# -- Einsum -------------------------------------------------------------------------
class EinsumMatMul(PassMotif):
    """Einsum of two operands that is a (batched) matrix product, "...mk,...kn->...mn" or
    "...mk,...nk->...mn": a MatMul (with a Transpose). onnxoptimizer checks the letters'
    positions only, so a repeated letter ("...mm,...mn->...mn", a diagonal) is drawn too."""

    name = "motif_opt_einsum"
    onnx_ops = ("Einsum",)
    dtypes = FLOAT32_64
    min_rank, max_rank = 2, 4
    rewrites = (("onnxoptimizer", "replace_einsum_with_matmul"),)
    guards = ("elementwise", "uppercase", "batch_letters_differ")

    def draw_motif(self, b, x, broken):
        c = b.choices
        t = x.type
        r = t.rank
        *batch, m, k = t.shape
        letters = shuffled(b, "abcdefgh")
        bl = letters[:r - 2]
        lm, lk, ln = letters[r - 2:r + 1]
        n = c.integer(1, 4)
        form = c.choice(["mk,kn", "mk,nk"] + (["mm,mn"] if m == k else []))
        if broken == "elementwise":
            form = "mk,mk"
        if form == "mk,kn":
            t1, t2, out, shape2 = lm + lk, lk + ln, lm + ln, (k, n)
        elif form == "mk,nk":
            t1, t2, out, shape2 = lm + lk, ln + lk, lm + ln, (n, k)
        elif form == "mm,mn":
            t1, t2, out, shape2 = lm + lm, lm + ln, lm + ln, (m, n)
        else:
            t1, t2, out, shape2 = lm + lk, lm + lk, lm + lk, (m, k)
        bl2 = list(bl)
        if broken == "batch_letters_differ":
            if not bl:
                raise Rejected("no batch dims")
            bl2[0] = letters[r + 1]
        b1, b2 = "".join(bl), "".join(bl2)
        outb = b1 + ("" if b1 == b2 else b2[0])
        eq = f"{b1}{t1},{b2}{t2}->{outb}{out}"
        shape = tuple(batch) + shape2
        if broken == "uppercase":
            eq = eq.replace(lm, lm.upper())
        y = b.operand(TensorType(t.dtype, shape), weight=c.boolean(0.5))
        return [x, y], {"equation": eq}

    def infer(self, types, attrs):
        lhs, out = attrs["equation"].split("->")
        sizes = {}
        for term, t in zip(lhs.split(","), types):
            sizes.update(zip(term, t.shape))
        return [types[0].with_shape(tuple(sizes[ch] for ch in out))]

    def torch(self, ctx, attrs, a):
        return f"torch.einsum({attrs['equation']!r}, {a[0]}, {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Einsum", a, outs, equation=attrs["equation"])


# -- shape arithmetic -------------------------------------------------------------
class ShapeGather(PassMotif):
    """x * Gather(Shape(x), i) (cast to x's dtype): the Gather of a static shape becomes a
    constant (and so does the Shape)."""

    name = "motif_opt_shape_gather"
    onnx_ops = ("Shape", "Gather", "Cast", "Mul")
    dtypes = FLOAT32_64_INT32_64
    min_rank = 1
    rewrites = (("onnxoptimizer", "eliminate_shape_gather"), ("onnxoptimizer", "eliminate_shape_op"))
    guards = ("index_input",)

    def draw_motif(self, b, x, broken):
        c = b.choices
        r = x.type.rank
        d = c.integer(0, r - 1)
        ops = [x]
        if broken == "index_input":
            if r < 2:  # an empty domain (0, 0) is widened by the input sampler
                raise Rejected("one dim: no index to draw")
            ops.append(b.new_input(TensorType(DType.int64, ()), domain=(0, r - 1)))
        return ops, {"index": neg(b, d, r), "vector": c.boolean(0.3)}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        i = a[1] if len(a) > 1 else attrs["index"]
        dim = f"torch.tensor({a[0]}.shape)[{i}]"
        if attrs["vector"]:
            dim = f"{dim}.reshape(1)"
        return f"{a[0]} * {dim}.to({a[0]}.dtype)"

    def onnx(self, ctx, attrs, a, outs):
        shape = ctx.node("Shape", [a[0]])[0]
        if len(a) > 1:
            index = a[1] if not attrs["vector"] else ctx.node("Unsqueeze", [a[1], ctx.ints([0])])[0]
        else:
            index = ctx.ints([attrs["index"]]) if attrs["vector"] else ctx.scalar(attrs["index"], DType.int64)
        dim = ctx.node("Gather", [shape, index])[0]
        cast = ctx.node("Cast", [dim], to=ctx.elem(ctx.types[a[0]].dtype))[0]
        ctx.node("Mul", [a[0], cast], outs)


class SliceAfterShape(PassMotif):
    """Slice(Shape(x), start, end[, axes, step]): a constant. The refusal side puts an Identity
    between the two, which the pass does not look through."""

    name = "motif_opt_slice_after_shape"
    onnx_ops = ("Shape", "Slice")
    dtypes = COMMON_AND_BOOL
    min_rank = 1
    rewrites = (("onnxoptimizer", "eliminate_slice_after_shape"), ("onnxoptimizer", "eliminate_shape_op"),
                ("onnxsim", "eliminate_slice_after_shape"))
    guards = ("identity_between",)

    def draw_motif(self, b, x, broken):
        c = b.choices
        r = x.type.rank
        s = c.integer(0, r - 1)
        e = c.integer(s + 1, r)
        step = c.choice([None, 1, 2])
        return [x], {"start": s - r if c.boolean(0.3) else s, "end": e if e < r or c.boolean(0.5) else 99,
                     "step": step, "identity": broken == "identity_between"}

    def _range(self, attrs, r):
        s = attrs["start"] % r if attrs["start"] < 0 else attrs["start"]
        return range(s, min(attrs["end"], r), attrs["step"] or 1)

    def infer(self, types, attrs):
        return [TensorType(DType.int64, (len(self._range(attrs, types[0].rank)),))]

    def torch(self, ctx, attrs, a):
        return f"torch.tensor({a[0]}.shape, dtype=torch.int64)[{attrs['start']}:{attrs['end']}:{attrs['step'] or 1}]"

    def onnx(self, ctx, attrs, a, outs):
        shape = ctx.node("Shape", a)[0]
        if attrs["identity"]:
            shape = ctx.node("Identity", [shape])[0]
        ins = [shape, ctx.ints([attrs["start"]]), ctx.ints([attrs["end"]])]
        if attrs["step"] is not None:
            ins += [ctx.ints([0]), ctx.ints([attrs["step"]])]
        ctx.node("Slice", ins, outs)


# -- units, duplicates, constant conditions ------------------------------------------
UNIT = {"Add": 0, "Sub": 0, "Mul": 1, "Div": 1, "Pow": 1}
TORCH_BINARY = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Pow": "**"}


class NopWithUnit(PassMotif):
    """x + 0, x - 0, x * 1, x / 1, x ** 1 (or 0 + x, 1 * x) with a constant unit that broadcasts
    to x without widening it: removed."""

    name = "motif_opt_nop_with_unit"
    onnx_ops = ("Add", "Sub", "Mul", "Div", "Pow")
    dtypes = FLOAT32_64_INT32_64
    rewrites = (("onnxoptimizer", "eliminate_nop_with_unit"),
                ("onnxsim", "eliminate_nop_with_unit"))
    guards = ("not_unit", "widening", "unit_on_left", "unit_input")

    def draw_motif(self, b, x, broken):
        c = b.choices
        t = x.type
        op = c.choice(["Sub", "Pow"] if broken == "unit_on_left" else list(UNIT))
        if op == "Pow" and (t.dtype.is_int or broken == "unit_input"):
            # torch's integer ** goes through float; a drawn exponent on a negative base is NaN
            op = "Sub" if broken == "unit_on_left" else "Mul"
        shape = tuple(d if c.boolean(0.5) else 1 for d in t.shape[len(t.shape) - c.integer(0, t.rank):])
        if broken == "widening":
            shape = (c.integer(2, 3),) + tuple(t.shape)
        value = UNIT[op] + (c.choice([1, 2]) if broken == "not_unit" else 0)
        ut = TensorType(t.dtype, shape)
        if broken == "unit_input":
            unit = b.new_input(ut, domain=(1, 2) if op in ("Div", "Pow") else None)
        else:
            unit = b.int_const(np.full(shape, value), t.dtype)
        left = broken == "unit_on_left" or (op in ("Add", "Mul") and c.boolean(0.4))
        return [x, unit], {"op": op, "unit_left": left, "int": t.dtype.is_int}

    def infer(self, types, attrs):
        from fuzzer.ir import broadcast_shapes

        return [types[0].with_shape(broadcast_shapes(types[0].shape, types[1].shape))]

    def torch(self, ctx, attrs, a):
        x, u = a
        lhs, rhs = (u, x) if attrs["unit_left"] else (x, u)
        if attrs["op"] == "Div" and attrs["int"]:  # ONNX integer Div truncates
            return f"torch.div({lhs}, {rhs}, rounding_mode='trunc')"
        return f"({lhs} {TORCH_BINARY[attrs['op']]} {rhs})"

    def onnx(self, ctx, attrs, a, outs):
        ins = [a[1], a[0]] if attrs["unit_left"] else list(a)
        ctx.node(attrs["op"], ins, outs)


class DuplicateInitializer(PassMotif):
    """x * c + c', c' an initializer with c's name changed only: the two merge into one."""

    name = "motif_opt_duplicate_initializer"
    onnx_ops = ("Mul", "Add")
    dtypes = FLOAT32_64_INT32_64
    rewrites = (("onnxoptimizer", "eliminate_duplicate_initializer"),
                ("onnxsim", "eliminate_duplicate_initializer"))
    guards = ("graph_input",)

    def draw_motif(self, b, x, broken):
        t = x.type
        ct = TensorType(t.dtype, broadcast_partner(b, t.shape))
        return [x, b.new_input(ct) if broken == "graph_input" else b.const(ct)], {}

    def infer(self, types, attrs):
        from fuzzer.ir import broadcast_shapes

        return [types[0].with_shape(broadcast_shapes(types[0].shape, types[1].shape))]

    def torch(self, ctx, attrs, a):
        return f"({a[0]} * {a[1]} + {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        from onnx import TensorProto

        copy = a[1]
        for init in ctx.initializers:
            if init.name == a[1]:
                dup = TensorProto()
                dup.CopyFrom(init)
                dup.name = copy = ctx.fresh("dup")
                ctx.initializers.append(dup)
                break
        y = ctx.node("Mul", [a[0], a[1]])[0]
        ctx.node("Add", [y, copy], outs)


class IfConstCond(PassMotif):
    """If(c) with c a constant: the branch c selects is inlined. then: x + x, else: -x."""

    name = "motif_opt_if_const_cond"
    onnx_ops = ("If", "Add", "Neg")
    dtypes = FLOAT32_64_INT32_64
    control_flow = True
    rewrites = (("onnxoptimizer", "eliminate_if_with_const_cond"),
                ("onnxsim", "eliminate_if_with_const_cond"))
    guards = ("cond_input",)

    def draw_motif(self, b, x, broken):
        ct = TensorType(DType.bool, ())
        cond = b.new_input(ct) if broken == "cond_input" else b.int_const(b.choices.boolean(0.5), DType.bool)
        return [x, cond], {}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        return f"torch.where({a[1]}, {a[0]} + {a[0]}, -{a[0]})"

    def onnx(self, ctx, attrs, a, outs):
        t = ctx.types[a[0]]
        then = ctx.subgraph([], lambda sub, _: [(sub.node("Add", [a[0], a[0]])[0], t)], name="then")
        other = ctx.subgraph([], lambda sub, _: [(sub.node("Neg", [a[0]])[0], t)], name="else")
        ctx.node("If", [a[1]], outs, then_branch=then, else_branch=other)


# -- reorderings --------------------------------------------------------------------
class FuseQKV(PassMotif):
    """Three MatMuls of x (its only three uses) by constant weights of one shape, each result
    used once: one MatMul by the concatenated weights, then a Split."""

    name = "motif_opt_qkv"
    onnx_ops = ("MatMul",)
    dtypes = FLOAT32
    min_rank, max_rank = 2, 3
    rewrites = (("onnxoptimizer", "fuse_qkv"),
                ("onnxsim", "fuse_qkv"))
    guards = ("weight_input", "widths_differ")

    def draw_motif(self, b, x, broken):
        c = b.choices
        k = x.type.shape[-1]
        n = c.integer(1, 4)
        widths = [n, n, n]
        if broken == "widths_differ":
            widths[c.integer(0, 2)] = n + 1
        pick = c.integer(0, 2)
        ws = []
        for i, m in enumerate(widths):
            wt = TensorType(x.type.dtype, (k, m))
            ws.append(b.new_input(wt) if broken == "weight_input" and i == pick else b.const(wt))
        return [x] + ws, {}

    def infer(self, types, attrs):
        x = types[0]
        return [x.with_shape(x.shape[:-1] + (w.shape[1],)) for w in types[1:]]

    def torch(self, ctx, attrs, a):
        return "(" + ", ".join(f"torch.matmul({a[0]}, {w})" for w in a[1:]) + ")"

    def onnx(self, ctx, attrs, a, outs):
        for w, out in zip(a[1:], outs):
            ctx.node("MatMul", [a[0], w], [out])


class AdjustAdd(PassMotif):
    """Add(c, x) with c constant and x not: the operands swapped (constant second)."""

    name = "motif_opt_adjust_add"
    onnx_ops = ("Add",)
    dtypes = FLOAT32_64_INT32_64
    rewrites = (("onnxoptimizer", "adjust_add"),)
    guards = ("const_second", "both_inputs")

    def draw_motif(self, b, x, broken):
        ct = TensorType(x.type.dtype, broadcast_partner(b, x.type.shape))
        cst = b.new_input(ct) if broken == "both_inputs" else b.const(ct)
        return [x, cst], {"const_first": broken != "const_second"}

    def infer(self, types, attrs):
        from fuzzer.ir import broadcast_shapes

        return [types[0].with_shape(broadcast_shapes(types[0].shape, types[1].shape))]

    def torch(self, ctx, attrs, a):
        return f"({a[1]} + {a[0]})" if attrs["const_first"] else f"({a[0]} + {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Add", [a[1], a[0]] if attrs["const_first"] else a, outs)


class SliceMatMul(PassMotif):
    """x + MatMul(Slice(A, rows), B), A and B constants, the Slice on any axis but the last and
    used once: the MatMul moves before the Slice."""

    name = "motif_opt_slice_matmul"
    onnx_ops = ("Slice", "MatMul", "Add")
    dtypes = FLOAT32_64
    min_rank = max_rank = 2
    rewrites = (("onnxoptimizer", "adjust_slice_and_matmul"),)
    guards = ("last_axis", "data_input", "tap")

    def draw_motif(self, b, x, broken):
        c = b.choices
        p, n = x.type.shape
        k = c.integer(1, 4)
        dtype = x.type.dtype
        if broken == "last_axis":  # A (p, K) sliced along its columns to k
            big = k + c.integer(1, 3)
            start = c.integer(0, big - k)
            at = TensorType(dtype, (p, big))
            axis = 1
        else:
            big = p + c.integer(0, 3)
            start = c.integer(0, big - p)
            at = TensorType(dtype, (big, k))
            axis = 0
        a_val = b.new_input(at) if broken == "data_input" else b.const(at)
        bv = b.const(TensorType(dtype, (k, n)))
        size = k if axis == 1 else p
        return [x, a_val, bv], {"axis": neg(b, axis, 2), "start": start, "end": start + size,
                                "tap": broken == "tap"}

    def infer(self, types, attrs):
        a = types[1]
        d = norm_dim(attrs["axis"], 2)
        sliced = a.with_shape(tuple(attrs["end"] - attrs["start"] if i == d else s for i, s in enumerate(a.shape)))
        return tapped([types[0]], sliced, attrs)

    def torch(self, ctx, attrs, a):
        d = norm_dim(attrs["axis"], 2)
        return chain(f"torch.narrow({a[1]}, {d}, {attrs['start']}, {attrs['end'] - attrs['start']})",
                     f"{a[0]} + torch.matmul(t, {a[2]})", attrs)

    def onnx(self, ctx, attrs, a, outs):
        mid = middle_name(ctx, outs, attrs, "slice")
        ctx.node("Slice", [a[1], ctx.ints([attrs["start"]]), ctx.ints([attrs["end"]]), ctx.ints([attrs["axis"]])], [mid])
        y = ctx.node("MatMul", [mid, a[2]])[0]
        ctx.node("Add", [a[0], y], [outs[0]])


class WhereNot(PassMotif):
    """Where(Not(c), x, y), the Not used once: Where(c, y, x)."""

    name = "motif_opt_where_not"
    onnx_ops = ("Not", "Where")
    dtypes = COMMON_AND_BOOL
    rewrites = (("onnxoptimizer", "rewrite_where"),
                ("onnxsim", "rewrite_where"))
    guards = ("tap",)

    def draw_motif(self, b, x, broken):
        t = x.type
        cond = b.operand(TensorType(DType.bool, broadcast_partner(b, t.shape)))
        other = b.operand(t)
        return [x, cond, other], {"tap": broken == "tap"}

    def infer(self, types, attrs):
        from fuzzer.ir import broadcast_shapes

        out = types[0].with_shape(broadcast_shapes(*(t.shape for t in types)))
        return tapped([out], types[1], attrs)

    def torch(self, ctx, attrs, a):
        return chain(f"torch.logical_not({a[1]})", f"torch.where(t, {a[0]}, {a[2]})", attrs)

    def onnx(self, ctx, attrs, a, outs):
        mid = middle_name(ctx, outs, attrs, "not")
        ctx.node("Not", [a[1]], [mid])
        ctx.node("Where", [mid, a[0], a[2]], [outs[0]])


class ConcatReshape(PassMotif):
    """Reshape(x, Concat(shape pieces)) whose pieces are constants (int64, or int32 then a Cast),
    at most one a one-element piece of Shape(x): a Reshape to a constant shape."""

    name = "motif_opt_concat_reshape"
    onnx_ops = ("Concat", "Reshape", "Shape", "Gather", "Cast")
    dtypes = COMMON_AND_BOOL
    min_rank = 1
    rewrites = (("onnxoptimizer", "fuse_concat_into_reshape"),
                ("onnxsim", "fuse_concat_into_reshape"))
    guards = ("shape_piece",)

    def draw_motif(self, b, x, broken):
        c = b.choices
        t = x.type
        if broken == "shape_piece":  # the whole Shape(x) as one piece: several unknown elements
            if t.rank < 2:
                raise Rejected("a rank-1 Shape is a one-element piece")
            target = list(t.shape) + [1]
            return [x], {"shape": target, "pieces": [["shape"], [1]], "int32": False}
        target = factor_shape(b, t.numel)
        cuts = sorted(set(c.integer(1, len(target)) for _ in range(c.integer(0, 2))) | {len(target)})
        pieces, start = [], 0
        for cut in cuts:
            pieces.append(list(target[start:cut]))
            start = cut
        # one element copied from Shape(x) when some dim of x has that size
        dynamic = [(i, j) for i, d in enumerate(t.shape) for j, e in enumerate(target) if d == e]
        if dynamic and c.boolean(0.4):
            i, j = c.choice(dynamic)
            flat = [[v] for v in target]
            flat[j] = ["dim", i]
            pieces = flat
        return [x], {"shape": target, "pieces": pieces, "int32": c.boolean(0.3)}

    def infer(self, types, attrs):
        return [types[0].with_shape(tuple(attrs["shape"]))]

    def torch(self, ctx, attrs, a):
        return f"{a[0]}.reshape({py(tuple(attrs['shape']))})"

    def onnx(self, ctx, attrs, a, outs):
        from onnx import TensorProto

        int32 = attrs["int32"]
        names, shape = [], None
        for piece in attrs["pieces"]:
            if piece and piece[0] in ("shape", "dim"):
                shape = shape or ctx.node("Shape", [a[0]])[0]
                name = shape if piece[0] == "shape" else ctx.node("Gather", [shape, ctx.ints([piece[1]])])[0]
                names.append(ctx.node("Cast", [name], to=TensorProto.INT32)[0] if int32 else name)
            else:
                names.append(ctx.const(np.asarray(piece, dtype=np.int32)) if int32 else ctx.ints(piece))
        full = ctx.node("Concat", names, axis=0)[0]
        if int32:  # the int32 pieces concatenated, then the shape cast to int64
            full = ctx.node("Cast", [full], to=TensorProto.INT64)[0]
        ctx.node("Reshape", [a[0], full], outs)


# -- zero biases --------------------------------------------------------------------
class ConvZeroBias(ConvLike):
    """Conv(x, W, B) with B an all-zero initializer: the bias input dropped."""

    name = "motif_osr_conv_zero_bias"
    onnx_ops = ("Conv",)
    rewrites = (("onnxscript", "RemoveOptionalBiasFromConv"),)
    guards = ("nonzero_bias", "bias_input")

    def draw_motif(self, b, x, broken):
        g = conv_geometry(b, x.type)
        ops, cout = self.conv_operands(b, x, False, False, False, g)
        bt = TensorType(x.type.dtype, (cout,))
        if broken == "bias_input":
            bias = b.new_input(bt)
        else:
            bias = b.int_const(np.full((cout,), 0.5 if broken == "nonzero_bias" else 0.0), x.type.dtype)
        return ops + [bias], {"conv": g}

    def infer(self, types, attrs):
        return [self.conv_type(types[0], types[1].shape[0], attrs["conv"])]

    def torch(self, ctx, attrs, a):
        return self.conv_torch(attrs, a[0], a[1], a[2])

    def onnx(self, ctx, attrs, a, outs):
        conv_onnx(ctx, a[0], a[1], a[2], attrs["conv"], outs)


class GemmZeroBias(PassMotif):
    """Gemm(x, W, C) with C an all-zero initializer: C dropped."""

    name = "motif_osr_gemm_zero_bias"
    onnx_ops = ("Gemm",)
    dtypes = FLOAT32_64
    min_rank = max_rank = 2
    rewrites = (("onnxscript", "RemoveOptionalBiasFromGemm"),)
    guards = ("nonzero_bias", "bias_input")

    def draw_motif(self, b, x, broken):
        c = b.choices
        n, k = x.type.shape
        m = c.integer(1, 4)
        w = b.operand(TensorType(x.type.dtype, (k, m)), weight=c.boolean(0.7))
        shape = c.choice([(m,), (n, m), (1, m)])
        if broken == "bias_input":
            bias = b.new_input(TensorType(x.type.dtype, shape))
        else:
            bias = b.int_const(np.full(shape, 0.5 if broken == "nonzero_bias" else 0.0), x.type.dtype)
        return [x, w, bias], {}

    def infer(self, types, attrs):
        return [types[0].with_shape((types[0].shape[0], types[1].shape[1]))]

    def torch(self, ctx, attrs, a):
        return f"(torch.matmul({a[0]}, {a[1]}) + {a[2]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Gemm", a, outs)
