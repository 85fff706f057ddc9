"""Rewrite motifs of ONNX Runtime's level-1 rewrite rules and its constant transformers.

The rules (EliminateIdentity, EliminateSlice, EliminateDropout, ExpandElimination,
CastElimination, NoopElimination, DivMulFusion, FuseReluClip, GemmSumFusion,
GemmTransposeFusion, NotWhereFusion, MatmulBNFusion, PreShapeNodeElimination) all run
inside one transformer, Level1_RuleBasedTransformer, and ORT's log names only that
transformer, at INFO and at VERBOSE alike ("GraphTransformer Level1_RuleBasedTransformer
modified: 1"): so `rewrites` names the transformer, and each motif's docstring the rule
it is made for. An eliminated node must neither read a graph input nor write a graph
output (measured: ORT 1.32 keeps a Slice, Dropout, Expand or Add 0 that reads a graph
input), so each elimination motif puts it between two drawn unary ops (Relu, Neg, Abs)
that the rule leaves alone.
ConstantFolding, ConstantSharing, CommonSubexpressionElimination and the
TransposeOptimizer are transformers of their own and are named as such.
"""
from __future__ import annotations

import numpy as np

from fuzzer.ir import DType, TensorType, broadcast_shapes
from fuzzer.ops.base import py
from fuzzer.ops.motifs_ort import F32, OrtMotif, operand, outs_of

F64, F16 = DType.float64, DType.float16
I32, I64 = DType.int32, DType.int64
RULES = (("onnxruntime", "Level1_RuleBasedTransformer"),)
#: the unary tails, with their torch truth
TAILS = {"Relu": "torch.relu({})", "Neg": "torch.neg({})", "Abs": "torch.abs({})"}


def draw_tail(b, dtype: DType) -> str:
    return b.choices.choice(["Neg", "Abs"] if not dtype.is_float else list(TAILS))


def tail_src(attrs, y: str) -> str:
    return TAILS[attrs["tail"]].format(y)


def with_tap(attrs, main: str, tap: str) -> str:
    return f"({main}, {tap})" if attrs.get("broken") == "tap" else main


class Eliminated(OrtMotif):
    """One node a rule removes, between x and a unary tail: subclasses define middle_src and
    emit_middle (and pattern, infer as needed)."""

    rewrites = RULES
    dtypes = fire_dtypes = frozenset({F32, F64, F16, I32, I64})

    def middle_type(self, types, attrs) -> TensorType:
        return types[0]

    def infer(self, types, attrs):
        m = self.middle_type(types, attrs)
        return self.tapped(attrs, m, m)

    def draw(self, b, x):
        ops, attrs = super().draw(b, x)
        return ops, {**attrs, "head": draw_tail(b, x.type.dtype)}

    def torch(self, ctx, attrs, a):
        h = TAILS[attrs["head"]].format(a[0])
        return (f"(lambda h: (lambda m: {with_tap(attrs, tail_src(attrs, 'm'), 'm')})"
                f"({self.middle_src(ctx, attrs, ['h'] + a[1:])}))({h})")

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        h = ctx.node(attrs["head"], [a[0]], 1)[0]
        m = self.emit_middle(ctx, attrs, [h] + a[1:], [tap] if tap else 1)
        ctx.node(attrs["tail"], [m], [out])


class IdentityMotif(Eliminated):
    """x -> Identity -> tail (EliminateIdentity). Broken: the Identity's output also a graph
    output while its input is a graph input (tap)."""

    name = "motif_ort_identity"
    guards = ("tap",)

    def pattern(self, b, x, broken):
        return [x], {"tail": draw_tail(b, x.type.dtype)}

    def middle_src(self, ctx, attrs, a):
        return a[0]

    def emit_middle(self, ctx, attrs, a, out):
        return ctx.node("Identity", [a[0]], out)[0]


