"""softmax and log_softmax over any dim (negative too), with the optional dtype= keyword."""
from __future__ import annotations

from typing import ClassVar

from fuzzer.ir import FLOATS, DType
from fuzzer.ops.base import OpSpec, norm_dim
from fuzzer.ops.lowering import cast, close, compute_dtype, squeeze, target, unsqueeze


class SoftmaxLike(OpSpec):
    """fn(x, dim=d[, dtype=t]); dtype= casts the input before the op (float32 -> float64 is the
    common use, a downcast is legal too). A rank-0 input takes dim 0 or -1."""

    fn: ClassVar[str]
    dtypes = FLOATS

    def sample_attrs(self, b, types):
        c = b.choices
        rank = types[0].rank
        d = c.integer(0, max(rank, 1) - 1)
        attrs: dict = {"dim": d - max(rank, 1) if c.boolean(0.5) else d}
        if c.boolean(0.3):
            dtype = types[0].dtype
            # widening to float64 is the form models use; any other float is valid as well
            wide = DType.float64 if dtype != DType.float64 and DType.float64 in b.config.dtypes else None
            others = sorted((FLOATS & b.config.dtypes) - {dtype}, key=str)
            if wide is not None and c.boolean(0.7):
                attrs["dtype"] = wide
            elif others:
                attrs["dtype"] = c.choice(others)
        return attrs

    def infer(self, types, attrs):
        x = types[0]
        return [x.with_dtype(attrs["dtype"]) if attrs.get("dtype") is not None else x]

    def torch(self, ctx, attrs, a):
        kw = f", dtype={ctx.dtype(attrs['dtype'])}" if attrs.get("dtype") is not None else ""
        return f"{self.fn}({a[0]}, dim={attrs['dim']!r}{kw})"

    def onnx(self, ctx, attrs, a, outs):
        # dtype= casts before the op, as torch does; opset 13 Softmax normalizes along one axis
        src = ctx.types[a[0]].dtype
        dt = DType(attrs["dtype"]) if attrs.get("dtype") is not None else src
        op = self.onnx_ops[0]
        ct = compute_dtype(ctx, dt, op)
        x = cast(ctx, a[0], src, ct)
        y = target(ctx, ct, dt, outs[0])
        if ctx.types[a[0]].rank == 0:  # a 0-d tensor is one row of one element
            squeeze(ctx, ctx.node(op, unsqueeze(ctx, x, [0]), axis=0)[0], [0], [y])
        else:
            ctx.node(op, [x], [y], axis=attrs["dim"])
        close(ctx, y, ct, dt, outs[0])


class Softmax(SoftmaxLike):
    name, fn, onnx_ops = "softmax", "F.softmax", ("Softmax",)

    def tf(self, ctx, attrs, a, types):
        return tf_softmax(self, ctx, attrs, a, types)


class LogSoftmax(SoftmaxLike):
    name, fn, onnx_ops = "log_softmax", "F.log_softmax", ("LogSoftmax",)

    def tf(self, ctx, attrs, a, types):
        return tf_softmax(self, ctx, attrs, a, types)


def tf_softmax(spec, ctx, attrs, a, types):
    """softmax, log_softmax and softmin (softmax of -x) in TF."""
    tf, op, out = ctx.tf, spec.name, spec.infer(types, attrs)[0]
    x = tf.cast(a[0], ctx.dtype(out.dtype)) if out.dtype != types[0].dtype else a[0]
    if types[0].rank == 0:  # one element: softmax 1, log_softmax 0
        return tf.zeros_like(x) if op == "log_softmax" else tf.ones_like(x)
    d = norm_dim(attrs["dim"], types[0].rank)
    if op == "softmin":  # softmax(-x)
        return ctx.widen(lambda v: tf.nn.softmax(-v, axis=d), x, ints=False)
    fn = tf.nn.softmax if op == "softmax" else tf.nn.log_softmax
    return ctx.widen(lambda v: fn(v, axis=d), x, ints=False)
