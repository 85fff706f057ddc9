"""Rewrite motifs for the ONNX-to-ONNX optimizers: onnxoptimizer's passes, onnxscript's
rewrite rules and onnxslim's fusions. This module: the weighted-layer fusions (a
BatchNormalization, an Add or a Mul folded into the Conv, ConvTranspose or Gemm before it, a
Pad folded into a Conv or a pool, a MatMul and its bias Add turned into a Gemm, a Transpose
folded into a Gemm's trans flags).

Each motif is one IR node whose `onnx` lowering is the whole pattern, and whose torch
lowering is the float64 truth (no exporter emits these patterns from its torch lowering,
so every motif here has `exportable = False`). Its draw keeps every precondition of the
rewrite about 3 times in 4 (attrs["fires"] True); otherwise it breaks one guard, named in
attrs["broken"] (fuzzer.ops.motifs_passes_base).
"""
from __future__ import annotations

from fuzzer.errors import Rejected
from fuzzer.ir import DType, TensorType
from fuzzer.ops.base import py
from fuzzer.ops.motif import FIRES
from fuzzer.ops.dtypes import FLOAT32, FLOAT32_64
from fuzzer.ops.motifs_passes_base import PassMotif, chain, tapped

#: a BatchNormalization's variance: positive, away from 0 so that 1/sqrt(var + eps) stays tame
VARIANCE = (0.25, 2.0)


def conv_geometry(b, x: TensorType) -> dict:
    """Kernel, stride, pads of a 2-D Conv on x (N, C, H, W) keeping every output size >= 1."""
    c = b.choices
    _, _, h, w = x.shape
    k = c.integer(1, min(3, h, w))
    return {"kernel": k, "stride": c.choice([1, 1, 2]), "pad": c.choice([0, 0, 1])}


def conv_out(size: int, g: dict) -> int:
    return (size + 2 * g["pad"] - g["kernel"]) // g["stride"] + 1


def conv_onnx(ctx, x: str, w: str, bias: str | None, g: dict, outs, op: str = "Conv") -> list[str]:
    inputs = [x, w] + ([bias] if bias else [])
    return ctx.node(op, inputs, outs, kernel_shape=[g["kernel"]] * 2, strides=[g["stride"]] * 2,
                    pads=[g["pad"]] * 4)


class ConvLike(PassMotif):
    """Motifs on a Conv (or ConvTranspose) over x (N, C, H, W) with a constant weight."""

    dtypes = FLOAT32
    min_rank = max_rank = 4
    transpose = False

    def conv_operands(self, b, x, weight_input: bool, bias: bool, bias_input: bool, g: dict, cin: int | None = None):
        dtype, cin = x.type.dtype, cin or x.type.shape[1]
        cout = b.choices.integer(1, 4)
        shape = (cin, cout, g["kernel"], g["kernel"]) if self.transpose else (cout, cin, g["kernel"], g["kernel"])
        w = b.new_input(TensorType(dtype, shape)) if weight_input else b.const(TensorType(dtype, shape))
        ops = [x, w]
        if bias:
            t = TensorType(dtype, (cout,))
            ops.append(b.new_input(t) if bias_input else b.const(t))
        return ops, cout

    def conv_type(self, x: TensorType, cout: int, g: dict) -> TensorType:
        n, _, h, w = x.shape
        if self.transpose:
            size = lambda s: (s - 1) * g["stride"] - 2 * g["pad"] + g["kernel"]  # noqa: E731
        else:
            size = lambda s: conv_out(s, g)  # noqa: E731
        if size(h) < 1 or size(w) < 1:
            raise Rejected(f"{self.name}: empty conv output")
        return x.with_shape((n, cout, size(h), size(w)))

    def conv_torch(self, attrs, x: str, w: str, bias: str | None) -> str:
        g = attrs["conv"]
        fn = "F.conv_transpose2d" if self.transpose else "F.conv2d"
        return f"{fn}({x}, {w}, {bias or 'None'}, stride={g['stride']}, padding={g['pad']})"