class SliceNoop(Eliminated):
    """Slice from 0 to INT64_MAX with steps 1 or absent, over drawn axes (either spelling) ->
    removed (EliminateSlice). Broken: an end spelled as the dim, past it or INT32_MAX, which
    slices nothing off either but is not matched (value), tap."""

    name = "motif_ort_slice_noop"
    min_rank = 1
    guards = ("value", "tap")

    def pattern(self, b, x, broken):
        c = b.choices
        r = x.type.rank
        axes = sorted({c.integer(0, r - 1) for _ in range(c.integer(1, r))})
        big = [2**63 - 1 for d in axes]
        if broken == "value":  # the end spelled as the dim, past it or INT32_MAX: the same slice, not matched
            big[0] = c.choice([x.type.shape[axes[0]], x.type.shape[axes[0]] + 3, 2**31 - 1])
        return [x], {"axes": [d - r if c.boolean(0.4) else d for d in axes], "ends": big,
                     "steps": c.boolean(0.5), "tail": draw_tail(b, x.type.dtype), "broken": broken}

    def middle_type(self, types, attrs):
        shape = list(types[0].shape)
        for d, e in zip(attrs["axes"], attrs["ends"]):
            shape[d] = min(shape[d], e)
        return types[0].with_shape(tuple(shape))

    def middle_src(self, ctx, attrs, a):
        m = a[0]
        for d, e in zip(attrs["axes"], attrs["ends"]):
            m = f"{m}.narrow({d}, 0, min({m}.shape[{d}], {min(e, 2**31)}))"
        return m

    def emit_middle(self, ctx, attrs, a, out):
        n = len(attrs["axes"])
        ins = [a[0], ctx.ints([0] * n), ctx.ints(attrs["ends"]), ctx.ints(attrs["axes"])]
        if attrs["steps"]:
            ins.append(ctx.ints([1] * n))
        return ctx.node("Slice", ins, out)[0]


class DropoutMotif(Eliminated):
    """Dropout at inference (ratio drawn, given as an input or left out) -> removed
    (EliminateDropout). Broken: its mask output used (tap: the mask, all True, is an output)."""

    name = "motif_ort_dropout"
    dtypes = fire_dtypes = frozenset({F32, F64, F16})
    guards = ("tap",)

    def pattern(self, b, x, broken):
        c = b.choices
        return [x], {"ratio": c.choice([None, 0.0, 0.5, 0.9]), "tail": draw_tail(b, x.type.dtype)}

    def infer(self, types, attrs):
        return self.tapped(attrs, types[0], types[0].with_dtype(DType.bool))

    def torch(self, ctx, attrs, a):
        h = TAILS[attrs["head"]].format(a[0])
        return f"(lambda h: {with_tap(attrs, tail_src(attrs, 'h'), 'torch.ones_like(h, dtype=torch.bool)')})({h})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        ins = [ctx.node(attrs["head"], [a[0]], 1)[0]]
        if attrs["ratio"] is not None:
            ins.append(ctx.scalar(attrs["ratio"], ctx.types[a[0]].dtype))
        d = ctx.node("Dropout", ins, [ctx.fresh("d")] + ([tap] if tap else []))[0]
        ctx.node(attrs["tail"], [d], [out])


class ExpandNoop(Eliminated):
    """Expand to a shape that broadcasts to x's own (ones, x's dims, fewer dims) -> removed
    (ExpandElimination). Broken: a shape that grows x, or the empty shape (value: not matched
    though it keeps x), tap."""

    name = "motif_ort_expand_noop"
    min_rank = 1
    guards = ("value", "tap")

    def pattern(self, b, x, broken):
        c = b.choices
        s = x.type.shape
        k = c.integer(1, len(s))
        shape = [c.choice([1, d]) for d in s[len(s) - k:]]
        if broken == "value":
            shape = c.choice([[2] + list(s), []])
        return [x], {"shape": shape, "tail": draw_tail(b, x.type.dtype)}

    def middle_type(self, types, attrs):
        return types[0].with_shape(broadcast_shapes(types[0].shape, tuple(attrs["shape"])))

    def middle_src(self, ctx, attrs, a):
        shape = broadcast_shapes(tuple(attrs["shape"]), ())
        return f"{a[0]}.expand(torch.broadcast_shapes({a[0]}.shape, {py(tuple(shape))}))"

    def emit_middle(self, ctx, attrs, a, out):
        return ctx.node("Expand", [a[0], ctx.ints(attrs["shape"])], out)[0]


