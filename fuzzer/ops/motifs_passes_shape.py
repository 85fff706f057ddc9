"""Rewrite motifs for the ONNX-to-ONNX optimizers: data movement and no-op eliminations
(consecutive Transposes, Squeezes, Unsqueezes, Concats, Slices and Reshapes fused; a
Reduce and the Unsqueeze undoing its keepdims=0 fused; Softmax then Log turned into
LogSoftmax; identity Transpose, Pad, Cast, Flatten, Reshape, Split, Concat and Expand
removed; a monotone op before an ArgMax removed; idempotent ops run twice).

Every motif's torch lowering is the float64 truth; see fuzzer.ops.motifs_passes_base for how
the side of the guard is drawn.
"""
from __future__ import annotations

import math

from fuzzer.errors import Rejected
from fuzzer.ir import DType
from fuzzer.ops.base import norm_dim, py
from fuzzer.ops.lowering import reduce
from fuzzer.ops.dtypes import COMMON_AND_BOOL, COMMON_NUMERIC, FLOAT32_64, FLOAT32_64_INT32_64
from fuzzer.ops.motifs_passes_base import PassMotif, chain, middle_name, tapped
from fuzzer.ops.shape import neg, shuffled



def perm_of(b, rank: int) -> list[int]:
    return shuffled(b, range(rank))


def reshaped(x: str, shape) -> str:
    return f"{x}.reshape({py(tuple(shape))})"


# -- consecutive ops fused ----------------------------------------------------------
class TransposeTranspose(PassMotif):
    """Transpose(p1) -> Transpose(p2): one Transpose of the composed permutation. onnxoptimizer
    composes two explicit perms (or drops two omitted ones) but leaves one omitted perm alone."""

    name = "motif_opt_transpose_transpose"
    onnx_ops = ("Transpose",)
    dtypes = COMMON_AND_BOOL
    min_rank = 2
    rewrites = (("onnxoptimizer", "fuse_consecutive_transposes"), ("onnxscript", "TransposeTranspose"),
                ("onnxslim", "EliminationTranspose"),
                ("onnxsim", "fuse_consecutive_transposes"))
    #: tap breaks onnxscript's and onnxslim's rules (they fuse only an intermediate with no other use)
    guards = ("one_perm_omitted", "tap")

    def draw_motif(self, b, x, broken):
        r = x.type.rank
        p1, p2 = perm_of(b, r), perm_of(b, r)
        if broken == "one_perm_omitted":
            if b.choices.boolean(0.5):
                p1 = None
            else:
                p2 = None
        return [x], {"p1": p1, "p2": p2, "tap": broken == "tap"}

    @staticmethod
    def perm(p, rank):
        return list(range(rank))[::-1] if p is None else p

    def infer(self, types, attrs):
        t = types[0]
        p1, p2 = self.perm(attrs["p1"], t.rank), self.perm(attrs["p2"], t.rank)
        mid = t.with_shape(tuple(t.shape[i] for i in p1))
        return tapped([t.with_shape(tuple(mid.shape[i] for i in p2))], mid, attrs)

    def torch(self, ctx, attrs, a):
        r = len(attrs["p1"] or attrs["p2"])
        p1, p2 = self.perm(attrs["p1"], r), self.perm(attrs["p2"], r)
        return chain(f"{a[0]}.permute({py(tuple(p1))})", f"t.permute({py(tuple(p2))})", attrs)

    def onnx(self, ctx, attrs, a, outs):
        mid = middle_name(ctx, outs, attrs, "transpose")
        ctx.node("Transpose", a, [mid], perm=attrs["p1"])
        ctx.node("Transpose", [mid], [outs[0]], perm=attrs["p2"])


class NopTranspose(PassMotif):
    """Transpose with the identity permutation: removed."""

    name = "motif_opt_nop_transpose"
    onnx_ops = ("Transpose",)
    dtypes = COMMON_AND_BOOL
    min_rank = 1
    rewrites = (("onnxoptimizer", "eliminate_nop_transpose"), ("onnxscript", "TransposeIdentity"),
                ("onnxsim", "eliminate_nop_transpose"))
    guards = ("not_identity",)

    def draw_motif(self, b, x, broken):
        r = x.type.rank
        perm = list(range(r))
        if broken == "not_identity":
            if r < 2:
                raise Rejected("no other permutation of one axis")
            i, j = sorted(shuffled(b, range(r))[:2])
            perm[i], perm[j] = perm[j], perm[i]
        return [x], {"perm": perm}

    def infer(self, types, attrs):
        return [types[0].with_shape(tuple(types[0].shape[i] for i in attrs["perm"]))]

    def torch(self, ctx, attrs, a):
        return f"{a[0]}.permute({py(tuple(attrs['perm']))})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Transpose", a, outs, perm=attrs["perm"])


