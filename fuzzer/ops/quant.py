"""torch fake quantization (quantize then dequantize in one op), per tensor and per channel.

Exporters lower it to QuantizeLinear + DequantizeLinear, the pair that quantization
tooling and runtime fusions key on. ONNX rounds x / scale half to even and
saturates to the 8-bit range; the float64 truth spells out exactly that (torch's
kernel multiplies by a float32 1/scale, which differs only at rounding ties, and
the oracle never judges elements sitting on a step). The ranges drawn are the
full uint8 and int8 ones, the only ones a Q/DQ pair can express without a Clip.
"""
from __future__ import annotations

import numpy as np

from fuzzer.choices import rng_for
from fuzzer.ir import FLOATS, DType, TensorType
from fuzzer.ops.base import OpSpec, py, same_type

#: the lowering is valid from opset 13 (ORT agrees with the truth there), but onnx's reference
#: evaluator, which the meta-test judges direct models with, has no DequantizeLinear before 19
MIN_OPSET = 19
RANGES = {DType.uint8: (0, 255), DType.int8: (-128, 127)}
#: mostly powers of two, exact in float32, so the truth's scale equals the model's; 0.1 is not
SCALES = (0.0625, 0.125, 0.25, 0.03125, 0.5, 0.1)


def _qtype(lo: int) -> DType:
    return DType.uint8 if lo == 0 else DType.int8


def _qdq(ctx, x: str, scale: str, zp: str, axis: int | None, out_dtype: DType, out: str) -> None:
    """DequantizeLinear(QuantizeLinear(x)) into out (of IR dtype out_dtype)."""
    q = ctx.node("QuantizeLinear", [x, scale, zp], 1, axis=axis)[0]
    if ctx.dtype(out_dtype) == DType.float32:
        ctx.node("DequantizeLinear", [q, scale, zp], [out], axis=axis)
        return
    dq = ctx.node("DequantizeLinear", [q, scale, zp], 1, axis=axis)[0]
    ctx.node("Cast", [dq], [out], to=ctx.elem(out_dtype))


class FakeQuantizePerTensor(OpSpec):
    name, onnx_ops, dtypes = "fake_quantize_per_tensor_affine", ("QuantizeLinear", "DequantizeLinear"), FLOATS
    min_opset = MIN_OPSET
    infer = staticmethod(same_type)

    def sample_attrs(self, b, types):
        c = b.choices
        lo, hi = RANGES[c.choice(sorted(RANGES, key=str))]
        return {"scale": c.choice(SCALES), "zero_point": c.integer(lo + (hi - lo) // 4, hi - (hi - lo) // 4),
                "quant_min": lo, "quant_max": hi}

    def torch(self, ctx, attrs, a):
        s, z, lo, hi = (attrs[k] for k in ("scale", "zero_point", "quant_min", "quant_max"))
        if ctx.truth:  # ONNX's definition: round(x / scale) half to even, plus zero point, saturated
            return f"((torch.round({a[0]} / {py(s)}) + {z}).clamp({lo}, {hi}) - {z}) * {py(s)}"
        return f"torch.fake_quantize_per_tensor_affine({a[0]}, {py(s)}, {z}, {lo}, {hi})"

    def onnx(self, ctx, attrs, a, outs):
        dt = ctx.types[a[0]].dtype
        x = a[0] if ctx.dtype(dt) == DType.float32 else ctx.node("Cast", [a[0]], 1, to=ctx.elem(DType.float32))[0]
        qt = _qtype(attrs["quant_min"])
        # the float32 scale stays float32 even in float64 truth mode (ctx.const would widen it)
        scale = ctx.node("Cast", [ctx.scalar(attrs["scale"], DType.float32)], 1, to=ctx.elem(DType.float32))[0]
        zp = ctx.const(np.asarray(attrs["zero_point"], dtype=qt.numpy))
        _qdq(ctx, x, scale, zp, None, dt, outs[0])


class FakeQuantizePerChannel(OpSpec):
    """Scale (float32) and zero point (int32) per slice along `axis`, as graph constants."""

    name, onnx_ops, dtypes, min_rank = ("fake_quantize_per_channel_affine", ("QuantizeLinear", "DequantizeLinear"),
                                        FLOATS, 1)
    min_opset = MIN_OPSET
    infer = staticmethod(same_type)

    def operands(self, b, x):
        c = b.choices
        n = x.type.shape[c.integer(0, x.type.rank - 1)]
        scale = b.const(TensorType(DType.float32, (n,)), domain=(0.02, 0.5))
        # zero points in [0, 127] fit both the uint8 and the int8 range sample_attrs picks from
        zp = b.int_const(rng_for(c).integers(0, 128, size=n), DType.int32)
        return [x, scale, zp]

    def sample_attrs(self, b, types):
        c = b.choices
        x, n = types[0], types[1].shape[0]
        lo, hi = RANGES[c.choice(sorted(RANGES, key=str))]
        return {"axis": c.choice([d for d in range(x.rank) if x.shape[d] == n]), "quant_min": lo, "quant_max": hi}

    def torch(self, ctx, attrs, a):
        x, s, z = a
        axis, lo, hi = attrs["axis"], attrs["quant_min"], attrs["quant_max"]
        if ctx.truth:  # as per tensor, with scale and zero point viewed along axis
            view = f"(-1,) + (1,) * ({x}.dim() - 1 - {axis})"
            sv, zv = f"{s}.reshape({view})", f"{z}.reshape({view})"
            return f"((torch.round({x} / {sv}) + {zv}).clamp({lo}, {hi}) - {zv}) * {sv}"
        return f"torch.fake_quantize_per_channel_affine({x}, {s}, {z}, {axis}, {lo}, {hi})"

    def onnx(self, ctx, attrs, a, outs):
        dt = ctx.types[a[0]].dtype
        f32 = ctx.elem(DType.float32)
        x = a[0] if ctx.dtype(dt) == DType.float32 else ctx.node("Cast", [a[0]], 1, to=f32)[0]
        scale = a[1] if not ctx.truth else ctx.node("Cast", [a[1]], 1, to=f32)[0]
        zp = ctx.node("Cast", [a[2]], 1, to=ctx.elem(_qtype(attrs["quant_min"])))[0]
        _qdq(ctx, x, scale, zp, attrs["axis"], dt, outs[0])