class CastNoop(Eliminated):
    """Cast to x's own dtype -> removed (CastElimination). Broken: a cast to a wider dtype
    (attr: float to float64, int32 to int64), tap."""

    name = "motif_ort_cast_noop"
    guards = ("attr", "tap")
    WIDER = {F32: F64, F16: F32, F64: F32, I32: I64, I64: I32}

    def pattern(self, b, x, broken):
        to = self.WIDER[x.type.dtype] if broken == "attr" else x.type.dtype
        if broken == "attr" and x.type.dtype == I64:  # an int64 narrowed to int32 must fit: values stay small
            to = I32
        return [x], {"to": to.value, "tail": draw_tail(b, to)}

    def middle_type(self, types, attrs):
        return types[0].with_dtype(DType(attrs["to"]))

    def middle_src(self, ctx, attrs, a):
        return f"{a[0]}.to({ctx.dtype(DType(attrs['to']))})"

    def emit_middle(self, ctx, attrs, a, out):
        return ctx.node("Cast", [a[0]], out, to=ctx.elem(DType(attrs["to"])))[0]


class NoopArith(Eliminated):
    """x + 0, 0 + x, x - 0, x * 1, 1 * x or x / 1 with a constant scalar (rank 0 or 1) -> removed
    (NoopElimination). Broken: the constant 2 (value), a graph input (input), a constant that
    broadcasts x to a larger shape (shape), tap."""

    name = "motif_ort_noop_arith"
    guards = ("value", "input", "shape", "tap")
    NEUTRAL = {"Add": 0, "Sub": 0, "Mul": 1, "Div": 1}

    def pattern(self, b, x, broken):
        c = b.choices
        op = c.choice(list(self.NEUTRAL))
        v = self.NEUTRAL[op] if broken != "value" else 2
        shape = c.choice([(), (1,)]) if broken != "shape" else (2,) + (1,) * x.type.rank
        if broken == "input":
            k = b.new_input(TensorType(x.type.dtype, shape), domain=(1, 3))
        else:
            k = b.int_const(np.full(shape, v), x.type.dtype)
        first = op in ("Add", "Mul") and c.boolean(0.4)
        return [x, k], {"op": op, "first": first, "tail": draw_tail(b, x.type.dtype)}

    def middle_type(self, types, attrs):
        return types[0].with_shape(broadcast_shapes(types[0].shape, types[1].shape))

    def middle_src(self, ctx, attrs, a):
        x, k = a
        op = attrs["op"]
        if op == "Div":  # ONNX's integer Div truncates; float Div is exact division
            return f"(torch.div({x}, {k}, rounding_mode='trunc') if not {x}.is_floating_point() else {x} / {k})"
        sym = {"Add": "+", "Sub": "-", "Mul": "*"}[op]
        return f"({k} {sym} {x})" if attrs["first"] else f"({x} {sym} {k})"

    def emit_middle(self, ctx, attrs, a, out):
        return ctx.node(attrs["op"], a[::-1] if attrs["first"] else a, out)[0]


class DivMul(OrtMotif):
    """Div(1, x) -> Mul with z -> Div(z, x) (DivMulFusion). Broken: numerator 2 (value), tap."""

    name = "motif_ort_div_mul"
    rewrites = RULES
    dtypes = fire_dtypes = frozenset({F32, F64, F16})
    domain = (0.5, 4.0)
    guards = ("value", "tap")

    def pattern(self, b, x, broken):
        c = b.choices
        z = b.operand(x.type if c.boolean(0.7) else TensorType(x.type.dtype, x.type.shape[-1:] if x.type.rank else ()))
        one = b.int_const(np.asarray(2 if broken == "value" else 1), x.type.dtype)
        return [x, z, one], {"swap": c.boolean(0.5)}

    def infer(self, types, attrs):
        out = types[0].with_shape(broadcast_shapes(types[0].shape, types[1].shape))
        return self.tapped(attrs, out, types[0])

    def torch(self, ctx, attrs, a):
        x, z, one = a
        return f"(lambda r: {with_tap(attrs, f'r * {z}', 'r')})({one} / {x})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        r = ctx.node("Div", [a[2], a[0]], [tap] if tap else 1)[0]
        ctx.node("Mul", [a[1], r] if attrs["swap"] else [r, a[1]], [out])