class SqueezeSqueeze(PassMotif):
    """Unsqueeze(x, new axes) -> Squeeze(axes1) -> Squeeze(axes2): the two Squeezes fuse when
    both spell their axes (onnxoptimizer cannot compose an omitted 'every 1' axes list)."""

    name = "motif_opt_squeeze_squeeze"
    onnx_ops = ("Unsqueeze", "Squeeze")
    dtypes = COMMON_AND_BOOL
    max_rank = 3
    rewrites = (("onnxoptimizer", "fuse_consecutive_squeezes"),)
    guards = ("axes_omitted",)

    def draw_motif(self, b, x, broken):
        c = b.choices
        r = x.type.rank
        k = c.integer(2, 3)
        grown = r + k
        new = sorted(shuffled(b, range(grown))[:k])
        s0 = list(x.type.shape)
        for d in new:
            s0.insert(d, 1)
        ones = [i for i, d in enumerate(s0) if d == 1]
        first = sorted(shuffled(b, ones)[:c.integer(1, len(ones) - 1)])
        s1 = [d for i, d in enumerate(s0) if i not in first]
        ones1 = [i for i, d in enumerate(s1) if d == 1]
        if broken == "axes_omitted":
            second = None
            s2 = [d for d in s1 if d != 1]
        else:
            second = sorted(shuffled(b, ones1)[:c.integer(1, len(ones1))])
            s2 = [d for i, d in enumerate(s1) if i not in second]
        return [x], {"new": [neg(b, d, grown) for d in new], "axes1": [neg(b, d, grown) for d in first],
                     "axes2": None if second is None else [neg(b, d, len(s1)) for d in second],
                     "shape1": s1, "shape": s2, "tap": c.boolean(0.2)}

    def infer(self, types, attrs):
        t = types[0]
        return tapped([t.with_shape(tuple(attrs["shape"]))], t.with_shape(tuple(attrs["shape1"])), attrs)

    def torch(self, ctx, attrs, a):
        return chain(reshaped(a[0], attrs["shape1"]), reshaped("t", attrs["shape"]), attrs)

    def onnx(self, ctx, attrs, a, outs):
        grown = ctx.node("Unsqueeze", [a[0], ctx.ints(attrs["new"])])[0]
        mid = middle_name(ctx, outs, attrs, "squeeze")
        ctx.node("Squeeze", [grown, ctx.ints(attrs["axes1"])], [mid])
        second = [mid] if attrs["axes2"] is None else [mid, ctx.ints(attrs["axes2"])]
        ctx.node("Squeeze", second, [outs[0]])


class UnsqueezeUnsqueeze(PassMotif):
    """Unsqueeze(axes1) -> Unsqueeze(axes2): one Unsqueeze. onnxscript's rule takes a single
    non-negative axis on each; onnxoptimizer takes any."""

    name = "motif_opt_unsqueeze_unsqueeze"
    onnx_ops = ("Unsqueeze",)
    dtypes = COMMON_AND_BOOL
    max_rank = 3
    rewrites = (("onnxoptimizer", "fuse_consecutive_unsqueezes"), ("onnxscript", "UnsqueezeUnsqueeze"),
                ("onnxsim", "fuse_consecutive_unsqueezes"))
    #: all three break onnxscript's rule only: onnxoptimizer composes any axes, tapped or not
    guards = ("negative_axis", "several_axes", "tap")

    def draw_motif(self, b, x, broken):
        c = b.choices
        r = x.type.rank
        n1 = 2 if broken == "several_axes" else 1
        a1 = sorted(shuffled(b, range(r + n1))[:n1])
        a2 = [c.integer(0, r + n1)]
        s1 = list(x.type.shape)
        for d in a1:
            s1.insert(d, 1)
        s2 = list(s1)
        s2.insert(a2[0], 1)
        if broken == "negative_axis":
            a2 = [a2[0] - (r + n1 + 1)]
        return [x], {"axes1": a1, "axes2": a2, "shape1": s1, "shape": s2, "tap": broken == "tap"}

    def infer(self, types, attrs):
        t = types[0]
        return tapped([t.with_shape(tuple(attrs["shape"]))], t.with_shape(tuple(attrs["shape1"])), attrs)

    def torch(self, ctx, attrs, a):
        return chain(reshaped(a[0], attrs["shape1"]), reshaped("t", attrs["shape"]), attrs)

    def onnx(self, ctx, attrs, a, outs):
        mid = middle_name(ctx, outs, attrs, "unsqueeze")
        ctx.node("Unsqueeze", [a[0], ctx.ints(attrs["axes1"])], [mid])
        ctx.node("Unsqueeze", [mid, ctx.ints(attrs["axes2"])], [outs[0]])