class ConvBatchNorm(ConvLike):
    """Conv(x, W[, B]) -> BatchNormalization(scale, bias, mean, var): the BN folds into W and B
    when W, B and all four BN operands are initializers and the Conv output has no other use."""

    name = "motif_opt_conv_bn"
    onnx_ops = ("Conv", "BatchNormalization")
    rewrites = (("onnxoptimizer", "fuse_bn_into_conv"), ("onnxscript", "FuseBatchNormIntoConv"),
                ("onnxslim", "FusionConvBN"),
                ("onnxsim", "fuse_bn_into_conv"))
    guards = ("bn_param_input", "weight_input", "bias_input", "tap")

    def draw_motif(self, b, x, broken):
        c = b.choices
        g = conv_geometry(b, x.type)
        has_bias = broken == "bias_input" or c.boolean(0.5)
        ops, cout = self.conv_operands(b, x, broken == "weight_input", has_bias, broken == "bias_input", g)
        t = TensorType(x.type.dtype, (cout,))
        params = [b.const(t), b.const(t), b.const(t), b.const(t, VARIANCE)]
        if broken == "bn_param_input":
            k = c.integer(0, 3)
            params[k] = b.new_input(t, VARIANCE if k == 3 else None)
        return ops + params, {"conv": g, "bias": has_bias, "epsilon": c.choice([1e-5, 1e-3, 0.1]),
                              "tap": broken == "tap"}

    def infer(self, types, attrs):
        y = self.conv_type(types[0], types[1].shape[1 if self.transpose else 0], attrs["conv"])
        return tapped([y], y, attrs)

    def torch(self, ctx, attrs, a):
        k = 3 if attrs["bias"] else 2
        conv = self.conv_torch(attrs, a[0], a[1], a[2] if attrs["bias"] else None)
        s, bias, mean, var = a[k:k + 4]
        bn = f"F.batch_norm(t, {mean}, {var}, {s}, {bias}, training=False, eps={py(attrs['epsilon'])})"
        return chain(conv, bn, attrs)

    def onnx(self, ctx, attrs, a, outs):
        k = 3 if attrs["bias"] else 2
        y = outs[1] if attrs["tap"] else ctx.fresh("conv")
        conv_onnx(ctx, a[0], a[1], a[2] if attrs["bias"] else None, attrs["conv"], [y],
                  "ConvTranspose" if self.transpose else "Conv")
        ctx.node("BatchNormalization", [y] + a[k:k + 4], [outs[0]], epsilon=float(attrs["epsilon"]))


class ConvTransposeBatchNorm(ConvBatchNorm):
    name = "motif_osr_convtranspose_bn"
    onnx_ops = ("ConvTranspose", "BatchNormalization")
    rewrites = (("onnxscript", "FuseBatchNormIntoConvTranspose"), ("onnxslim", "FusionConvTransposeBN"),
                ("onnxsim", "fuse_bn_into_conv"))
    transpose = True


class ConvAddBias(ConvLike):
    """Conv(x, W) + b where b is an initializer broadcasting along the channels only ((M, 1, 1),
    (1, M, 1, 1) or one element): the Add becomes the Conv's bias."""

    name = "motif_opt_conv_add"
    onnx_ops = ("Conv", "Add")
    rewrites = (("onnxoptimizer", "fuse_add_bias_into_conv"), ("onnxslim", "FusionConvAdd"),
                ("onnxsim", "fuse_add_bias_into_conv"))
    guards = ("addend_input", "addend_spatial", "tap")
    binary = "Add"

    def draw_motif(self, b, x, broken):
        c = b.choices
        g = conv_geometry(b, x.type)
        ops, cout = self.conv_operands(b, x, False, False, False, g)
        y = self.conv_type(x.type, cout, g)
        if broken == "addend_spatial":  # varies along W too: no per-channel bias
            shape = (cout, 1, y.shape[3]) if y.shape[3] > 1 else (1, 1, 1, 1)
            if shape == (1, 1, 1, 1):
                raise Rejected("no spatial broadcast on a width-1 output")
        else:
            shape = c.choice([(cout, 1, 1), (1, cout, 1, 1)])
        t = TensorType(x.type.dtype, shape)
        addend = b.new_input(t) if broken == "addend_input" else b.const(t)
        return ops + [addend], {"conv": g, "tap": broken == "tap"}

    def infer(self, types, attrs):
        y = self.conv_type(types[0], types[1].shape[0], attrs["conv"])
        return tapped([y], y, attrs)

    def torch(self, ctx, attrs, a):
        sign = "+" if self.binary == "Add" else "*"
        return chain(self.conv_torch(attrs, a[0], a[1], None), f"t {sign} {a[2]}", attrs)

    def onnx(self, ctx, attrs, a, outs):
        y = outs[1] if attrs["tap"] else ctx.fresh("conv")
        conv_onnx(ctx, a[0], a[1], None, attrs["conv"], [y])
        ctx.node(self.binary, [y, a[2]], [outs[0]])


