"""Rewrite motifs of ONNX Runtime's QDQ transformers: DoubleQDQPairsRemover, QDQPropagation,
EnsureUniqueDQForNodeUnit, QDQSelectorAction (QLinearAdd/Mul/MatMul/Conv), QDQS8ToU8,
WhereDummyDq, ReluQuantFusion (Level2_RuleBasedTransformer), DynamicQuantizeMatMulFusion
and MatMulIntegerToFloatFusion, and the NhwcTransformer that a QLinearConv meets at level 3.

Scales and zero points are part of each motif (its attributes), emitted as initializers:
the QDQ transformers need them constant. The truth quantizes as the ONNX spec does
(round half to even, saturate) in float64; scales are powers of two so that a fused
QLinear kernel's requantization is exact too (see SCALES).
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from fuzzer.choices import rng_for
from fuzzer.ir import DType, TensorType, broadcast_shapes
from fuzzer.ops.base import py
from fuzzer.ops.lowering import onnx_elem_type
from fuzzer.ops.motifs_ort import F32, OrtMotif, outs_of

U8, S8 = DType.uint8, DType.int8
RANGE = {U8: (0, 255), S8: (-128, 127)}
ZEROS = {U8: (0, 128, 100), S8: (0, -10, 5)}
#: powers of two: a fused kernel's requantization multiplier (scale_x * scale_w / scale_y) is then
#: exact, so it rounds a value lying on a half step as the unfused Q does (with 0.1 and 0.02 the
#: float32 multiplier is inexact and such ties land one step apart: measured on QLinearConv)
SCALES = (0.0625, 0.125, 0.03125, 0.25)


def draw_qparams(b, qtype: DType | None = None) -> dict:
    c = b.choices
    qtype = qtype or c.choice([U8, S8])
    return {"qtype": qtype.value, "scale": c.choice(SCALES), "zp": c.choice(ZEROS[qtype])}


def q_src(x: str, p: dict) -> str:
    lo, hi = RANGE[DType(p["qtype"])]
    return f"torch.clamp(torch.round({x} / {py(p['scale'])}) + {p['zp']}, {lo}, {hi})"


def qdq_src(x: str, p: dict) -> str:
    """x quantized and dequantized, as float values."""
    return f"(({q_src(x, p)} - {p['zp']}) * {py(p['scale'])})"


def qparams_onnx(ctx, p: dict) -> tuple[str, str]:
    """(scale, zero point) initializers; the scale float32 even in truth mode."""
    s = ctx.scalar(p["scale"], F32)
    if ctx.truth:
        s = ctx.node("Cast", [s], 1, to=onnx_elem_type(F32))[0]
    return s, ctx.const(np.asarray(p["zp"], dtype=DType(p["qtype"]).numpy))


def to_f32(ctx, x: str) -> str:
    """x as float32 (truth mode renders it float64, which QuantizeLinear does not take)."""
    return ctx.node("Cast", [x], 1, to=onnx_elem_type(F32))[0] if ctx.truth else x


def from_f32(ctx, y: str, out: list[str]) -> None:
    """The float32 y copied to out (a tap), in the dtype the materializer gives float32."""
    if ctx.truth:
        ctx.node("Cast", [y], out, to=ctx.elem(F32))
    else:
        ctx.node("Identity", [y], out)


def last(ctx, out: str):
    """Where a pattern's last node writes: the output itself (no Identity for a rule to remove),
    or, in truth mode, a float32 value finish() casts."""
    return 1 if ctx.truth else [out]


def finish(ctx, y: str, out: str) -> None:
    if ctx.truth:
        ctx.node("Cast", [y], [out], to=ctx.elem(F32))


def q_onnx(ctx, x: str, p: dict, out=1) -> str:
    s, z = qparams_onnx(ctx, p)
    return ctx.node("QuantizeLinear", [x, s, z], out)[0]


def dq_onnx(ctx, q: str, p: dict, out=1) -> str:
    s, z = qparams_onnx(ctx, p)
    return ctx.node("DequantizeLinear", [q, s, z], out)[0]


def qdq_onnx(ctx, x: str, p: dict, out=1) -> str:
    return dq_onnx(ctx, q_onnx(ctx, x, p), p, out)


class QdqMotif(OrtMotif):
    dtypes = fire_dtypes = frozenset({F32})


class DoubleQDQ(QdqMotif):
    """Q -> DQ -> Q -> DQ, the two pairs of one quantized type -> the inner pair removed
    (DoubleQDQPairsRemover). Broken: the second pair of the other 8-bit type (dtype), tap on the
    first DQ."""

    name = "motif_ort_double_qdq"
    rewrites = (("onnxruntime", "DoubleQDQPairsRemover"),)
    guards = ("dtype", "tap")

    def pattern(self, b, x, broken):
        c = b.choices
        p1 = draw_qparams(b)
        same = DType(p1["qtype"]) if broken != "dtype" else {U8: S8, S8: U8}[DType(p1["qtype"])]
        p2 = dict(p1) if broken != "dtype" and c.boolean(0.5) else draw_qparams(b, same)
        return [x], {"p1": p1, "p2": p2}

    def infer(self, types, attrs):
        return self.tapped(attrs, types[0], types[0])

    def torch(self, ctx, attrs, a):
        y = qdq_src("d", attrs["p2"])
        return f"(lambda d: {'(' + y + ', d)' if attrs.get('broken') == 'tap' else y})({qdq_src(a[0], attrs['p1'])})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        d = qdq_onnx(ctx, to_f32(ctx, a[0]), attrs["p1"])
        if tap:
            from_f32(ctx, d, [tap])
        finish(ctx, qdq_onnx(ctx, d, attrs["p2"], last(ctx, out)), out)


#: data-movement ops QDQPropagation moves a Q/DQ pair across
MOVERS = ("Transpose", "Reshape", "Unsqueeze")


class QDQPropagation(QdqMotif):
    """Q -> DQ -> Transpose (a non-identity perm), Reshape or Unsqueeze with no Q after it -> a
    Q/DQ pair inserted after the op (QDQPropagationTransformer; a DQ with a second consumer
    propagates too). Broken: the op already followed by a Q/DQ pair (attr: nothing to propagate)."""

    name = "motif_ort_qdq_propagation"
    rewrites = (("onnxruntime", "QDQPropagationTransformer"),)
    min_rank = 1
    guards = ("attr",)

    def pattern(self, b, x, broken):
        c = b.choices
        r = x.type.rank
        op = c.choice(MOVERS if r > 1 else MOVERS[1:])
        perm = list(range(r))
        while r > 1 and perm == list(range(r)):
            perm = [int(p) for p in rng_for(c).permutation(r)]
        p = draw_qparams(b)
        return [x], {"p": p, "op": op, "perm": perm, "axis": c.integer(0, r), "after": broken == "attr"}

    def infer(self, types, attrs):
        t = types[0]
        op = attrs["op"]
        if op == "Transpose":
            shape = tuple(t.shape[p] for p in attrs["perm"])
        elif op == "Reshape":
            shape = (t.numel,)
        else:
            shape = t.shape[: attrs["axis"]] + (1,) + t.shape[attrs["axis"]:]
        return [t.with_dtype(F32).with_shape(shape)]

    def torch(self, ctx, attrs, a):
        d = qdq_src(a[0], attrs["p"])
        op = attrs["op"]
        if op == "Transpose":
            y = f"{d}.permute{py(tuple(attrs['perm']))}"
        elif op == "Reshape":
            y = f"{d}.reshape(-1)"
        else:
            y = f"{d}.unsqueeze({attrs['axis']})"
        return qdq_src(y, attrs["p"]) if attrs["after"] else y

    def onnx(self, ctx, attrs, a, outs):
        out = outs[0]
        d = qdq_onnx(ctx, to_f32(ctx, a[0]), attrs["p"])
        op = attrs["op"]
        dest = 1 if attrs["after"] else last(ctx, out)
        if op == "Transpose":
            y = ctx.node("Transpose", [d], dest, perm=list(attrs["perm"]))[0]
        elif op == "Reshape":
            y = ctx.node("Reshape", [d, ctx.ints([-1])], dest)[0]
        else:
            y = ctx.node("Unsqueeze", [d, ctx.ints([attrs["axis"]])], dest)[0]
        if attrs["after"]:
            y = qdq_onnx(ctx, y, attrs["p"], last(ctx, out))
        finish(ctx, y, out)


class UniqueDQ(QdqMotif):
    """Q -> DQ read by two ops (Relu, Sigmoid, Neg, Abs), their results added -> the DQ duplicated
    so each node unit has its own (EnsureUniqueDQForNodeUnit). Broken: one reader (attr)."""

    name = "motif_ort_unique_dq"
    rewrites = (("onnxruntime", "EnsureUniqueDQForNodeUnit"),)
    guards = ("attr",)
    OPS = {"Relu": "torch.relu", "Sigmoid": "torch.sigmoid", "Neg": "torch.neg", "Abs": "torch.abs"}

    def pattern(self, b, x, broken):
        c = b.choices
        ops = [c.choice(list(self.OPS))] if broken == "attr" else [c.choice(list(self.OPS)), c.choice(list(self.OPS))]
        return [x], {"p": draw_qparams(b), "readers": ops}

    def infer(self, types, attrs):
        return [types[0].with_dtype(F32)]

    def torch(self, ctx, attrs, a):
        y = " + ".join(f"{self.OPS[o]}(d)" for o in attrs["readers"])
        return f"(lambda d: {y})({qdq_src(a[0], attrs['p'])})"

    def onnx(self, ctx, attrs, a, outs):
        d = qdq_onnx(ctx, to_f32(ctx, a[0]), attrs["p"])
        ys = [ctx.node(o, [d], 1)[0] for o in attrs["readers"]]
        if len(ys) == 1:
            finish(ctx, ys[0], outs[0]) if ctx.truth else ctx.node("Identity", ys, [outs[0]])
        else:
            finish(ctx, ctx.node("Add", ys, last(ctx, outs[0]))[0], outs[0])


class QDQBinary(QdqMotif):
    """DQ(a), DQ(b) -> Add or Mul -> Q -> DQ, all uint8 -> QLinearAdd or QLinearMul
    (QDQSelectorActionTransformer). (Mixing int8 and uint8 pairs is no guard: QDQS8ToU8 makes
    them all uint8 first.) Broken: tap on the Add."""

    name = "motif_ort_qdq_binary"
    rewrites = (("onnxruntime", "QDQSelectorActionTransformer"),)
    guards = ("tap",)

    def pattern(self, b, x, broken):
        c = b.choices
        pa = draw_qparams(b, U8)
        qt = U8
        pb = draw_qparams(b, qt)
        shape = x.type.shape if c.boolean(0.6) else x.type.shape[x.type.rank // 2:]
        other = b.operand(TensorType(F32, shape))
        return [x, other], {"pa": pa, "pb": pb, "py": draw_qparams(b, qt), "op": c.choice(["Add", "Mul"])}

    def infer(self, types, attrs):
        out = types[0].with_shape(broadcast_shapes(types[0].shape, types[1].shape))
        return self.tapped(attrs, out, out)

    def torch(self, ctx, attrs, a):
        sym = "+" if attrs["op"] == "Add" else "*"
        z = f"{qdq_src(a[0], attrs['pa'])} {sym} {qdq_src(a[1], attrs['pb'])}"
        y = qdq_src("z", attrs["py"])
        return f"(lambda z: {'(' + y + ', z)' if attrs.get('broken') == 'tap' else y})({z})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        da = qdq_onnx(ctx, to_f32(ctx, a[0]), attrs["pa"])
        db = qdq_onnx(ctx, to_f32(ctx, a[1]), attrs["pb"])
        z = ctx.node(attrs["op"], [da, db], 1)[0]
        if tap:
            from_f32(ctx, z, [tap])
        finish(ctx, qdq_onnx(ctx, z, attrs["py"], last(ctx, out)), out)


class QDQMatMul(QdqMotif):
    """Q -> DQ(x) and DQ(constant 8-bit W) -> MatMul -> Q -> DQ -> QLinearMatMul
    (QDQSelectorActionTransformer; an int8 x also meets QDQS8ToU8Transformer). Broken: tap on the
    MatMul."""

    name = "motif_ort_qdq_matmul"
    rewrites = (("onnxruntime", "QDQSelectorActionTransformer"),)
    min_rank, max_rank = 2, 3
    guards = ("tap",)
    qtype: ClassVar[DType | None] = None

    def pattern(self, b, x, broken):
        c = b.choices
        px = draw_qparams(b, self.qtype)
        qt = DType(px["qtype"])
        n = c.integer(1, 5)
        lo, hi = RANGE[qt]
        w = b.const(TensorType(qt, (x.type.shape[-1], n)), domain=(max(lo, -20), min(hi, 40)))
        return [x, w], {"px": px, "pw": draw_qparams(b, qt), "py": draw_qparams(b, qt)}

    def infer(self, types, attrs):
        out = types[0].with_shape(types[0].shape[:-1] + (types[1].shape[-1],))
        return self.tapped(attrs, out, out)

    def torch(self, ctx, attrs, a):
        pw = attrs["pw"]
        w = f"(({a[1]}.to(torch.float64) - {pw['zp']}) * {py(pw['scale'])})"
        z = f"torch.matmul({qdq_src(a[0], attrs['px'])}, {w}.to({a[0]}.dtype))"
        y = qdq_src("z", attrs["py"])
        return f"(lambda z: {'(' + y + ', z)' if attrs.get('broken') == 'tap' else y})({z})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        dx = qdq_onnx(ctx, to_f32(ctx, a[0]), attrs["px"])
        z = ctx.node("MatMul", [dx, dq_onnx(ctx, a[1], attrs["pw"])], 1)[0]
        if tap:
            from_f32(ctx, z, [tap])
        finish(ctx, qdq_onnx(ctx, z, attrs["py"], last(ctx, out)), out)


class QDQS8MatMul(QDQMatMul):
    """QDQMatMul with int8 everywhere: QDQS8ToU8Transformer turns the pairs to uint8 before the
    QLinearMatMul fusion."""

    name = "motif_ort_qdq_s8_matmul"
    rewrites = (("onnxruntime", "QDQS8ToU8Transformer"), ("onnxruntime", "QDQSelectorActionTransformer"))
    qtype = S8


class QDQConv(QdqMotif):
    """Q -> DQ(x (N, C, H, W)) and DQ(constant 8-bit W) -> Conv -> Q -> DQ -> QLinearConv
    (QDQSelectorActionTransformer), then laid out NHWC at level 3 (NhwcTransformer). Broken: tap
    on the Conv."""

    name = "motif_ort_qdq_conv"
    rewrites = (("onnxruntime", "QDQSelectorActionTransformer"), ("onnxruntime", "NhwcTransformer"))
    min_rank = max_rank = 4
    guards = ("tap",)

    def pattern(self, b, x, broken):
        c = b.choices
        px = draw_qparams(b, U8)
        ch = x.type.shape[1]
        k = [c.integer(1, min(3, d)) for d in x.type.shape[2:]]
        m = c.integer(1, 4)
        w = b.const(TensorType(U8, (m, ch, *k)), domain=(100, 160))
        return [x, w], {"px": px, "pw": {"qtype": "uint8", "scale": c.choice([0.015625, 0.03125]), "zp": 128},
                        "py": draw_qparams(b, U8), "kernel": k, "m": m}

    def infer(self, types, attrs):
        n, _, h, w = types[0].shape
        kh, kw = attrs["kernel"]
        out = types[0].with_shape((n, attrs["m"], h - kh + 1, w - kw + 1))
        return self.tapped(attrs, out, out)

    def torch(self, ctx, attrs, a):
        pw = attrs["pw"]
        w = f"(({a[1]}.to(torch.float64) - {pw['zp']}) * {py(pw['scale'])}).to({a[0]}.dtype)"
        z = f"F.conv2d({qdq_src(a[0], attrs['px'])}, {w})"
        y = qdq_src("z", attrs["py"])
        return f"(lambda z: {'(' + y + ', z)' if attrs.get('broken') == 'tap' else y})({z})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        dx = qdq_onnx(ctx, to_f32(ctx, a[0]), attrs["px"])
        z = ctx.node("Conv", [dx, dq_onnx(ctx, a[1], attrs["pw"])], 1, kernel_shape=list(attrs["kernel"]))[0]
        if tap:
            from_f32(ctx, z, [tap])
        finish(ctx, qdq_onnx(ctx, z, attrs["py"], last(ctx, out)), out)


class WhereDummyDQ(QdqMotif):
    """Where(cond, DQ(x), a float scalar constant) -> Q -> DQ: the constant gets a dummy DQ so the
    Where becomes a QDQ node unit (WhereDummyDq). Broken: the other branch a graph input tensor
    (input)."""

    name = "motif_ort_where_dummy_dq"
    rewrites = (("onnxruntime", "WhereDummyDq"),)
    guards = ("input",)

    def pattern(self, b, x, broken):
        c = b.choices
        cond = b.operand(x.type.with_dtype(DType.bool))
        other = b.new_input(x.type) if broken == "input" else b.int_const(np.asarray(c.choice([0.0, 1.0, -0.5])), F32)
        p = draw_qparams(b)
        return [x, cond, other], {"p": p, "py": draw_qparams(b, DType(p["qtype"])), "swap": c.boolean(0.5)}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        d = qdq_src(a[0], attrs["p"])
        br = f"{a[2]}, {d}" if attrs["swap"] else f"{d}, {a[2]}"
        return qdq_src(f"torch.where({a[1]}, {br})", attrs["py"])

    def onnx(self, ctx, attrs, a, outs):
        d = qdq_onnx(ctx, to_f32(ctx, a[0]), attrs["p"])
        other = to_f32(ctx, a[2])
        w = ctx.node("Where", [a[1], other, d] if attrs["swap"] else [a[1], d, other], 1)[0]
        finish(ctx, qdq_onnx(ctx, w, attrs["py"], last(ctx, outs[0])), outs[0])


class ReluQuant(QdqMotif):
    """Relu -> Q whose zero point is the type's minimum (0 or -128) -> DQ: the Relu removed
    (ReluQuantFusion, a rule of Level2_RuleBasedTransformer). Broken: another zero point (value)."""

    name = "motif_ort_relu_quant"
    rewrites = (("onnxruntime", "Level2_RuleBasedTransformer"),)
    guards = ("value",)

    def pattern(self, b, x, broken):
        p = draw_qparams(b)
        lo = RANGE[DType(p["qtype"])][0]
        p["zp"] = lo + (10 if broken == "value" else 0)
        return [x], {"p": p}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        return qdq_src(f"torch.relu({a[0]})", attrs["p"])

    def onnx(self, ctx, attrs, a, outs):
        r = ctx.node("Relu", [to_f32(ctx, a[0])], 1)[0]
        finish(ctx, qdq_onnx(ctx, r, attrs["p"], last(ctx, outs[0])), outs[0])


class DynamicQuantMatMul(QdqMotif):
    """DynamicQuantizeLinear(x) -> MatMulInteger with a constant 8-bit W and its zero point ->
    Cast to float -> Mul by x's scale times W's -> com.microsoft DynamicQuantizeMatMul
    (MatMulIntegerToFloatFusion, then DynamicQuantizeMatMulFusion). Broken: tap on the
    MatMulInteger."""

    name = "motif_ort_dynamic_quant_matmul"
    rewrites = (("onnxruntime", "MatMulIntegerToFloatFusion"), ("onnxruntime", "DynamicQuantizeMatMulFusion"))
    min_rank, max_rank = 2, 3
    # as DynamicQuantizeLinear's spec: keeps x off the all-zero edge where the scale is 0
    domain = (-3.0, 5.0)
    guards = ("tap",)

    def pattern(self, b, x, broken):
        c = b.choices
        wt = c.choice([U8, S8])
        n = c.integer(1, 5)
        lo, hi = (0, 255) if wt == U8 else (-128, 127)
        w = b.const(TensorType(wt, (x.type.shape[-1], n)), domain=(max(lo, -20), min(hi, 40)))
        return [x, w], {"wzp": 0 if wt == S8 else c.choice([0, 128]), "wscale": c.choice([0.015625, 0.0625])}

    def infer(self, types, attrs):
        out = types[0].with_shape(types[0].shape[:-1] + (types[1].shape[-1],))
        return self.tapped(attrs, out, out.with_dtype(DType.int32))

    def torch(self, ctx, attrs, a):
        x = a[0]
        # DynamicQuantizeLinear, as in fuzzer.ops.onnx_quant: scale from the range including 0
        s = f"(({x}.max().clamp(min=0) - {x}.min().clamp(max=0)) / 255)"
        z = f"torch.clamp(torch.round(-{x}.min().clamp(max=0) / s), 0, 255)"
        q = f"torch.clamp(torch.round({x} / s) + z, 0, 255)"
        mi = f"torch.matmul(({q} - z).to(torch.float64), ({a[1]}.to(torch.float64) - {attrs['wzp']})).round()"
        y = f"(mi * (s * {py(attrs['wscale'])}).to(torch.float64)).to({x}.dtype)"
        body = f"({y}, mi.to(torch.int32))" if attrs.get("broken") == "tap" else y
        return f"(lambda s: (lambda z: (lambda mi: {body})({mi}))({z}))({s})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        x = to_f32(ctx, a[0])
        q, s, z = ctx.node("DynamicQuantizeLinear", [x], 3)
        wz = ctx.const(np.asarray(attrs["wzp"], dtype=ctx.types[a[1]].dtype.numpy))
        mi = ctx.node("MatMulInteger", [q, a[1], z, wz], [tap] if tap else 1)[0]
        f = ctx.node("Cast", [mi], 1, to=onnx_elem_type(F32))[0]
        ws = ctx.scalar(attrs["wscale"], F32)
        if ctx.truth:
            ws = ctx.node("Cast", [ws], 1, to=onnx_elem_type(F32))[0]
        scale = ctx.node("Mul", [s, ws], 1)[0]
        finish(ctx, ctx.node("Mul", [f, scale], last(ctx, out))[0], out)


class DQQCleanup(OrtMotif):
    """DQ -> Q of one scale and zero point on an 8-bit x -> removed, x passed through
    (QDQFinalCleanupTransformer). Broken: the Q's scale twice the DQ's (value)."""

    name = "motif_ort_dq_q_cleanup"
    rewrites = (("onnxruntime", "QDQFinalCleanupTransformer"),)
    dtypes = fire_dtypes = frozenset({U8, S8})
    guards = ("value",)

    def pattern(self, b, x, broken):
        p = draw_qparams(b, x.type.dtype)
        q = dict(p, scale=p["scale"] * 2) if broken == "value" else dict(p)
        return [x], {"p": p, "q": q}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        p = attrs["p"]
        d = f"(({a[0]}.to(torch.float64) - {p['zp']}) * {py(p['scale'])})"
        return f"{q_src(d, attrs['q'])}.to({a[0]}.dtype)"

    def onnx(self, ctx, attrs, a, outs):
        d = dq_onnx(ctx, a[0], attrs["p"])
        q_onnx(ctx, d, attrs["q"], outs)