class ConcatConcat(PassMotif):
    """Concat(axis) feeding a Concat on the same axis, as its only use: the inner operands join
    the outer list. onnxoptimizer compares the axis attributes as written, so one negative and
    one positive spelling of the same axis is left alone."""

    name = "motif_opt_concat_concat"
    onnx_ops = ("Concat",)
    dtypes = COMMON_NUMERIC
    min_rank = 1
    rewrites = (("onnxoptimizer", "fuse_consecutive_concats"),
                ("onnxsim", "fuse_consecutive_concats"))
    guards = ("other_axis", "axis_spelling", "tap")

    def draw_motif(self, b, x, broken):
        c = b.choices
        t = x.type
        r = t.rank
        d1 = c.integer(0, r - 1)
        d2 = d1
        if broken == "other_axis":
            if r < 2:
                raise Rejected("one axis only")
            d2 = (d1 + c.integer(1, r - 1)) % r
        y1 = b.operand(t.with_shape(tuple(c.integer(1, 3) if i == d1 else s for i, s in enumerate(t.shape))))
        mid = tuple(s + y1.type.shape[d1] if i == d1 else s for i, s in enumerate(t.shape))
        y2 = b.operand(t.with_shape(tuple(c.integer(1, 3) if i == d2 else s for i, s in enumerate(mid))))
        if broken == "axis_spelling":
            a1, a2 = (d1 - r, d2) if c.boolean(0.5) else (d1, d2 - r)
        else:
            a1 = a2 = neg(b, d1, r) if d1 == d2 else None
            if a1 is None:
                a1, a2 = neg(b, d1, r), neg(b, d2, r)
        return [x, y1, y2], {"axis1": a1, "axis2": a2, "inner_first": c.boolean(0.6), "tap": broken == "tap"}

    def infer(self, types, attrs):
        x, y1, y2 = types
        r = x.rank
        d1, d2 = norm_dim(attrs["axis1"], r), norm_dim(attrs["axis2"], r)
        mid = x.with_shape(tuple(s + y1.shape[d1] if i == d1 else s for i, s in enumerate(x.shape)))
        out = mid.with_shape(tuple(s + y2.shape[d2] if i == d2 else s for i, s in enumerate(mid.shape)))
        return tapped([out], mid, attrs)

    def torch(self, ctx, attrs, a):
        outer = f"[t, {a[2]}]" if attrs["inner_first"] else f"[{a[2]}, t]"
        return chain(f"torch.cat([{a[0]}, {a[1]}], {attrs['axis1']})", f"torch.cat({outer}, {attrs['axis2']})", attrs)

    def onnx(self, ctx, attrs, a, outs):
        mid = middle_name(ctx, outs, attrs, "concat")
        ctx.node("Concat", [a[0], a[1]], [mid], axis=attrs["axis1"])
        ctx.node("Concat", [mid, a[2]] if attrs["inner_first"] else [a[2], mid], [outs[0]], axis=attrs["axis2"])


