"""More torch math: inverse and hyperbolic trig, expm1/log1p, trunc/frac, rsqrt/square,
shrinks, prelu, glu, threshold, logit, xlogy, logaddexp, clamp_min/clamp_max.

Some have one ONNX op (Tan, Shrink, PRelu); the rest have none and exporters
decompose them (expm1 as Exp - 1, trunc as a Floor/Ceil pair or a Cast, glu as
Split/Sigmoid/Mul), which is where rounding and broadcasting mistakes show up.
The `onnx` lowerings write a decomposition that is exact in the float64 truth.
Domains keep every intermediate finite on the generator's inputs.
"""
from __future__ import annotations

import math
from typing import ClassVar

from fuzzer.errors import OlderFormMissing
from fuzzer.ir import FLOATS, DType, TensorType
from fuzzer.ops.base import OpSpec, norm_dim, py, same_type
from fuzzer.ops.elementwise import Binary, OneOnnxOp, Unary
from fuzzer.ops.lowering import Lit, cast, close, compute_dtype
from fuzzer.ops.tf_support import TfFunction, clamp, trunc

INF = math.inf


def _lowered(ctx, x: str, ops: tuple[str, ...], out: str, body) -> None:
    """Run body(ct, x_in_ct) -> name of its result, computing in a dtype every op in ops takes
    at ctx.opset, and land the result in out (of x's dtype)."""
    dt = ctx.types[x].dtype
    ct = compute_dtype(ctx, dt, *ops)
    y = body(ct, cast(ctx, x, dt, ct))
    if ctx.dtype(ct) == ctx.dtype(dt):
        ctx.node("Identity", [y], [out])
    else:
        close(ctx, y, ct, dt, out)