class ReluClip(OrtMotif):
    """Relu -> Clip with constant bounds (min drawn negative, 0 or positive; or max only) -> one
    Clip (FuseReluClip). Broken: the Clip min a graph input (input), tap."""

    name = "motif_ort_relu_clip"
    rewrites = RULES
    # float64 is left out: ORT 1.32's FuseReluClip throws at session creation on a float64 Clip
    # ("Unexpected data type for Clip 'min' input of 11"), an ORT bug this motif found
    dtypes = fire_dtypes = frozenset({F32})
    guards = ("input", "tap")

    def pattern(self, b, x, broken):
        c = b.choices
        t = TensorType(x.type.dtype, ())
        lo = b.new_input(t, domain=(-1.0, 1.0)) if broken == "input" else (
            None if c.boolean(0.3) else b.int_const(np.asarray(c.choice([-1.0, 0.0, 0.5])), x.type.dtype))
        hi = b.int_const(np.asarray(c.choice([1.0, 6.0])), x.type.dtype)
        return [x, hi] + ([lo] if lo is not None else []), {}

    def infer(self, types, attrs):
        return self.tapped(attrs, types[0], types[0])

    def torch(self, ctx, attrs, a):
        lo = f"torch.maximum(r, {a[2]})" if len(a) > 2 else "r"
        return f"(lambda r: {with_tap(attrs, f'torch.minimum({lo}, {a[1]})', 'r')})(torch.relu({a[0]}))"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        r = ctx.node("Relu", [a[0]], [tap] if tap else 1)[0]
        ctx.node("Clip", [r, a[2] if len(a) > 2 else "", a[1]], [out])


class GemmSum(OrtMotif):
    """Gemm without C -> Sum(gemm, c) -> Gemm with C = c (GemmSumFusion). Broken: a c that
    broadcasts the output larger (shape), tap."""

    name = "motif_ort_gemm_sum"
    rewrites = RULES
    dtypes = fire_dtypes = frozenset({F32, F64})
    min_rank = max_rank = 2
    guards = ("shape", "tap")

    def pattern(self, b, x, broken):
        c = b.choices
        n = c.integer(1, 5)
        w = b.operand(TensorType(x.type.dtype, (x.type.shape[1], n)), weight=c.boolean(0.6))
        out = (x.type.shape[0], n)
        shape = (2,) + out if broken == "shape" else c.choice([out, (n,), (1, n)])
        return [x, w, b.operand(TensorType(x.type.dtype, shape))], {"swap": c.boolean(0.5), "alpha": c.choice([1.0, 0.5])}

    def infer(self, types, attrs):
        g = types[0].with_shape((types[0].shape[0], types[1].shape[1]))
        return self.tapped(attrs, g.with_shape(broadcast_shapes(g.shape, types[2].shape)), g)

    def torch(self, ctx, attrs, a):
        return f"(lambda g: {with_tap(attrs, f'g + {a[2]}', 'g')})({py(attrs['alpha'])} * torch.matmul({a[0]}, {a[1]}))"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        g = ctx.node("Gemm", a[:2], [tap] if tap else 1, alpha=attrs["alpha"])[0]
        ctx.node("Sum", [a[2], g] if attrs["swap"] else [g, a[2]], [out])