class ReduceUnsqueeze(PassMotif):
    """Reduce(axes, keepdims=0) -> Unsqueeze(the same axes): one Reduce with keepdims=1.
    onnxoptimizer wants keepdims spelled out and the two axes lists equal as written."""

    name = "motif_opt_reduce_unsqueeze"
    onnx_ops = ("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "Unsqueeze")
    dtypes = FLOAT32_64_INT32_64
    min_rank = 1
    rewrites = (("onnxoptimizer", "fuse_consecutive_reduce_unsqueeze"),
                ("onnxsim", "fuse_consecutive_reduce_unsqueeze"))
    guards = ("axes_spelling", "other_axes", "keepdims_omitted", "tap")

    def draw_motif(self, b, x, broken):
        c = b.choices
        t = x.type
        r = t.rank
        ops = ["ReduceSum", "ReduceMax", "ReduceMin"] + (["ReduceMean"] if t.dtype.is_float else [])
        op = c.choice(ops)
        axes = sorted(shuffled(b, range(r))[:c.integer(1, r)])
        spelled = [neg(b, d, r) for d in axes]
        unsq = list(spelled)
        if broken == "axes_spelling":
            i = c.integer(0, len(axes) - 1)
            unsq[i] = axes[i] - r if spelled[i] >= 0 else axes[i]
        keep = broken == "keepdims_omitted"
        reduced = ([1 if i in axes else s for i, s in enumerate(t.shape)] if keep
                   else [s for i, s in enumerate(t.shape) if i not in axes])
        if broken == "other_axes":
            unsq = [c.integer(0, len(reduced))]
        elif keep:
            unsq = [c.integer(0, len(reduced))]
        out = list(reduced)
        for d in sorted(norm_dim(u, len(reduced) + len(unsq)) for u in unsq):
            out.insert(d, 1)
        return [x], {"op": op, "axes": spelled, "unsqueeze": unsq, "keepdims": None if keep else 0,
                     "reduced": reduced, "shape": out, "tap": broken == "tap"}

    def infer(self, types, attrs):
        t = types[0]
        return tapped([t.with_shape(tuple(attrs["shape"]))], t.with_shape(tuple(attrs["reduced"])), attrs)

    def torch(self, ctx, attrs, a):
        fn = {"ReduceSum": "sum", "ReduceMean": "mean", "ReduceMax": "amax", "ReduceMin": "amin"}[attrs["op"]]
        keep = attrs["keepdims"] is None
        dtype = f", dtype={a[0]}.dtype" if fn == "sum" else ""  # torch sums int32 into int64
        return chain(f"{a[0]}.{fn}({py(tuple(attrs['axes']))}, keepdim={keep}{dtype})", reshaped("t", attrs["shape"]), attrs)

    def onnx(self, ctx, attrs, a, outs):
        mid = middle_name(ctx, outs, attrs, "reduce")
        op, axes = attrs["op"], attrs["axes"]
        if attrs["keepdims"] is None:  # the attribute left out: its default, 1
            if op == "ReduceSum" or ctx.opset >= 18:
                ctx.node(op, [a[0], ctx.ints(axes)], [mid])
            else:
                ctx.node(op, [a[0]], [mid], axes=list(axes))
        else:
            reduce(ctx, op, a[0], axes, False, [mid])
        ctx.node("Unsqueeze", [mid, ctx.ints(attrs["unsqueeze"])], [outs[0]])


class SoftmaxLog(PassMotif):
    """Log(Softmax(x, axis)), the Softmax output used once: one LogSoftmax."""

    name = "motif_opt_log_softmax"
    onnx_ops = ("Softmax", "Log")
    dtypes = FLOAT32_64
    min_rank = 1
    rewrites = (("onnxoptimizer", "fuse_consecutive_log_softmax"),
                ("onnxsim", "fuse_consecutive_log_softmax"))
    guards = ("tap",)

    def draw_motif(self, b, x, broken):
        r = x.type.rank
        axis = neg(b, b.choices.integer(0, r - 1), r)
        # axis left to its default (-1) too: the pass reads the Softmax's axis attribute
        spell = axis != -1 or b.choices.boolean(0.5)
        return [x], {"axis": axis, "spell_axis": spell, "tap": broken == "tap"}

    def infer(self, types, attrs):
        return tapped([types[0]], types[0], attrs)

    def torch(self, ctx, attrs, a):
        return chain(f"torch.softmax({a[0]}, {attrs['axis']})", "torch.log(t)", attrs)

    def onnx(self, ctx, attrs, a, outs):
        mid = middle_name(ctx, outs, attrs, "softmax")
        ctx.node("Softmax", a, [mid], axis=attrs["axis"] if attrs["spell_axis"] else None)
        ctx.node("Log", [mid], [outs[0]])


def slice_draw(b, shape, axes):
    """(starts, ends, steps) of a non-empty Slice along each of axes of shape, starts sometimes
    negative, ends sometimes past the end."""
    c = b.choices
    starts, ends, steps = [], [], []
    for d in axes:
        n = shape[d]
        s = c.integer(0, n - 1)
        e = c.integer(s + 1, n)
        step = c.choice([1, 1, 2])
        starts.append(s - n if c.boolean(0.3) else s)
        ends.append(e if e < n or c.boolean(0.5) else c.choice([n + 5, 2**31 - 1]))
        steps.append(step)
    return starts, ends, steps


def sliced_shape(shape, axes, starts, ends, steps):
    out = list(shape)
    for d, s, e, st in zip(axes, starts, ends, steps):
        n = shape[d]
        s = max(0, s + n if s < 0 else min(s, n))
        e = min(n, e)
        out[d] = max(0, math.ceil((e - s) / st))
    return out


def slice_torch(x: str, rank: int, axes, starts, ends, steps) -> str:
    idx = [":"] * rank
    for d, s, e, st in zip(axes, starts, ends, steps):
        idx[d] = f"{s}:{min(e, 2**31 - 1)}:{st}"
    return f"{x}[{', '.join(idx)}]" if rank > 1 else f"{x}[{idx[0]},]"


class SliceSlice(PassMotif):
    """Slice -> Slice on disjoint axes, both with explicit axes and steps: one Slice.

    onnxoptimizer's fuse_consecutive_slices fuses this too, but only when the intermediate's
    shape is recorded (value_info), which a direct model does not carry: it is not claimed."""

    name = "motif_slim_slice_slice"
    onnx_ops = ("Slice",)
    dtypes = COMMON_NUMERIC
    min_rank = 1
    rewrites = (("onnxslim", "EliminationSlice"),
                ("onnxsim", "fuse_consecutive_slices"))
    guards = ("same_axis", "steps_omitted", "tap")

    def draw_motif(self, b, x, broken):
        c = b.choices
        t = x.type
        r = t.rank
        if broken == "same_axis":
            ax1 = ax2 = [c.integer(0, r - 1)]
        else:
            if r < 2:
                raise Rejected("disjoint axes need rank 2")
            order = shuffled(b, range(r))
            k = c.integer(1, r - 1)
            ax1, ax2 = sorted(order[:k]), sorted(order[k:][:c.integer(1, r - k)])
        s1 = slice_draw(b, t.shape, ax1)
        mid = sliced_shape(t.shape, ax1, *s1)
        s2 = slice_draw(b, mid, ax2)
        out = sliced_shape(mid, ax2, *s2)
        omit = broken == "steps_omitted"
        if omit:  # omitted steps mean 1
            s1 = (s1[0], s1[1], [1] * len(ax1))
            mid = sliced_shape(t.shape, ax1, *s1)
            s2 = slice_draw(b, mid, ax2)
            s2 = (s2[0], s2[1], [1] * len(ax2))
            out = sliced_shape(mid, ax2, *s2)
        return [x], {"axes1": [neg(b, d, r) for d in ax1], "slice1": list(s1), "mid": mid,
                     "axes2": [neg(b, d, r) for d in ax2], "slice2": list(s2), "shape": out,
                     "omit_steps": omit, "tap": broken == "tap"}

    def infer(self, types, attrs):
        t = types[0]
        return tapped([t.with_shape(tuple(attrs["shape"]))], t.with_shape(tuple(attrs["mid"])), attrs)

    def torch(self, ctx, attrs, a):
        r = len(attrs["shape"])
        ax1 = [norm_dim(d, r) for d in attrs["axes1"]]
        ax2 = [norm_dim(d, r) for d in attrs["axes2"]]
        return chain(slice_torch(a[0], r, ax1, *attrs["slice1"]), slice_torch("t", r, ax2, *attrs["slice2"]), attrs)

    def onnx(self, ctx, attrs, a, outs):
        mid = middle_name(ctx, outs, attrs, "slice")
        for k, (src, dst) in enumerate(((a[0], mid), (mid, outs[0])), start=1):
            starts, ends, steps = attrs[f"slice{k}"]
            ins = [src, ctx.ints(starts), ctx.ints(ends), ctx.ints(attrs[f"axes{k}"])]
            # the first Slice keeps its steps: only the second's are left out
            if not (attrs["omit_steps"] and k == 2):
                ins.append(ctx.ints(steps))
            ctx.node("Slice", ins, [dst])


class ReshapeReshape(PassMotif):
    """Reshape(s1) -> Reshape(s2): one Reshape. The second shape may copy a dim with 0, which
    refers to the first Reshape's output: a rewrite that drops the first Reshape must resolve
    it (onnxoptimizer's eliminate_consecutive_idempotent_ops treats Reshape as idempotent)."""

    name = "motif_opt_reshape_reshape"
    onnx_ops = ("Reshape",)
    dtypes = COMMON_AND_BOOL
    rewrites = (("onnxoptimizer", "eliminate_consecutive_idempotent_ops"), ("onnxscript", "ReshapeReshape"),
                ("onnxslim", "EliminationReshape"),
                ("onnxsim", "eliminate_consecutive_idempotent_ops"), ("onnxsim", "fuse_consecutive_reshapes"))
    guards = ("tap",)

    def draw_motif(self, b, x, broken):
        c = b.choices
        n = x.type.numel
        mid, out = factor_shape(b, n), factor_shape(b, n)
        spelled = list(out)
        # one 0 (copy the intermediate's dim) or one -1 (infer it), as onnxscript can resolve
        same = [i for i in range(min(len(mid), len(out))) if mid[i] == out[i]]
        k = c.integer(0, 2)
        if k == 1 and same:
            spelled[c.choice(same)] = 0
        elif k == 2:
            spelled[c.integer(0, len(out) - 1)] = -1
        return [x], {"mid": mid, "shape": out, "spelled": spelled, "tap": broken == "tap"}

    def infer(self, types, attrs):
        t = types[0]
        return tapped([t.with_shape(tuple(attrs["shape"]))], t.with_shape(tuple(attrs["mid"])), attrs)

    def torch(self, ctx, attrs, a):
        return chain(reshaped(a[0], attrs["mid"]), reshaped("t", attrs["shape"]), attrs)

    def onnx(self, ctx, attrs, a, outs):
        mid = middle_name(ctx, outs, attrs, "reshape")
        ctx.node("Reshape", [a[0], ctx.ints(attrs["mid"])], [mid])
        ctx.node("Reshape", [mid, ctx.ints(attrs["spelled"])], [outs[0]])


def factor_shape(b, n: int) -> list[int]:
    """A random shape of n elements, rank 1 to 4."""
    c = b.choices
    dims, rest = [], n
    for _ in range(c.integer(0, 3)):
        divs = [d for d in range(1, rest + 1) if rest % d == 0]
        d = c.choice(divs)
        dims.append(d)
        rest //= d
    dims.append(rest)
    return shuffled(b, dims)


# -- no-ops removed -----------------------------------------------------------------
class NopPad(PassMotif):
    """Pad whose pads are all 0 (any mode, value spelled or not): removed."""

    name = "motif_opt_nop_pad"
    onnx_ops = ("Pad",)
    dtypes = FLOAT32_64_INT32_64
    min_rank = 1
    rewrites = (("onnxoptimizer", "eliminate_nop_pad"),
                ("onnxsim", "eliminate_nop_pad"))
    guards = ("nonzero_pad",)

    def draw_motif(self, b, x, broken):
        c = b.choices
        r = x.type.rank
        pads = [0] * (2 * r)
        mode = c.choice(["constant", "reflect", "edge"])
        if broken == "nonzero_pad":
            pads[c.integer(0, 2 * r - 1)] = c.integer(1, 2)
            mode = "constant"
        value = c.choice([None, 0, 1]) if mode == "constant" else None
        return [x], {"pads": pads, "mode": mode, "value": value}

    def infer(self, types, attrs):
        t, p = types[0], attrs["pads"]
        r = t.rank
        return [t.with_shape(tuple(s + p[i] + p[i + r] for i, s in enumerate(t.shape)))]

    def torch(self, ctx, attrs, a):
        p = attrs["pads"]
        r = len(p) // 2
        if not any(p):
            return f"{a[0]}.clone()"
        flat = [v for d in reversed(range(r)) for v in (p[d], p[d + r])]
        return f"F.pad({a[0]}, {py(tuple(flat))}, value={attrs['value'] or 0})"

    def onnx(self, ctx, attrs, a, outs):
        ins = [a[0], ctx.ints(attrs["pads"])]
        if attrs["value"] is not None:
            ins.append(ctx.scalar(attrs["value"], ctx.types[a[0]].dtype))
        ctx.node("Pad", ins, outs, mode=attrs["mode"])


class NopCast(PassMotif):
    """Cast to the dtype its input already has: removed. (onnxscript's CastIdentity rule would
    remove it too, but onnxscript.optimizer.optimize folds it away before its rules run.)"""

    name = "motif_opt_nop_cast"
    onnx_ops = ("Cast",)
    dtypes = COMMON_AND_BOOL
    rewrites = (("onnxoptimizer", "eliminate_nop_cast"),
                ("onnxsim", "eliminate_nop_cast"))
    guards = ("other_dtype",)

    def draw_motif(self, b, x, broken):
        to = x.type.dtype
        if broken == "other_dtype":
            to = b.choices.choice(sorted((COMMON_AND_BOOL - {to, DType.bool}), key=lambda d: d.value))
        return [x], {"to": to.value}

    def infer(self, types, attrs):
        return [types[0].with_dtype(DType(attrs["to"]))]

    def torch(self, ctx, attrs, a):
        return f"{a[0]}.to({ctx.dtype(DType(attrs['to']))})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Cast", a, outs, to=ctx.elem(DType(attrs["to"])))


