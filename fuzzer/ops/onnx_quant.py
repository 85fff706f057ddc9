"""ONNX-only quantization ops: QuantizeLinear / DequantizeLinear (per tensor and per axis,
uint8 and int8), DynamicQuantizeLinear and MatMulInteger.

Rounding is half to even and results saturate to the 8-bit range, as the ONNX
spec says; torch.round rounds half to even too.
"""
from __future__ import annotations

from fuzzer.choices import rng_for
from fuzzer.ir import DType, TensorType
from fuzzer.ops.base import OpSpec

Q8 = (DType.uint8, DType.int8)
RANGE = {DType.uint8: (0, 255), DType.int8: (-128, 127)}


def _param_shape(b, x: TensorType) -> tuple[int, tuple[int, ...]]:
    """(axis, shape of scale/zero point): () per tensor, or (x.shape[axis],) per axis."""
    if x.rank == 0 or b.choices.boolean(0.5):
        return 1, ()
    axis = b.choices.integer(0, x.rank - 1)
    return axis, (x.shape[axis],)


def _along(name: str, axis: int, rank: int, per_axis: bool) -> str:
    """Source text viewing a per-axis parameter so it broadcasts along `axis` of a rank-`rank` tensor."""
    if not per_axis:
        return name
    return f"{name}.reshape((-1,) + (1,) * {rank - 1 - axis})"