class GemmTranspose(OrtMotif):
    """Transpose of a Gemm operand -> the Gemm's transA/transB flipped (GemmTransposeFusion, a rule
    at levels 1 and 2). Broken: tap."""

    name = "motif_ort_gemm_transpose"
    rewrites = RULES
    dtypes = fire_dtypes = frozenset({F32, F64})
    min_rank = max_rank = 2
    guards = ("tap",)

    def pattern(self, b, x, broken):
        c = b.choices
        side = c.choice(["a", "b"])
        n = c.integer(1, 5)
        m, k = x.type.shape  # x transposed is (k, m)
        other = TensorType(x.type.dtype, (m, n) if side == "a" else (n, k))
        return [x, b.operand(other, weight=c.boolean(0.5))], {"side": side, "trans_other": c.boolean(0.3)}

    def infer(self, types, attrs):
        m, k = types[0].shape
        o = types[1].shape
        out = (k, o[1]) if attrs["side"] == "a" else (o[0], m)
        return self.tapped(attrs, types[0].with_shape(out), types[0].with_shape((k, m)))

    def torch(self, ctx, attrs, a):
        mm = f"torch.matmul(t, {a[1]})" if attrs["side"] == "a" else f"torch.matmul({a[1]}, t)"
        return f"(lambda t: {with_tap(attrs, mm, 't')})({a[0]}.T)"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        t = ctx.node("Transpose", [a[0]], [tap] if tap else 1, perm=[1, 0])[0]
        ctx.node("Gemm", [t, a[1]] if attrs["side"] == "a" else [a[1], t], [out])


class NotWhere(OrtMotif):
    """Where(Not(cond), a, b) -> Where(cond, b, a) (NotWhereFusion). Broken: tap on the Not."""

    name = "motif_ort_not_where"
    rewrites = RULES
    dtypes = fire_dtypes = frozenset({DType.bool})
    guards = ("tap",)

    def pattern(self, b, x, broken):
        c = b.choices
        dt = c.choice([F32, F64, I32, I64])
        sa = x.type.shape if c.boolean(0.7) else x.type.shape[x.type.rank // 2:]
        return [x, b.operand(TensorType(dt, sa)), b.operand(TensorType(dt, x.type.shape))], {}

    def infer(self, types, attrs):
        out = types[1].with_shape(broadcast_shapes(*(t.shape for t in types)))
        return self.tapped(attrs, out, types[0])

    def torch(self, ctx, attrs, a):
        return f"(lambda n: {with_tap(attrs, f'torch.where(n, {a[1]}, {a[2]})', 'n')})(torch.logical_not({a[0]}))"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        n = ctx.node("Not", [a[0]], [tap] if tap else 1)[0]
        ctx.node("Where", [n, a[1], a[2]], [out])


class MatMulBN(OrtMotif):
    """MatMul of a 2-D x by a constant W -> BatchNormalization with constant parameters -> Gemm
    (MatmulBNFusion). Broken: the BN mean a graph input (input), tap."""

    name = "motif_ort_matmul_bn"
    rewrites = RULES
    dtypes = fire_dtypes = frozenset({F32})
    min_rank = max_rank = 2
    guards = ("input", "tap")

    def pattern(self, b, x, broken):
        c = b.choices
        n = c.integer(1, 6)
        t = TensorType(x.type.dtype, (n,))
        w = b.const(TensorType(x.type.dtype, (x.type.shape[1], n)))
        return [x, w, b.const(t), b.const(t), operand(b, t, broken != "input"), b.const(t, domain=(0.25, 2.0))], \
            {"epsilon": c.choice([1e-5, 1e-3])}

    def infer(self, types, attrs):
        out = types[0].with_shape((types[0].shape[0], types[1].shape[1]))
        return self.tapped(attrs, out, out)

    def torch(self, ctx, attrs, a):
        s, bb, m, v = a[2:]
        bn = f"(y - {m}) / torch.sqrt({v} + {py(attrs['epsilon'])}) * {s} + {bb}"
        return f"(lambda y: {with_tap(attrs, bn, 'y')})(torch.matmul({a[0]}, {a[1]}))"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        y = ctx.node("MatMul", a[:2], 1)[0]
        if tap:
            ctx.node("Identity", [y], [tap])
        ctx.node("BatchNormalization", [y] + a[2:], [out], epsilon=attrs["epsilon"])