class CastCast(PassMotif):
    """Cast(Cast(x, to=float32), to=float16): onnxscript keeps the outer Cast only (its rule
    lists the (middle, outer) pairs it knows valid: float32 then float16 or bfloat16). x is
    never float32: its first Cast would be a no-op, which the optimizer folds away first."""

    name = "motif_osr_cast_cast"
    onnx_ops = ("Cast",)
    dtypes = frozenset(FLOAT32_64_INT32_64 - {DType.float32})
    rewrites = (("onnxscript", "CastCast"),)
    guards = ("other_middle", "tap")

    def draw_motif(self, b, x, broken):
        middle = DType.float64 if broken == "other_middle" else DType.float32
        return [x], {"middle": middle.value, "to": DType.float16.value, "tap": broken == "tap"}

    def infer(self, types, attrs):
        t = types[0]
        return tapped([t.with_dtype(DType(attrs["to"]))], t.with_dtype(DType(attrs["middle"])), attrs)

    def torch(self, ctx, attrs, a):
        return chain(f"{a[0]}.to({ctx.dtype(DType(attrs['middle']))})", f"t.to({ctx.dtype(DType(attrs['to']))})", attrs)

    def onnx(self, ctx, attrs, a, outs):
        mid = middle_name(ctx, outs, attrs, "cast")
        ctx.node("Cast", a, [mid], to=ctx.elem(DType(attrs["middle"])))
        ctx.node("Cast", [mid], [outs[0]], to=ctx.elem(DType(attrs["to"])))