class ConvMulScale(ConvAddBias):
    """Conv(x, W) * s, s a per-channel initializer: onnxslim scales W instead."""

    name = "motif_slim_conv_mul"
    onnx_ops = ("Conv", "Mul")
    rewrites = (("onnxslim", "FusionConvMul"),
                ("onnxsim", "fuse_mul_into_conv"))
    binary = "Mul"


class PadConv(ConvLike):
    """Pad(x, constant 0, spatial pads only) -> Conv: the pads join the Conv's own."""

    name = "motif_opt_pad_conv"
    onnx_ops = ("Pad", "Conv")
    rewrites = (("onnxoptimizer", "fuse_pad_into_conv"), ("onnxscript", "FuseConvPad"),
                ("onnxslim", "FusionPadConv"),
                ("onnxsim", "fuse_pad_into_conv"))
    guards = ("reflect_mode", "nonzero_value", "channel_pads", "tap")

    def draw_motif(self, b, x, broken):
        c = b.choices
        pads = [0, 0, c.integer(0, 2), c.integer(1, 2), 0, 0, c.integer(0, 2), c.integer(0, 2)]
        if broken == "channel_pads":
            pads[1] = 1
        mode = "reflect" if broken == "reflect_mode" else "constant"
        if mode == "reflect" and any(p >= s for p, s in zip(pads[2:4] + pads[6:], x.type.shape[2:] * 2)):
            raise Rejected("reflect pads wider than the input")
        value = c.choice([0.5, -1.0]) if broken == "nonzero_value" else 0.0
        padded = x.type.with_shape(tuple(s + pads[i] + pads[i + 4] for i, s in enumerate(x.type.shape)))
        g = conv_geometry(b, padded)
        g["pad"] = 0 if c.boolean(0.6) else g["pad"]
        ops, cout = self.conv_operands(b, x, False, c.boolean(0.4), False, g, cin=padded.shape[1])
        return ops, {"pads": pads, "mode": mode, "value": value, "spell_value": c.boolean(0.5),
                     "conv": g, "tap": broken == "tap"}

    def padded(self, t: TensorType, pads) -> TensorType:
        r = t.rank
        return t.with_shape(tuple(s + pads[i] + pads[i + r] for i, s in enumerate(t.shape)))

    def infer(self, types, attrs):
        p = self.padded(types[0], attrs["pads"])
        return tapped([self.conv_type(p, types[1].shape[0], attrs["conv"])], p, attrs)

    def pad_torch(self, attrs, x: str) -> str:
        p = attrs["pads"]
        r = len(p) // 2
        flat = [v for d in reversed(range(r)) for v in (p[d], p[d + r])]
        if attrs["mode"] == "reflect":  # torch reflects only the spatial dims: pad those alone
            return f"F.pad({x}, {py(tuple(flat[:4]))}, mode='reflect')"
        return f"F.pad({x}, {py(tuple(flat))}, value={py(float(attrs['value']))})"

    def torch(self, ctx, attrs, a):
        return chain(self.pad_torch(attrs, a[0]), self.conv_torch(attrs, "t", a[1], a[2] if len(a) > 2 else None), attrs)

    def pad_onnx(self, ctx, attrs, x: str, out: str) -> None:
        inputs = [x, ctx.ints(attrs["pads"])]
        if attrs["value"] != 0.0 or attrs["spell_value"]:
            inputs.append(ctx.scalar(attrs["value"], ctx.types[x].dtype))
        ctx.node("Pad", inputs, [out], mode=attrs["mode"])

    def onnx(self, ctx, attrs, a, outs):
        y = outs[1] if attrs["tap"] else ctx.fresh("pad")
        self.pad_onnx(ctx, attrs, a[0], y)
        conv_onnx(ctx, y, a[1], a[2] if len(a) > 2 else None, attrs["conv"], [outs[0]])