class QuantizeLinear(OpSpec):
    """y = saturate(round(x / scale) + zero_point). x is cast to float32 first: only float32
    (and int32) inputs are legal before opset 19."""

    name, onnx_ops, exportable = "QuantizeLinear", ("QuantizeLinear",), False
    dtypes = frozenset({DType.float16, DType.bfloat16, DType.float32})

    def operands(self, b, x):
        c = b.choices
        axis, shape = _param_shape(b, x.type)
        scale = b.const(TensorType(DType.float32, shape), domain=(0.02, 0.5))
        qt = c.choice(Q8)
        lo, hi = RANGE[qt]
        zp = b.int_const(rng_for(c).integers(lo // 4 + hi // 4, hi // 2 + 1, size=shape), qt) if c.boolean(0.8) else None
        del axis  # sample_attrs recovers an axis from the scale's length
        return [x, scale] + ([zp] if zp is not None else [])

    def sample_attrs(self, b, types):
        x, scale = types[0], types[1]
        if scale.rank == 0:
            return {"axis": 1, "per_axis": False, "rank": x.rank, "qtype": (types[2].dtype if len(types) > 2 else DType.uint8)}
        fits = [d for d in range(x.rank) if x.shape[d] == scale.shape[0]]
        axis = b.choices.choice(fits)
        return {"axis": axis - x.rank if b.choices.boolean(0.3) else axis, "per_axis": True, "rank": x.rank,
                "qtype": types[2].dtype if len(types) > 2 else DType.uint8}

    def infer(self, types, attrs):
        return [types[0].with_dtype(attrs["qtype"])]

    def torch(self, ctx, attrs, a):
        axis = attrs["axis"] % max(attrs["rank"], 1)
        s = _along(a[1], axis, attrs["rank"], attrs["per_axis"])
        x = f"{a[0]}.to({s}.dtype)"
        z = f" + {_along(a[2], axis, attrs['rank'], attrs['per_axis'])}.to({s}.dtype)" if len(a) > 2 else ""
        lo, hi = RANGE[DType(attrs["qtype"])]
        return f"torch.clamp(torch.round({x} / {s}){z}, {lo}, {hi}).to({ctx.dtype(attrs['qtype'])})"

    def onnx(self, ctx, attrs, a, outs):
        x = a[0]
        if ctx.dtype(ctx.types[x].dtype) != DType.float32:
            x = ctx.node("Cast", [x], 1, to=ctx.elem(DType.float32))[0]
        scale = a[1]
        if ctx.truth:  # the scale is then float64, which QuantizeLinear never takes
            scale = ctx.node("Cast", [scale], 1, to=ctx.elem(DType.float32))[0]
        ctx.node("QuantizeLinear", [x, scale] + a[2:], outs, axis=attrs["axis"] if attrs["per_axis"] else None)


class DequantizeLinear(OpSpec):
    """y = (x - zero_point) * scale, float32; int32 inputs take no zero point."""

    name, onnx_ops, exportable = "DequantizeLinear", ("DequantizeLinear",), False
    dtypes = frozenset({DType.uint8, DType.int8, DType.int32})

    def operands(self, b, x):
        c = b.choices
        axis, shape = _param_shape(b, x.type)
        scale = b.const(TensorType(DType.float32, shape), domain=(0.02, 0.5))
        ops = [x, scale]
        if x.type.dtype in Q8 and c.boolean(0.8):
            lo, hi = RANGE[x.type.dtype]
            ops.append(b.int_const(rng_for(c).integers(lo, hi + 1, size=shape), x.type.dtype))
        return ops

    def sample_attrs(self, b, types):
        x, scale = types[0], types[1]
        if scale.rank == 0:
            return {"axis": 1, "per_axis": False, "rank": x.rank}
        axis = b.choices.choice([d for d in range(x.rank) if x.shape[d] == scale.shape[0]])
        return {"axis": axis - x.rank if b.choices.boolean(0.3) else axis, "per_axis": True, "rank": x.rank}

    def infer(self, types, attrs):
        return [types[0].with_dtype(DType.float32)]

    def torch(self, ctx, attrs, a):
        axis = attrs["axis"] % max(attrs["rank"], 1)
        s = _along(a[1], axis, attrs["rank"], attrs["per_axis"])
        z = f" - {_along(a[2], axis, attrs['rank'], attrs['per_axis'])}.to({s}.dtype)" if len(a) > 2 else ""
        return f"({a[0]}.to({s}.dtype){z}) * {s}"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("DequantizeLinear", a, outs, axis=attrs["axis"] if attrs["per_axis"] else None)


class DynamicQuantizeLinear(OpSpec):
    """(y uint8, scale, zero point) with scale = (max(0, max x) - min(0, min x)) / 255 and
    zero point = saturate(round(-min(0, min x) / scale))."""

    name, onnx_ops, exportable = "DynamicQuantizeLinear", ("DynamicQuantizeLinear",), False
    dtypes = frozenset({DType.float32})
    # An all-zero x has scale 0/255 and zero point round(0/0): undefined, and each evaluator picks
    # its own (onnx.reference scale 1/255, onnxruntime 1.0). The domain keeps x off that edge: a
    # graph input is drawn from it, any other value goes through tanh * 3.996 + 1, whose centre 1
    # is not 0, so a constant 0 upstream (x - x, relu of negatives) arrives as a constant 1; and
    # both signs stay in play, so the zero point still moves.
    domain = (-3.0, 5.0)

    def infer(self, types, attrs):
        return [types[0].with_dtype(DType.uint8), TensorType(DType.float32, ()), TensorType(DType.uint8, ())]

    def torch(self, ctx, attrs, a):
        x = a[0]
        return (f"(lambda x, s, z: (torch.clamp(torch.round(x / s) + z, 0, 255).to(torch.uint8), s, z.to(torch.uint8)))"
                f"({x}, *(lambda lo, hi: ((hi - lo) / 255, torch.clamp(torch.round(-lo / ((hi - lo) / 255)), 0, 255)))"
                f"({x}.min().clamp(max=0), {x}.max().clamp(min=0)))")

    def onnx(self, ctx, attrs, a, outs):
        from onnx import TensorProto

        x = a[0]
        if not ctx.truth:
            ctx.node("DynamicQuantizeLinear", [x], outs)
            return
        # truth mode renders float32 as double, which the op does not take: float32 in between
        # (ctx.elem would name double)
        x = ctx.node("Cast", [x], 1, to=TensorProto.FLOAT)[0]
        scale = ctx.fresh("scale")
        ctx.node("DynamicQuantizeLinear", [x], [outs[0], scale, outs[2]])
        ctx.node("Cast", [scale], [outs[1]], to=ctx.elem(DType.float32))


class MatMulInteger(OpSpec):
    """int32 (A - a_zero_point) @ (B - b_zero_point) over 8-bit operands; zero points are
    optional, per tensor, or per column for B."""

    name, onnx_ops, exportable, min_rank, max_rank = "MatMulInteger", ("MatMulInteger",), False, 2, 3
    dtypes = frozenset(Q8)

    def operands(self, b, x):
        c = b.choices
        k = x.type.shape[-1]
        n = c.integer(1, 6)
        bt = c.choice(Q8)
        w = b.operand(TensorType(bt, (k, n)), weight=c.boolean(0.5))
        rng = rng_for(c)
        lo, hi = RANGE[x.type.dtype]
        ops = [x, w]
        if c.boolean(0.7):
            # ONNX allows a per-row zero point for A too, but ORT's kernel takes a scalar only
            ops.append(b.int_const(rng.integers(lo // 8, hi // 8 + 1, size=()), x.type.dtype))
            if c.boolean(0.7):
                lo, hi = RANGE[bt]
                ops.append(b.int_const(rng.integers(lo // 8, hi // 8 + 1, size=(n,) if c.boolean(0.3) else ()), bt))
        return ops

    def infer(self, types, attrs):
        return [TensorType(DType.int32, types[0].shape[:-1] + (types[1].shape[-1],))]

    def torch(self, ctx, attrs, a):
        lhs = f"{a[0]}.long()" + (f" - {a[2]}.long()" if len(a) > 2 else "")
        rhs = f"{a[1]}.long()" + (f" - {a[3]}.long()" if len(a) > 3 else "")
        return f"torch.matmul({lhs}, {rhs}).int()"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("MatMulInteger", a, outs)