class NopFlatten(PassMotif):
    """Flatten of a 2-D tensor at axis 1 (or -1, or 0 over a leading 1): removed. onnxscript
    turns every Flatten of a known shape into a Reshape."""

    name = "motif_opt_nop_flatten"
    onnx_ops = ("Flatten",)
    dtypes = COMMON_AND_BOOL
    min_rank = max_rank = 2
    rewrites = (("onnxoptimizer", "eliminate_nop_flatten"), ("onnxscript", "Flatten2Reshape"),
                ("onnxsim", "eliminate_nop_flatten"))
    guards = ("axis_0",)

    def draw_motif(self, b, x, broken):
        if broken == "axis_0":
            if x.type.shape[0] == 1:
                raise Rejected("axis 0 over a leading 1 is a no-op too")
            return [x], {"axis": 0}
        axes = [None, 1, -1] + ([0] if x.type.shape[0] == 1 else [])
        return [x], {"axis": b.choices.choice(axes)}

    def infer(self, types, attrs):
        t = types[0]
        if attrs["axis"] == 0:
            return [t.with_shape((1, t.numel))]
        return [t]

    def torch(self, ctx, attrs, a):
        return f"{a[0]}.reshape(1, -1)" if attrs["axis"] == 0 else f"{a[0]}.clone()"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Flatten", a, outs, axis=attrs["axis"])