class PadPool(PadConv):
    """Pad(x, constant, spatial pads only) -> MaxPool or AveragePool (count_include_pad=1 when
    the value is 0): the pads join the pool's own."""

    name = "motif_opt_pad_pool"
    onnx_ops = ("Pad", "MaxPool", "AveragePool")
    rewrites = (("onnxoptimizer", "fuse_pad_into_pool"),
                ("onnxsim", "fuse_pad_into_pool"))
    guards = ("reflect_mode", "nonzero_value", "channel_pads", "tap")

    def draw_motif(self, b, x, broken):
        ops, attrs = super().draw_motif(b, x, broken)
        # MaxPool too: its own pads are -inf, so folding a 0-valued Pad into them changes the
        # maximum of an all-negative window (onnxoptimizer folds it all the same)
        attrs["pool"] = b.choices.choice(["MaxPool", "AveragePool"])
        g = attrs["conv"]
        g["pad"] = min(g["pad"], g["kernel"] // 2)  # a pool's own pads stay under half its window
        return [x], attrs

    def infer(self, types, attrs):
        p = self.padded(types[0], attrs["pads"])
        g = attrs["conv"]
        n, ch, h, w = p.shape
        y = p.with_shape((n, ch, conv_out(h, g), conv_out(w, g)))
        if min(y.shape) < 1:
            raise Rejected("empty pool output")
        return tapped([y], p, attrs)

    def torch(self, ctx, attrs, a):
        g = attrs["conv"]
        kw = f"{g['kernel']}, stride={g['stride']}, padding={g['pad']}"
        pool = (f"F.max_pool2d(t, {kw})" if attrs["pool"] == "MaxPool"
                else f"F.avg_pool2d(t, {kw}, count_include_pad=True)")
        return chain(self.pad_torch(attrs, a[0]), pool, attrs)

    def onnx(self, ctx, attrs, a, outs):
        y = outs[1] if attrs["tap"] else ctx.fresh("pad")
        self.pad_onnx(ctx, attrs, a[0], y)
        g = attrs["conv"]
        extra = {"count_include_pad": 1} if attrs["pool"] == "AveragePool" else {}
        ctx.node(attrs["pool"], [y], [outs[0]], kernel_shape=[g["kernel"]] * 2, strides=[g["stride"]] * 2,
                 pads=[g["pad"]] * 4, **extra)


# -- Gemm --------------------------------------------------------------------------
class MatMulAddBias(PassMotif):
    """MatMul(x (N, K), W (K, M)) + bias ((M,) or (N, M)): one Gemm. onnxoptimizer asks for 2-D
    operands with static shapes and a MatMul output with no other use."""

    name = "motif_opt_matmul_add"
    onnx_ops = ("MatMul", "Add")
    dtypes = frozenset({DType.float32, DType.float64, DType.int64})
    min_rank = max_rank = 2
    rewrites = (("onnxoptimizer", "fuse_matmul_add_bias_into_gemm"), ("onnxslim", "FusionGemm"),
                ("onnxsim", "fuse_matmul_add_bias_into_gemm"))
    #: weight_input and bias_input break onnxslim's FusionGemm only (it folds constants into a
    #: Gemm); onnxoptimizer fuses a MatMul of any operands
    guards = ("bias_broadcast_rows", "tap", "batched", "weight_input", "bias_input")

    def draw_motif(self, b, x, broken):
        c = b.choices
        n, k = x.type.shape
        m = c.integer(1, 5)
        dtype = x.type.dtype
        w = b.new_input(TensorType(dtype, (k, m))) if broken == "weight_input" else b.const(TensorType(dtype, (k, m)))
        if broken == "bias_broadcast_rows":  # (N, 1): broadcasts along M, not a Gemm bias
            if m == 1:
                raise Rejected("a width-1 output has no row broadcast")
            shape = (n, 1)
        else:
            shape = c.choice([(m,), (n, m), (1, m)])
        bias = b.new_input(TensorType(dtype, shape)) if broken == "bias_input" else b.const(TensorType(dtype, shape))
        return [x, w, bias], {"tap": broken == "tap", "batched": broken == "batched"}

    def infer(self, types, attrs):
        (n, _), (_, m) = types[0].shape, types[1].shape
        y = types[0].with_shape((1, n, m) if attrs["batched"] else (n, m))
        return tapped([y], y, attrs)

    def torch(self, ctx, attrs, a):
        x = f"{a[0]}.unsqueeze(0)" if attrs["batched"] else a[0]
        return chain(f"torch.matmul({x}, {a[1]})", f"t + {a[2]}", attrs)

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.node("Unsqueeze", [a[0], ctx.ints([0])])[0] if attrs["batched"] else a[0]
        y = outs[1] if attrs["tap"] else ctx.fresh("matmul")
        ctx.node("MatMul", [x, a[1]], [y])
        ctx.node("Add", [y, a[2]], [outs[0]])


class TransposeGemm(PassMotif):
    """Transpose(perm [1, 0]) -> Gemm (as A or B): the transpose becomes transA/transB."""

    name = "motif_opt_transpose_gemm"
    onnx_ops = ("Transpose", "Gemm")
    dtypes = FLOAT32_64
    min_rank = max_rank = 2
    rewrites = (("onnxoptimizer", "fuse_transpose_into_gemm"),
                ("onnxsim", "fuse_transpose_into_gemm"))
    guards = ("tap",)

    def draw_motif(self, b, x, broken):
        c = b.choices
        r, s = x.type.shape  # transposed: (s, r)
        slot = c.choice(["A", "B"])
        m = c.integer(1, 4)
        other = TensorType(x.type.dtype, (m, s) if slot == "B" else (r, m))
        attrs = {"slot": slot, "tap": broken == "tap", "alpha": c.choice([1.0, 0.5]),
                 "trans_other": c.boolean(0.3)}
        if attrs["trans_other"]:
            other = other.with_shape(other.shape[::-1])
        return [x, b.operand(other, weight=c.boolean(0.5))], attrs

    def infer(self, types, attrs):
        r, s = types[0].shape
        o = types[1].shape[::-1] if attrs["trans_other"] else types[1].shape
        y = types[0].with_shape((s, o[1]) if attrs["slot"] == "A" else (o[0], r))
        return tapped([y], types[0].with_shape((s, r)), attrs)

    def torch(self, ctx, attrs, a):
        o = f"{a[1]}.T" if attrs["trans_other"] else a[1]
        prod = f"torch.matmul(t, {o})" if attrs["slot"] == "A" else f"torch.matmul({o}, t)"
        return chain(f"{a[0]}.T", f"{prod} * {py(attrs['alpha'])}", attrs)

    def onnx(self, ctx, attrs, a, outs):
        t = outs[1] if attrs["tap"] else ctx.fresh("transpose")
        ctx.node("Transpose", [a[0]], [t], perm=[1, 0])
        ins = [t, a[1]] if attrs["slot"] == "A" else [a[1], t]
        trans = {"transB" if attrs["slot"] == "A" else "transA": int(attrs["trans_other"])}
        ctx.node("Gemm", ins, [outs[0]], alpha=float(attrs["alpha"]), **trans)


class GemmBatchNorm(PassMotif):
    """Gemm(x, W, C) -> BatchNormalization over the Gemm's (N, M) output: folds into W and C."""

    name = "motif_osr_gemm_bn"
    onnx_ops = ("Gemm", "BatchNormalization")
    dtypes = FLOAT32
    min_rank = max_rank = 2
    rewrites = (("onnxscript", "FuseBatchNormIntoGemm"),)
    guards = ("bn_param_input", "weight_input", "tap")

    def draw_motif(self, b, x, broken):
        c = b.choices
        n, k = x.type.shape
        m = c.integer(1, 4)
        dtype = x.type.dtype
        wt = TensorType(dtype, (k, m))
        w = b.new_input(wt) if broken == "weight_input" else b.const(wt)
        t = TensorType(dtype, (m,))
        params = [b.const(t), b.const(t), b.const(t), b.const(t, VARIANCE)]
        if broken == "bn_param_input":
            i = c.integer(0, 3)
            params[i] = b.new_input(t, VARIANCE if i == 3 else None)
        return [x, w, b.const(t)] + params, {"tap": broken == "tap", "epsilon": c.choice([1e-5, 0.01])}

    def infer(self, types, attrs):
        y = types[0].with_shape((types[0].shape[0], types[1].shape[1]))
        return tapped([y], y, attrs)

    def torch(self, ctx, attrs, a):
        s, bias, mean, var = a[3:7]
        bn = f"F.batch_norm(t, {mean}, {var}, {s}, {bias}, training=False, eps={py(attrs['epsilon'])})"
        return chain(f"(torch.matmul({a[0]}, {a[1]}) + {a[2]})", bn, attrs)

    def onnx(self, ctx, attrs, a, outs):
        y = outs[1] if attrs["tap"] else ctx.fresh("gemm")
        ctx.node("Gemm", a[:3], [y])
        ctx.node("BatchNormalization", [y] + a[3:7], [outs[0]], epsilon=float(attrs["epsilon"]))


__all__ = [FIRES]