# -- one ONNX op each ---------------------------------------------------------------
class Tan(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops, domain = "tan", "torch.tan", ("Tan",), (-1.3, 1.3)
    tf_fn = "math.tan"


class Asin(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops, domain = "asin", "torch.asin", ("Asin",), (-0.95, 0.95)
    tf_fn = "math.asin"


class Acos(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops, domain = "acos", "torch.acos", ("Acos",), (-0.95, 0.95)
    tf_fn = "math.acos"


class Atan(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "atan", "torch.atan", ("Atan",)
    tf_fn = "math.atan"


class Sinh(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops, domain = "sinh", "torch.sinh", ("Sinh",), (-4.0, 4.0)
    tf_fn = "math.sinh"


class Cosh(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops, domain = "cosh", "torch.cosh", ("Cosh",), (-4.0, 4.0)
    tf_fn = "math.cosh"


class Asinh(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "asinh", "torch.asinh", ("Asinh",)
    tf_fn = "math.asinh"


class Acosh(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops, domain = "acosh", "torch.acosh", ("Acosh",), (1.05, INF)
    tf_fn = "math.acosh"


class Atanh(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops, domain = "atanh", "torch.atanh", ("Atanh",), (-0.9, 0.9)


# -- decomposed unary ---------------------------------------------------------------
    tf_fn = "math.atanh"
class Expm1(Unary):
    name, fn, onnx_ops, domain = "expm1", "torch.expm1", ("Exp", "Sub"), (-INF, 8.0)

    def onnx(self, ctx, attrs, a, outs):
        _lowered(ctx, a[0], ("Exp", "Sub"), outs[0],
                 lambda ct, x: ctx.node("Sub", [ctx.node("Exp", [x])[0], ctx.scalar(1.0, ct)])[0])


class Log1p(Unary):
    name, fn, onnx_ops, domain = "log1p", "torch.log1p", ("Add", "Log"), (-0.9, INF)

    def onnx(self, ctx, attrs, a, outs):
        _lowered(ctx, a[0], ("Add", "Log"), outs[0],
                 lambda ct, x: ctx.node("Log", [ctx.node("Add", [x, ctx.scalar(1.0, ct)])[0]])[0])


def _trunc(ctx, ct, x: str) -> str:
    """Round toward zero: ONNX has no Trunc, so Ceil below zero and Floor above."""
    neg = ctx.node("Less", [x, ctx.scalar(0.0, ct)])[0]
    return ctx.node("Where", [neg, ctx.node("Ceil", [x])[0], ctx.node("Floor", [x])[0]])[0]


class Trunc(Unary):
    name, fn, onnx_ops = "trunc", "torch.trunc", ("Floor", "Ceil", "Where")

    def onnx(self, ctx, attrs, a, outs):
        _lowered(ctx, a[0], ("Less", "Ceil", "Floor", "Where"), outs[0], lambda ct, x: _trunc(ctx, ct, x))

    def tf(self, ctx, attrs, a, types):
        return ctx.widen(lambda x: trunc(ctx.tf, x), a[0], ints=False)


class Frac(Unary):
    """x - trunc(x), keeping x's sign."""

    name, fn, onnx_ops = "frac", "torch.frac", ("Floor", "Ceil", "Sub")

    def onnx(self, ctx, attrs, a, outs):
        _lowered(ctx, a[0], ("Less", "Ceil", "Floor", "Where", "Sub"), outs[0],
                 lambda ct, x: ctx.node("Sub", [x, _trunc(ctx, ct, x)])[0])

    def tf(self, ctx, attrs, a, types):
        return ctx.widen(lambda x: x - trunc(ctx.tf, x), a[0], ints=False)


class Rsqrt(TfFunction, Unary):
    name, fn, onnx_ops, domain = "rsqrt", "torch.rsqrt", ("Sqrt", "Reciprocal"), (0.1, INF)

    def onnx(self, ctx, attrs, a, outs):
        _lowered(ctx, a[0], ("Sqrt", "Reciprocal"), outs[0],
                 lambda ct, x: ctx.node("Reciprocal", ctx.node("Sqrt", [x]))[0])
    tf_fn = "math.rsqrt"


class Square(TfFunction, Unary):
    name, fn, onnx_ops = "square", "torch.square", ("Mul", "Pow")
    dtypes = frozenset(FLOATS | {DType.int32, DType.int64})

    def build(self, b, x):
        # floats are kept in (-40, 40) so float16 squares stay finite; the builder cannot bound
        # an int value that is not a graph input, and int squares of its default range are small
        if x.type.dtype.is_float:
            x = b.guard(x, (-40.0, 40.0))
        return super().build(b, x)

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("Mul", [a[0], a[0]], outs, ctx.types[a[0]].dtype)
    tf_fn = "math.square"
    tf_ints = True


class Hardshrink(Unary):
    """0 on [-lambd, lambd], else x: Shrink with bias 0."""

    name, fn, onnx_ops = "hardshrink", "F.hardshrink", ("Shrink",)
    # torch's CPU bfloat16 shrink and ONNX's float16 kernels are uneven; both sides cover these
    dtypes = frozenset({DType.float32, DType.float64})
    bias: ClassVar[bool] = False

    def sample_attrs(self, b, types):
        return {"lambd": b.choices.choice([0.5, 0.0, 1.5, 0.25])}

    def onnx(self, ctx, attrs, a, outs):
        lambd = float(attrs["lambd"])
        ctx.node("Shrink", a, outs, lambd=lambd, bias=lambd if self.bias else 0.0)

    def tf(self, ctx, attrs, a, types):
        tf, lambd = ctx.tf, float(attrs["lambd"])
        return tf.where(tf.math.abs(a[0]) > lambd, a[0], tf.zeros_like(a[0]))


class Softshrink(Hardshrink):
    """x - lambd above lambd, x + lambd below -lambd, else 0: Shrink with bias = lambd."""

    name, fn, bias = "softshrink", "F.softshrink", True


# -- activations with parameters ------------------------------------------------------

    def tf(self, ctx, attrs, a, types):
        tf, lambd, x = ctx.tf, float(attrs["lambd"]), a[0]
        return tf.where(x > lambd, x - lambd, tf.where(x < -lambd, x + lambd, tf.zeros_like(x)))
class Prelu(OpSpec):
    """F.prelu(x, weight): weight has one slope or one per channel (dim 1), a learned constant."""

    name, onnx_ops, dtypes, min_rank = "prelu", ("PRelu",), frozenset(FLOATS), 2
    infer = staticmethod(same_type)

    def operands(self, b, x):
        n = x.type.shape[1] if b.choices.boolean(0.7) else 1
        return [x, b.operand(TensorType(x.type.dtype, (n,)), weight=True)]

    def torch(self, ctx, attrs, a):
        return f"F.prelu({a[0]}, {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        # PRelu broadcasts the slope from the right: put the channel slopes on axis 1
        rank, n = ctx.types[a[0]].rank, ctx.types[a[1]].shape[0]
        slope = ctx.node("Reshape", [a[1], ctx.ints([n] + [1] * (rank - 2))])[0]
        ctx.widen("PRelu", [a[0], slope], outs, ctx.types[a[0]].dtype)

    def tf(self, ctx, attrs, a, types):
        tf, rank, n = ctx.tf, types[0].rank, types[1].shape[0]

        def fn(x, w):
            # one slope per channel (dim 1), or one for all
            w = tf.reshape(w, [n] + [1] * (rank - 2))
            return tf.where(x >= 0, x, w * x)

        return ctx.widen(fn, *a[:2])


class Glu(OpSpec):
    """F.glu(x, dim): first half * sigmoid(second half) along an even-sized dim."""

    name, onnx_ops, dtypes, min_rank = "glu", ("Split", "Sigmoid", "Mul"), frozenset(FLOATS), 1

    def accepts(self, t):
        return super().accepts(t) and any(s % 2 == 0 for s in t.shape)

    def sample_attrs(self, b, types):
        t = types[0]
        d = b.choices.choice([i for i, s in enumerate(t.shape) if s % 2 == 0])
        return {"dim": d - t.rank if b.choices.boolean(0.4) else d}

    def infer(self, types, attrs):
        t = types[0]
        shape = list(t.shape)
        shape[attrs["dim"]] //= 2
        return [t.with_shape(tuple(shape))]

    def torch(self, ctx, attrs, a):
        return f"F.glu({a[0]}, dim={attrs['dim']})"

    def onnx(self, ctx, attrs, a, outs):
        t, d = ctx.types[a[0]], attrs["dim"]
        h = t.shape[d] // 2

        def body(ct, x):
            first, second = ctx.node("Split", [x, ctx.ints([h, h])], 2, axis=d)  # sizes as input: 13+
            return ctx.node("Mul", [first, ctx.node("Sigmoid", [second])[0]])[0]

        _lowered(ctx, a[0], ("Split", "Sigmoid", "Mul"), outs[0], body)

    def tf(self, ctx, attrs, a, types):
        tf, d = ctx.tf, norm_dim(attrs["dim"], types[0].rank)

        def fn(x):
            first, second = tf.split(x, 2, axis=d)
            return first * tf.math.sigmoid(second)

        return ctx.widen(fn, a[0], ints=False)


class Threshold(Unary):
    """F.threshold(x, threshold, value): x where x > threshold, else value."""

    name, fn, onnx_ops = "threshold", "F.threshold", ("Greater", "Where")

    def sample_attrs(self, b, types):
        c = b.choices
        return {"threshold": c.choice([0.0, 0.5, -1.0]), "value": c.choice([0.0, -2.0, 1.5])}

    def torch(self, ctx, attrs, a):
        return f"F.threshold({a[0]}, {py(attrs['threshold'])}, {py(attrs['value'])})"

    def onnx(self, ctx, attrs, a, outs):
        _lowered(ctx, a[0], ("Greater", "Where"), outs[0], lambda ct, x: ctx.node("Where", [
            ctx.node("Greater", [x, ctx.scalar(attrs["threshold"], ct)])[0], x, ctx.scalar(attrs["value"], ct)])[0])

    def tf(self, ctx, attrs, a, types):
        tf, th, value = ctx.tf, float(attrs["threshold"]), float(attrs["value"])
        return ctx.widen(lambda x: tf.where(x > th, x, tf.fill(tf.shape(x), tf.cast(value, x.dtype))), a[0], ints=False)


class Logit(Unary):
    """torch.logit(x, eps): log(z / (1 - z)) with z = x clamped to [eps, 1 - eps] (no clamp without eps)."""

    name, fn, onnx_ops, domain = "logit", "torch.logit", ("Clip", "Div", "Log"), (0.02, 0.98)

    def sample_attrs(self, b, types):
        return {"eps": b.choices.choice([0.1, 0.25])} if b.choices.boolean(0.6) else {}

    def onnx(self, ctx, attrs, a, outs):
        eps = attrs.get("eps")

        def body(ct, x):
            if eps is not None:
                x = ctx.node("Clip", [x, ctx.scalar(eps, ct), ctx.scalar(1.0 - eps, ct)])[0]
            one_minus = ctx.node("Sub", [ctx.scalar(1.0, ct), x])[0]
            return ctx.node("Log", [ctx.node("Div", [x, one_minus])[0]])[0]

        _lowered(ctx, a[0], ("Clip", "Sub", "Div", "Log"), outs[0], body)

    def tf(self, ctx, attrs, a, types):
        tf, eps = ctx.tf, attrs.get("eps")

        def fn(x):
            if eps is not None:
                x = tf.clip_by_value(x, eps, 1.0 - eps)
            return tf.math.log(x / (1.0 - x))

        return ctx.widen(fn, a[0], ints=False)


class ClampMin(Unary):
    name, fn, onnx_ops = "clamp_min", "torch.clamp_min", ("Max", "Clip")
    dtypes = frozenset(FLOATS | {DType.int32, DType.int64})
    bound: ClassVar[str] = "min"

    def sample_attrs(self, b, types):
        c = b.choices
        v = c.integer(-3, 3) if types[0].dtype.is_int else c.choice([-1.5, -0.5, 0.0, 0.25, 1.0])
        return {self.bound: v}

    def torch(self, ctx, attrs, a):
        return f"{self.fn}({a[0]}, {py(attrs[self.bound])})"

    def onnx(self, ctx, attrs, a, outs):
        v = Lit(attrs[self.bound])
        ctx.widen("Clip", [a[0], v, ""] if self.bound == "min" else [a[0], "", v], outs, ctx.types[a[0]].dtype)

    def tf(self, ctx, attrs, a, types):
        return clamp(ctx, a[0], attrs.get("min"), attrs.get("max"))  # the one bound is a "min" or a "max"


class ClampMax(ClampMin):
    name, fn, onnx_ops, bound = "clamp_max", "torch.clamp_max", ("Min", "Clip"), "max"


# -- binary -------------------------------------------------------------------------

    def tf(self, ctx, attrs, a, types):
        return clamp(ctx, a[0], attrs.get("min"), attrs.get("max"))  # the one bound is a "min" or a "max"
class Logaddexp(Binary):
    """log(exp(x) + exp(y)), computed as max + log1p(exp(-|x - y|)) so it never overflows."""

    name, fn, onnx_ops = "logaddexp", "torch.logaddexp", ("Max", "Exp", "Log")
    dtypes = frozenset({DType.float16, DType.float32, DType.float64})

    def onnx(self, ctx, attrs, a, outs):
        dt = ctx.types[a[0]].dtype
        ct = compute_dtype(ctx, dt, "Max", "Sub", "Abs", "Neg", "Exp", "Add", "Log")
        x, y = cast(ctx, a[0], dt, ct), cast(ctx, a[1], dt, ct)
        m = ctx.node("Max", [x, y])[0]
        gap = ctx.node("Neg", ctx.node("Abs", ctx.node("Sub", [x, y])))[0]
        tail = ctx.node("Log", [ctx.node("Add", [ctx.scalar(1.0, ct), ctx.node("Exp", [gap])[0]])[0]])[0]
        r = ctx.node("Add", [m, tail])[0]
        if ctx.dtype(ct) == ctx.dtype(dt):
            ctx.node("Identity", [r], outs)
        else:
            close(ctx, r, ct, dt, outs[0])

    def tf(self, ctx, attrs, a, types):
        # max + log1p(exp(-|x - y|)), which never overflows, as torch computes it; spelled with
        # softplus because tf2onnx has no Log1p handler
        tf = ctx.tf
        return ctx.widen(lambda x, y: tf.math.maximum(x, y) + tf.math.softplus(-tf.math.abs(x - y)), *a[:2])


class Xlogy(Binary):
    """x * log(y), and 0 wherever x == 0; y is kept positive."""

    name, fn, onnx_ops = "xlogy", "torch.xlogy", ("Log", "Mul", "Equal", "Where")
    dtypes = frozenset({DType.float32, DType.float64})
    rhs_domain = (0.1, INF)

    def onnx(self, ctx, attrs, a, outs):
        x, y = a
        dt = ctx.types[x].dtype
        if compute_dtype(ctx, dt, "Equal") != ctx.dtype(dt):  # Equal takes floats from 11
            raise OlderFormMissing(f"xlogy: Equal takes no {dt.value} at opset {ctx.opset}")
        zero = ctx.scalar(0.0, dt)
        prod = ctx.node("Mul", [x, ctx.node("Log", [y])[0]])[0]
        ctx.node("Where", [ctx.node("Equal", [x, zero])[0], zero, prod], outs)

    def tf(self, ctx, attrs, a, types):
        # x * log(y), and 0 where x is 0 (y is drawn positive)
        tf = ctx.tf
        return ctx.widen(lambda x, y: tf.where(tf.math.equal(x, 0.0), tf.zeros_like(x), x * tf.math.log(y)), *a[:2])