class NopReshape(PassMotif):
    """Reshape to the shape the tensor already has (dims spelled, copied with 0 or one -1):
    removed."""

    name = "motif_opt_nop_reshape"
    onnx_ops = ("Reshape",)
    dtypes = COMMON_AND_BOOL
    min_rank = 1
    rewrites = (("onnxoptimizer", "eliminate_nop_reshape"),
                ("onnxsim", "eliminate_nop_reshape"))
    guards = ("other_shape",)

    def draw_motif(self, b, x, broken):
        c = b.choices
        shape = list(x.type.shape)
        if broken == "other_shape":
            out = [x.type.numel] if len(shape) > 1 else [1, x.type.numel]
            return [x], {"shape": out, "spelled": out}
        spelled = [0 if c.boolean(0.3) else d for d in shape]
        if c.boolean(0.4):
            spelled[c.integer(0, len(shape) - 1)] = -1
        return [x], {"shape": shape, "spelled": spelled}

    def infer(self, types, attrs):
        return [types[0].with_shape(tuple(attrs["shape"]))]

    def torch(self, ctx, attrs, a):
        return reshaped(a[0], attrs["shape"])

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Reshape", [a[0], ctx.ints(attrs["spelled"])], outs)


class NopSplit(PassMotif):
    """Split with one output (the whole axis): removed."""

    name = "motif_opt_nop_split"
    onnx_ops = ("Split",)
    dtypes = COMMON_AND_BOOL
    min_rank = 1
    rewrites = (("onnxoptimizer", "eliminate_nop_split"),
                ("onnxsim", "eliminate_nop_split"))
    guards = ("two_outputs",)

    def draw_motif(self, b, x, broken):
        c = b.choices
        r = x.type.rank
        d = c.integer(0, r - 1)
        n = x.type.shape[d]
        if broken == "two_outputs":
            if n < 2:
                raise Rejected("a length-1 axis splits in one")
            k = c.integer(1, n - 1)
            return [x], {"axis": neg(b, d, r), "split": [k, n - k]}
        return [x], {"axis": neg(b, d, r), "split": [n], "spell_split": c.boolean(0.5)}

    def infer(self, types, attrs):
        t = types[0]
        d = norm_dim(attrs["axis"], t.rank)
        return [t.with_shape(tuple(k if i == d else s for i, s in enumerate(t.shape))) for k in attrs["split"]]

    def torch(self, ctx, attrs, a):
        if len(attrs["split"]) == 1:
            return f"{a[0]}.clone()"
        return f"tuple(torch.split({a[0]}, {py(tuple(attrs['split']))}, {attrs['axis']}))"

    def onnx(self, ctx, attrs, a, outs):
        split = attrs["split"]
        if len(split) == 1 and not attrs.get("spell_split"):
            # no split input: opset 18 wants the output count spelled
            ctx.node("Split", a, outs, axis=attrs["axis"], num_outputs=1 if ctx.opset >= 18 else None)
        else:
            ctx.node("Split", [a[0], ctx.ints(split)], outs, axis=attrs["axis"])


class NopConcat(PassMotif):
    """Concat of one operand: removed."""

    name = "motif_opt_nop_concat"
    onnx_ops = ("Concat",)
    dtypes = COMMON_AND_BOOL
    min_rank = 1
    rewrites = (("onnxoptimizer", "eliminate_nop_concat"),
                ("onnxsim", "eliminate_nop_concat"))
    guards = ("two_operands",)

    def draw_motif(self, b, x, broken):
        r = x.type.rank
        d = b.choices.integer(0, r - 1)
        ops = [x, b.operand(x.type)] if broken == "two_operands" else [x]
        return ops, {"axis": neg(b, d, r)}

    def infer(self, types, attrs):
        t = types[0]
        d = norm_dim(attrs["axis"], t.rank)
        return [t.with_shape(tuple(s * len(types) if i == d else s for i, s in enumerate(t.shape)))]

    def torch(self, ctx, attrs, a):
        return f"torch.cat([{', '.join(a)}], {attrs['axis']})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Concat", a, outs, axis=attrs["axis"])


class NopExpand(PassMotif):
    """Expand to the tensor's own shape: removed (onnxoptimizer also removes an Expand to a
    shape of ones that broadcasts to it; onnxscript's ExpandIdentity rule only the exact shape,
    but onnxscript.optimizer.optimize folds that away before its rules run)."""

    name = "motif_opt_nop_expand"
    onnx_ops = ("Expand",)
    dtypes = COMMON_AND_BOOL
    rewrites = (("onnxoptimizer", "eliminate_nop_expand"),
                ("onnxsim", "eliminate_nop_expand"))
    guards = ("widening", "ones")

    def draw_motif(self, b, x, broken):
        c = b.choices
        shape = list(x.type.shape)
        if broken == "widening":
            shape = [c.integer(2, 3)] + shape
        elif broken == "ones":  # a no-op still, for onnxoptimizer only
            shape = [1] * c.integer(0, len(shape))
        return [x], {"shape": shape}

    def infer(self, types, attrs):
        t = types[0]
        shape = attrs["shape"]
        r = max(len(shape), t.rank)
        a = (1,) * (r - t.rank) + t.shape
        s = (1,) * (r - len(shape)) + tuple(shape)
        return [t.with_shape(tuple(max(p, q) for p, q in zip(a, s)))]

    def torch(self, ctx, attrs, a):
        shape = py(tuple(attrs["shape"]))
        return f"torch.broadcast_to({a[0]}, torch.broadcast_shapes({a[0]}.shape, {shape})).clone()"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Expand", [a[0], ctx.ints(attrs["shape"])], outs)


class MonotoneArgMax(PassMotif):
    """ArgMax(f(x)) for f monotone (Exp, Log, Sqrt; Softmax or LogSoftmax along the same axis),
    f's output used once: f removed."""

    name = "motif_opt_monotone_argmax"
    onnx_ops = ("ArgMax", "Exp", "Log", "Sqrt", "Softmax", "LogSoftmax")
    dtypes = FLOAT32_64
    min_rank = 1
    rewrites = (("onnxoptimizer", "eliminate_nop_monotone_argmax"),
                ("onnxsim", "eliminate_nop_monotone_argmax"))
    guards = ("softmax_other_axis", "tap")

    def draw_motif(self, b, x, broken):
        c = b.choices
        r = x.type.rank
        d = c.integer(0, r - 1)
        fn = c.choice(["Softmax", "LogSoftmax"]) if broken == "softmax_other_axis" else \
            c.choice(["Exp", "Log", "Sqrt", "Softmax", "LogSoftmax"])
        if fn in ("Log", "Sqrt"):
            x = b.guard(x, (0.1, math.inf))
        f_axis = d
        if broken == "softmax_other_axis":
            if r < 2:
                raise Rejected("one axis only")
            f_axis = (d + c.integer(1, r - 1)) % r
        axis = neg(b, d, r)
        # the two axes spelled alike: onnxoptimizer compares them as written
        return [x], {"fn": fn, "axis": axis, "f_axis": axis if f_axis == d else neg(b, f_axis, r),
                     "keepdims": c.choice([None, 0, 1]), "tap": broken == "tap"}

    def infer(self, types, attrs):
        t = types[0]
        d = norm_dim(attrs["axis"], t.rank)
        keep = attrs["keepdims"] != 0
        shape = tuple(1 if i == d else s for i, s in enumerate(t.shape)) if keep else \
            tuple(s for i, s in enumerate(t.shape) if i != d)
        return tapped([t.with_shape(shape).with_dtype(DType.int64)], t, attrs)

    def torch(self, ctx, attrs, a):
        fn = attrs["fn"]
        f = {"Exp": f"torch.exp({a[0]})", "Log": f"torch.log({a[0]})", "Sqrt": f"torch.sqrt({a[0]})",
             "Softmax": f"torch.softmax({a[0]}, {attrs['f_axis']})",
             "LogSoftmax": f"torch.log_softmax({a[0]}, {attrs['f_axis']})"}[fn]
        # f monotone along the axis: the argmax of x itself, so that values f rounds to a tie in
        # float32 do not make the truth depend on float64's finer rounding
        keep = attrs["keepdims"] != 0
        over = a[0] if attrs["f_axis"] == attrs["axis"] else "t"
        return chain(f, f"torch.argmax({over}, {attrs['axis']}, keepdim={keep})", attrs)

    def onnx(self, ctx, attrs, a, outs):
        mid = middle_name(ctx, outs, attrs, "monotone")
        axis = {"axis": attrs["f_axis"]} if attrs["fn"] in ("Softmax", "LogSoftmax") else {}
        ctx.node(attrs["fn"], a, [mid], **axis)
        ctx.node("ArgMax", [mid], [outs[0]], axis=attrs["axis"], keepdims=attrs["keepdims"])


class IdempotentTwice(PassMotif):
    """op(op(x)) for an idempotent op (Ceil, Floor, Round, Sign), the inner output used once:
    the inner op removed."""

    name = "motif_opt_idempotent"
    onnx_ops = ("Ceil", "Floor", "Round", "Sign")
    dtypes = FLOAT32_64
    rewrites = (("onnxoptimizer", "eliminate_consecutive_idempotent_ops"),
                ("onnxsim", "eliminate_consecutive_idempotent_ops"))
    guards = ("tap",)
    ops = ("Ceil", "Floor", "Round", "Sign")
    torch_fn = {"Ceil": "torch.ceil", "Floor": "torch.floor", "Round": "torch.round", "Sign": "torch.sign",
                "Relu": "torch.relu"}

    def draw_motif(self, b, x, broken):
        return [x], {"op": b.choices.choice(list(self.ops)), "tap": broken == "tap"}

    def infer(self, types, attrs):
        return tapped([types[0]], types[0], attrs)

    def torch(self, ctx, attrs, a):
        fn = self.torch_fn[attrs["op"]]
        return chain(f"{fn}({a[0]})", f"{fn}(t)", attrs)

    def onnx(self, ctx, attrs, a, outs):
        mid = middle_name(ctx, outs, attrs, attrs["op"].lower())
        ctx.node(attrs["op"], a, [mid])
        ctx.node(attrs["op"], [mid], [outs[0]])


class ReluRelu(IdempotentTwice):
    name = "motif_opt_relu_relu"
    onnx_ops = ("Relu",)
    rewrites = (("onnxoptimizer", "eliminate_consecutive_idempotent_ops"), ("onnxscript", "FuseSuccessiveRelu"),
                ("onnxsim", "eliminate_consecutive_idempotent_ops"))
    ops = ("Relu",)
