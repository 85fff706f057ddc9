"""Elementwise ops: unary math, activations with every keyword, binary ops with broadcasting."""
from __future__ import annotations

import math
from typing import ClassVar

from fuzzer.ir import FLOATS, INTS, SIGNED, DType, TensorType, broadcast_shapes
from fuzzer.ops.base import OpSpec, broadcast_partner, either_side, py, same_type
from fuzzer.ops.dtypes import NUMERIC
from fuzzer.ops.lowering import WIDER, Lit, accepts, cast, close, compute_dtype, target
from fuzzer.ops.tf_support import TfFunction, clamp, trunc

INF = math.inf


# -- unary --------------------------------------------------------------------
class Unary(OpSpec):
    """y = fn(x, **attrs), same type as x."""

    fn: ClassVar[str]
    infer = staticmethod(same_type)

    def torch(self, ctx, attrs, a):
        kw = "".join(f", {k}={py(v)}" for k, v in attrs.items())
        return f"{self.fn}({a[0]}{kw})"


class OneOnnxOp:
    """Mixin for ops that are exactly one ONNX op without attributes: onnx_ops[0], computed
    in a wider dtype where the op's schema does not take the operand's at the target opset."""

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen(self.onnx_ops[0], a, outs, ctx.types[a[0]].dtype)


def dtype_of(ctx, name: str) -> DType:
    return ctx.types[name].dtype


class Abs(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "abs", "torch.abs", ("Abs",)
    dtypes = frozenset(SIGNED | {DType.uint8})
    tf_fn = "math.abs"
    tf_ints = True


class Neg(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "neg", "torch.neg", ("Neg",)
    dtypes = frozenset(SIGNED)
    tf_fn = "math.negative"
    tf_ints = True


class Exp(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "exp", "torch.exp", ("Exp",)
    domain = (-INF, 10.0)
    tf_fn = "math.exp"


class Log(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "log", "torch.log", ("Log",)
    domain = (0.05, INF)
    tf_fn = "math.log"


class Sqrt(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "sqrt", "torch.sqrt", ("Sqrt",)
    domain = (0.0, INF)
    tf_fn = "math.sqrt"


class Reciprocal(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "reciprocal", "torch.reciprocal", ("Reciprocal",)
    domain = (0.1, INF)
    tf_fn = "math.reciprocal"


class Sin(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "sin", "torch.sin", ("Sin",)
    tf_fn = "math.sin"


class Cos(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "cos", "torch.cos", ("Cos",)
    tf_fn = "math.cos"


class Tanh(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "tanh", "torch.tanh", ("Tanh",)
    tf_fn = "math.tanh"


class Sigmoid(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "sigmoid", "torch.sigmoid", ("Sigmoid",)
    tf_fn = "math.sigmoid"


class Erf(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "erf", "torch.erf", ("Erf",)
    tf_fn = "math.erf"


class Floor(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "floor", "torch.floor", ("Floor",)
    tf_fn = "math.floor"


class Ceil(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "ceil", "torch.ceil", ("Ceil",)
    tf_fn = "math.ceil"


class Round(Unary):
    name, fn, onnx_ops = "round", "torch.round", ("Round",)

    def sample_attrs(self, b, types):
        # decimals != 0 exports as Mul/Round/Div: a three-op pattern worth reaching.
        return {"decimals": b.choices.integer(0, 2)} if b.choices.boolean(0.3) else {}

    def onnx(self, ctx, attrs, a, outs):
        dt = dtype_of(ctx, a[0])
        d = attrs.get("decimals", 0)
        if not d:
            ctx.widen("Round", a, outs, dt)
            return
        # torch: round(x * 10**d) / 10**d, half to even like ONNX Round; torch's CPU kernel
        # computes a float16/bfloat16 x in float32, and so does this (x * 10**d rounds otherwise)
        ct = compute_dtype(ctx, DType.float32 if dt in (DType.float16, DType.bfloat16) else dt, "Mul", "Round", "Div")
        scale = ctx.scalar(10.0 ** d, ct)
        r = ctx.node("Round", [ctx.node("Mul", [cast(ctx, a[0], dt, ct), scale])[0]])[0]
        y = target(ctx, ct, dt, outs[0])
        ctx.node("Div", [r, scale], [y])
        close(ctx, y, ct, dt, outs[0])

    def tf(self, ctx, attrs, a, types):
        # torch.round and tf.round both round half to even; decimals=d scales by 10**d around it
        tf, d = ctx.tf, int(attrs.get("decimals", 0))
        if d == 0:
            return ctx.widen(tf.math.round, a[0], ints=False)
        scale = float(10**d)
        return ctx.widen(lambda x: tf.math.round(x * scale) / scale, a[0], ints=False)


class Sign(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "sign", "torch.sign", ("Sign",)
    dtypes = frozenset(SIGNED | {DType.uint8})
    tf_fn = "math.sign"
    tf_ints = True


class Relu(OneOnnxOp, Unary):
    name, fn, onnx_ops = "relu", "torch.relu", ("Relu",)
    dtypes = frozenset(NUMERIC)

    def tf(self, ctx, attrs, a, types):
        tf, x = ctx.tf, a[0]
        if types[0].dtype.is_int:
            return tf.math.maximum(x, tf.zeros([], x.dtype))
        return ctx.widen(tf.nn.relu, x, ints=False)


class LeakyRelu(Unary):
    name, fn, onnx_ops = "leaky_relu", "F.leaky_relu", ("LeakyRelu",)

    def sample_attrs(self, b, types):
        return {"negative_slope": b.choices.choice([0.01, 0.2, -0.5, 0.0, 1.5])}

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("LeakyRelu", a, outs, dtype_of(ctx, a[0]), alpha=float(attrs.get("negative_slope", 0.01)))

    def tf(self, ctx, attrs, a, types):
        slope = float(attrs.get("negative_slope", 0.01))
        # written as a select: tf.nn.leaky_relu takes max(x, slope*x) for slope <= 1, which is
        # not torch's function when the slope is negative
        return ctx.widen(lambda x: ctx.tf.where(x > 0, x, x * slope), a[0], ints=False)


class Elu(Unary):
    name, fn, onnx_ops = "elu", "F.elu", ("Elu",)

    def sample_attrs(self, b, types):
        return {"alpha": b.choices.choice([1.0, 0.5, 2.0])}

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("Elu", a, outs, dtype_of(ctx, a[0]), alpha=float(attrs.get("alpha", 1.0)))

    def tf(self, ctx, attrs, a, types):
        tf, alpha = ctx.tf, float(attrs.get("alpha", 1.0))
        if alpha == 1.0:
            return ctx.widen(tf.nn.elu, a[0], ints=False)
        # exp(x) - 1, not expm1: tf2onnx has no Expm1 handler, and would call every such graph
        # unsupported; the lost digits near 0 are absolute ones, far inside the tolerance
        return ctx.widen(lambda x: tf.where(x > 0, x, alpha * (tf.math.exp(x) - 1.0)), a[0], ints=False)


class Celu(Unary):
    name, fn, onnx_ops = "celu", "F.celu", ("Celu", "Elu")

    def sample_attrs(self, b, types):
        return {"alpha": b.choices.choice([1.0, 0.5, 2.0])}

    def onnx(self, ctx, attrs, a, outs):
        dt, alpha = dtype_of(ctx, a[0]), float(attrs.get("alpha", 1.0))
        if ctx.dtype(dt) == DType.float32:  # ONNX Celu is float32-only
            ctx.node("Celu", a, outs, alpha=alpha)
            return
        # celu(x) = alpha * elu(x / alpha), exact for the power-of-two alphas drawn
        ct = compute_dtype(ctx, dt, "Div", "Elu", "Mul")
        k = ctx.scalar(alpha, ct)
        e = ctx.node("Elu", [ctx.node("Div", [cast(ctx, a[0], dt, ct), k])[0]], alpha=1.0)[0]
        y = target(ctx, ct, dt, outs[0])
        ctx.node("Mul", [e, k], [y])
        close(ctx, y, ct, dt, outs[0])

    def tf(self, ctx, attrs, a, types):
        tf, alpha = ctx.tf, float(attrs.get("alpha", 1.0))
        return ctx.widen(
            lambda x: tf.math.maximum(x, 0.0) + tf.math.minimum(alpha * (tf.math.exp(x / alpha) - 1.0), 0.0), a[0],
            ints=False)


class Selu(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "selu", "F.selu", ("Selu",)
    tf_fn = "nn.selu"


class Gelu(Unary):
    name, fn, onnx_ops = "gelu", "F.gelu", ("Gelu", "Erf", "Tanh")

    def sample_attrs(self, b, types):
        return {"approximate": b.choices.choice(["none", "tanh"])}

    def onnx(self, ctx, attrs, a, outs):
        dt, approx = dtype_of(ctx, a[0]), attrs.get("approximate", "none")
        if ctx.opset >= 20:
            ctx.widen("Gelu", a, outs, dt, approximate=approx)
            return
        # 1 + erf(...) cancels for negative x: in float16 it is 0 long before the true value
        # is; torch's CPU kernel computes a float16/bfloat16 gelu in float32, and so does this
        wide = DType.float32 if dt in (DType.float16, DType.bfloat16) else dt
        ct = compute_dtype(ctx, wide, "Mul", "Add", "Erf", "Tanh")
        x = cast(ctx, a[0], dt, ct)
        if approx == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            x3 = ctx.node("Mul", [ctx.node("Mul", [x, x])[0], x])[0]
            inner = ctx.node("Add", [x, ctx.node("Mul", [x3, ctx.scalar(0.044715, ct)])[0]])[0]
            t = ctx.node("Tanh", [ctx.node("Mul", [inner, ctx.scalar(math.sqrt(2 / math.pi), ct)])[0]])[0]
        else:  # 0.5 x (1 + erf(x / sqrt 2))
            t = ctx.node("Erf", [ctx.node("Mul", [x, ctx.scalar(math.sqrt(0.5), ct)])[0]])[0]
        half_x = ctx.node("Mul", [x, ctx.scalar(0.5, ct)])[0]
        one_plus = ctx.node("Add", [t, ctx.scalar(1.0, ct)])[0]
        y = target(ctx, ct, dt, outs[0])
        ctx.node("Mul", [half_x, one_plus], [y])
        close(ctx, y, ct, dt, outs[0])

    def tf(self, ctx, attrs, a, types):
        tf = ctx.tf
        if attrs.get("approximate", "none") == "tanh":
            return ctx.widen(lambda x: tf.nn.gelu(x, approximate=True), a[0], ints=False)
        # the erf form spelled out, as Keras does: tf.nn.gelu uses Erfc, which tf2onnx cannot convert
        return ctx.widen(lambda x: 0.5 * x * (1.0 + tf.math.erf(x / math.sqrt(2.0))), a[0], ints=False)


class Silu(TfFunction, Unary):
    name, fn, onnx_ops = "silu", "F.silu", ("Sigmoid", "Mul")

    def onnx(self, ctx, attrs, a, outs):
        dt = dtype_of(ctx, a[0])
        ct = compute_dtype(ctx, dt, "Sigmoid", "Mul")
        x = cast(ctx, a[0], dt, ct)
        y = target(ctx, ct, dt, outs[0])
        ctx.node("Mul", [x, ctx.node("Sigmoid", [x])[0]], [y])
        close(ctx, y, ct, dt, outs[0])
    tf_fn = "nn.silu"


class Mish(Unary):
    name, fn, onnx_ops = "mish", "F.mish", ("Mish", "Softplus", "Tanh")

    def onnx(self, ctx, attrs, a, outs):
        dt = dtype_of(ctx, a[0])
        if ctx.opset >= 18:
            ctx.widen("Mish", a, outs, dt)
            return
        ct = compute_dtype(ctx, dt, "Softplus", "Tanh", "Mul")
        x = cast(ctx, a[0], dt, ct)
        y = target(ctx, ct, dt, outs[0])
        ctx.node("Mul", [x, ctx.node("Tanh", ctx.node("Softplus", [x]))[0]], [y])
        close(ctx, y, ct, dt, outs[0])

    def tf(self, ctx, attrs, a, types):
        tf = ctx.tf
        return ctx.widen(lambda x: x * tf.math.tanh(tf.math.softplus(x)), a[0], ints=False)


class Softplus(Unary):
    name, fn, onnx_ops = "softplus", "F.softplus", ("Softplus", "Greater", "Where")

    def sample_attrs(self, b, types):
        return {"beta": b.choices.choice([1.0, 0.5, 2.0]), "threshold": b.choices.choice([20.0, 1.0, 5.0])}

    def onnx(self, ctx, attrs, a, outs):
        # torch: x where beta * x > threshold, else log(1 + exp(beta * x)) / beta
        dt = dtype_of(ctx, a[0])
        beta, threshold = float(attrs.get("beta", 1.0)), float(attrs.get("threshold", 20.0))
        ct = compute_dtype(ctx, dt, "Softplus", "Mul", "Div", "Greater", "Where")
        x = cast(ctx, a[0], dt, ct)
        bx = ctx.node("Mul", [x, ctx.scalar(beta, ct)])[0]
        soft = ctx.node("Div", [ctx.node("Softplus", [bx])[0], ctx.scalar(beta, ct)])[0]
        y = target(ctx, ct, dt, outs[0])
        ctx.node("Where", [ctx.node("Greater", [bx, ctx.scalar(threshold, ct)])[0], x, soft], [y])
        close(ctx, y, ct, dt, outs[0])

    def tf(self, ctx, attrs, a, types):
        tf = ctx.tf
        beta = float(attrs.get("beta", 1.0))
        threshold = float(attrs.get("threshold", 20.0))
        # torch reverts to the identity where beta * x > threshold
        return ctx.widen(lambda x: tf.where(x * beta > threshold, x, tf.math.softplus(x * beta) / beta), a[0], ints=False)


class Softsign(TfFunction, OneOnnxOp, Unary):
    name, fn, onnx_ops = "softsign", "F.softsign", ("Softsign",)
    tf_fn = "nn.softsign"


class Hardtanh(Unary):
    name, fn, onnx_ops = "hardtanh", "F.hardtanh", ("Clip",)

    def sample_attrs(self, b, types):
        lo = b.choices.choice([-1.0, -0.5, 0.0, -2.0])
        return {"min_val": lo, "max_val": lo + b.choices.choice([0.5, 1.0, 2.0])}

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("Clip", [a[0], Lit(attrs.get("min_val", -1.0)), Lit(attrs.get("max_val", 1.0))], outs,
             dtype_of(ctx, a[0]))

    def tf(self, ctx, attrs, a, types):
        lo, hi = float(attrs.get("min_val", -1.0)), float(attrs.get("max_val", 1.0))
        return ctx.widen(lambda x: ctx.tf.clip_by_value(x, lo, hi), a[0], ints=False)


class Hardsigmoid(Unary):
    name, fn, onnx_ops = "hardsigmoid", "F.hardsigmoid", ("HardSigmoid",)

    def onnx(self, ctx, attrs, a, outs):
        # torch: relu6(x + 3) / 6
        ctx.widen("HardSigmoid", a, outs, dtype_of(ctx, a[0]), alpha=1 / 6, beta=0.5)

    def tf(self, ctx, attrs, a, types):
        # torch: relu6(x + 3) / 6
        return ctx.widen(lambda x: ctx.tf.nn.relu6(x + 3.0) / 6.0, a[0], ints=False)


class Hardswish(Unary):
    name, fn, onnx_ops = "hardswish", "F.hardswish", ("HardSwish", "HardSigmoid", "Mul")

    def onnx(self, ctx, attrs, a, outs):
        dt = dtype_of(ctx, a[0])
        if ctx.opset >= 14:  # HardSwish is new in opset 14
            ctx.widen("HardSwish", a, outs, dt)
            return
        ct = compute_dtype(ctx, dt, "HardSigmoid", "Mul")
        x = cast(ctx, a[0], dt, ct)
        y = target(ctx, ct, dt, outs[0])
        ctx.node("Mul", [x, ctx.node("HardSigmoid", [x], alpha=1 / 6, beta=0.5)[0]], [y])
        close(ctx, y, ct, dt, outs[0])

    def tf(self, ctx, attrs, a, types):
        return ctx.widen(lambda x: x * ctx.tf.nn.relu6(x + 3.0) / 6.0, a[0], ints=False)


class Relu6(TfFunction, Unary):
    name, fn, onnx_ops = "relu6", "F.relu6", ("Clip",)

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("Clip", [a[0], Lit(0.0), Lit(6.0)], outs, dtype_of(ctx, a[0]))
    tf_fn = "nn.relu6"


class LogSigmoid(TfFunction, Unary):
    name, fn, onnx_ops = "logsigmoid", "F.logsigmoid", ("Sigmoid", "Log", "Softplus", "Neg")

    def onnx(self, ctx, attrs, a, outs):
        # log(sigmoid(x)) = -softplus(-x), which stays finite where sigmoid underflows
        dt = dtype_of(ctx, a[0])
        ct = compute_dtype(ctx, dt, "Neg", "Softplus")
        sp = ctx.node("Softplus", ctx.node("Neg", [cast(ctx, a[0], dt, ct)]))[0]
        y = target(ctx, ct, dt, outs[0])
        ctx.node("Neg", [sp], [y])
        close(ctx, y, ct, dt, outs[0])
    tf_fn = "math.log_sigmoid"


class Clamp(OpSpec):
    """torch.clamp with min only, max only, or both; bounds may cross (min > max), which torch defines."""

    name, onnx_ops = "clamp", ("Clip", "Max", "Min")
    # not uint8: the drawn bounds go below zero, which torch refuses for an unsigned tensor
    dtypes = frozenset(FLOATS | {DType.int64, DType.int32, DType.int16, DType.int8})
    infer = staticmethod(same_type)

    def sample_attrs(self, b, types):
        c = b.choices
        is_int = types[0].dtype.is_int
        pick = (lambda: c.integer(-3, 3)) if is_int else (lambda: c.choice([-1.5, -0.5, 0.0, 0.25, 1.0]))
        mode = c.choice(["both", "min", "max"])
        attrs = {}
        if mode in ("both", "min"):
            attrs["min"] = pick()
        if mode in ("both", "max"):
            attrs["max"] = pick()
        return attrs

    def torch(self, ctx, attrs, a):
        return f"torch.clamp({a[0]}, min={py(attrs.get('min'))}, max={py(attrs.get('max'))})"

    def onnx(self, ctx, attrs, a, outs):
        dt = dtype_of(ctx, a[0])
        lo, hi = attrs.get("min"), attrs.get("max")
        if lo is not None and hi is not None and lo > hi:
            # torch is min(max(x, lo), hi), i.e. hi everywhere; spell that out rather than
            # lean on Clip, whose crossed-bounds behaviour the ONNX spec leaves open
            m = ctx.widen("Max", [a[0], Lit(lo)], 1, dt)
            ctx.widen("Min", [m[0], Lit(hi)], outs, dt)
            return
        ctx.widen("Clip", [a[0], "" if lo is None else Lit(lo), "" if hi is None else Lit(hi)], outs, dt)


# -- binary -------------------------------------------------------------------

    def tf(self, ctx, attrs, a, types):
        return clamp(ctx, a[0], attrs.get("min"), attrs.get("max"))
class Binary(OpSpec):
    """z = fn(x, y) with numpy broadcasting; y is drawn to broadcast with x."""

    fn: ClassVar[str]
    #: where the second operand must lie (a divisor), or None
    rhs_domain: ClassVar[tuple[float, float] | None] = None

    def operands(self, b, x):
        t = TensorType(x.type.dtype, broadcast_partner(b, x.type.shape))
        return either_side(b, x, t, lhs_domain=self.domain, rhs_domain=self.rhs_domain)

    def out_dtype(self, dtype: DType) -> DType:
        return dtype

    def infer(self, types, attrs):
        shape = broadcast_shapes(types[0].shape, types[1].shape)
        return [TensorType(self.out_dtype(types[0].dtype), shape)]

    def torch(self, ctx, attrs, a):
        kw = "".join(f", {k}={py(v)}" for k, v in attrs.items())
        return f"{self.fn}({a[0]}, {a[1]}{kw})"


class Add(Binary):
    name, fn, onnx_ops = "add", "torch.add", ("Add", "Mul")
    dtypes = frozenset(NUMERIC)

    def sample_attrs(self, b, types):
        if b.choices.boolean(0.25) and types[0].dtype != DType.uint8:
            return {"alpha": b.choices.choice([2, -1, 3]) if types[0].dtype.is_int else b.choices.choice([0.5, -1.0, 2.0])}
        return {}


    def onnx(self, ctx, attrs, a, outs):
        # torch.add(x, y, alpha=k) is x + k * y
        op = "Add" if self.name == "add" else "Sub"
        dt = dtype_of(ctx, a[0])
        y = a[1]
        if "alpha" in attrs:
            y = ctx.widen("Mul", [y, Lit(attrs["alpha"])], 1, dt)[0]
        ctx.widen(op, [a[0], y], outs, dt)

    def tf(self, ctx, attrs, a, types):
        # torch.add(x, y, alpha=k) is x + k * y
        tf, alpha, sub = ctx.tf, attrs.get("alpha"), self.name == "sub"

        def fn(x, y):
            if alpha is not None:
                y = y * tf.cast(alpha, y.dtype)
            return x - y if sub else x + y

        return ctx.widen(fn, *a[:2])


class Sub(Add):
    name, fn, onnx_ops = "sub", "torch.sub", ("Sub", "Mul")


class Mul(TfFunction, OneOnnxOp, Binary):
    name, fn, onnx_ops = "mul", "torch.mul", ("Mul",)
    dtypes = frozenset(NUMERIC)
    tf_fn = "math.multiply"
    tf_ints = True


class Div(Binary):
    name, fn, onnx_ops = "div", "torch.div", ("Div", "Floor", "Ceil", "Where", "Mod", "Sub")
    dtypes = frozenset(NUMERIC - {DType.uint8})
    rhs_domain = (0.5, INF)

    def sample_attrs(self, b, types):
        mode = b.choices.choice([None, "trunc", "floor"])
        if types[0].dtype.is_int and mode is None:
            mode = "floor"  # true division of ints returns floats; keep the int path
        return {} if mode is None else {"rounding_mode": mode}

    def onnx(self, ctx, attrs, a, outs):
        dt, mode = dtype_of(ctx, a[0]), attrs.get("rounding_mode")
        if mode is None:
            ctx.widen("Div", a, outs, dt)
        elif dt.is_int and mode == "trunc":  # ONNX integer Div truncates toward zero
            ctx.widen("Div", a, outs, dt)
        elif dt.is_int:
            # floor division, exact: (x - x mod y) / y with the floored (Python) modulo
            ct = compute_dtype(ctx, dt, "Div", "Mod", "Sub")
            x, y = cast(ctx, a[0], dt, ct), cast(ctx, a[1], dt, ct)
            diff = ctx.node("Sub", [x, ctx.node("Mod", [x, y], fmod=0)[0]])[0]
            q = target(ctx, ct, dt, outs[0])
            ctx.node("Div", [diff, y], [q])
            close(ctx, q, ct, dt, outs[0])
        else:
            ct = compute_dtype(ctx, dt, "Div", "Floor", "Ceil", "Less", "Where")
            q = ctx.node("Div", [cast(ctx, a[0], dt, ct), cast(ctx, a[1], dt, ct)])[0]
            r = target(ctx, ct, dt, outs[0])
            if mode == "floor":
                ctx.node("Floor", [q], [r])
            else:  # ONNX has no Trunc: ceil below zero, floor above
                neg = ctx.node("Less", [q, ctx.scalar(0.0, ct)])[0]
                ctx.node("Where", [neg, ctx.node("Ceil", [q])[0], ctx.node("Floor", [q])[0]], [r])
            close(ctx, r, ct, dt, outs[0])

    def tf(self, ctx, attrs, a, types):
        tf, mode = ctx.tf, attrs.get("rounding_mode")
        if types[0].dtype.is_int:
            return ctx.widen(tf.math.floordiv if mode == "floor" else tf.truncatediv, *a[:2], floats=False)
        if mode is None:
            return ctx.widen(tf.math.divide, *a[:2])
        if mode == "floor":
            return ctx.widen(tf.math.floordiv, *a[:2])
        # trunc: round the true quotient toward zero
        return ctx.widen(lambda x, y: trunc(tf, x / y), *a[:2])


class Remainder(TfFunction, Binary):
    name, fn, onnx_ops = "remainder", "torch.remainder", ("Mod", "Less", "Add", "Where")
    dtypes = frozenset(NUMERIC)
    rhs_domain = (0.5, INF)

    def onnx(self, ctx, attrs, a, outs):
        dt = dtype_of(ctx, a[0])
        if dt.is_int:  # fmod=0 is the floored (Python, torch.remainder) modulo
            ctx.widen("Mod", a, outs, dt, fmod=0)
            return
        # ONNX requires fmod=1 for floats; the divisor is positive (rhs_domain), so a negative
        # truncated remainder moves up by one divisor
        ct = compute_dtype(ctx, dt, "Mod", "Less", "Add", "Where")
        x, y = cast(ctx, a[0], dt, ct), cast(ctx, a[1], dt, ct)
        r = ctx.node("Mod", [x, y], fmod=1)[0]
        out = target(ctx, ct, dt, outs[0])
        ctx.node("Where", [ctx.node("Less", [r, ctx.scalar(0.0, ct)])[0], ctx.node("Add", [r, y])[0], r], [out])
        close(ctx, out, ct, dt, outs[0])
        # torch.remainder takes the divisor's sign: a floor mod
    tf_fn = "math.floormod"
    tf_ints = True


class Fmod(Binary):
    name, fn, onnx_ops = "fmod", "torch.fmod", ("Mod",)
    dtypes = frozenset(NUMERIC)
    rhs_domain = (0.5, INF)

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("Mod", a, outs, dtype_of(ctx, a[0]), fmod=1)

    def tf(self, ctx, attrs, a, types):
        # torch.fmod takes the dividend's sign. tf.truncatemod is that op, but tf2onnx has no
        # handler for it: from the floor mod r (divisor's sign), fmod is r - y where the signs of
        # r and x differ. Exact for floats too, as the true result is representable.
        tf = ctx.tf

        def fn(x, y):
            r = tf.math.floormod(x, y)
            zero = tf.zeros([], x.dtype)
            fix = tf.math.logical_and(tf.math.not_equal(r, zero), tf.math.not_equal(r < zero, x < zero))
            return tf.where(fix, r - y, r)

        return ctx.widen(fn, *a[:2])


class Pow(TfFunction, Binary):
    name, fn, onnx_ops = "pow", "torch.pow", ("Pow",)
    domain = (0.1, 4.0)  # a positive base keeps fractional exponents real
    rhs_domain = (-2.0, 2.0)

    def onnx(self, ctx, attrs, a, outs):
        # base (T) and exponent (T1) have separate type lists: both must take the compute dtype
        dt = dtype_of(ctx, a[0])
        ct = next(c for c in (ctx.dtype(dt), *WIDER[ctx.dtype(dt)])
                  if accepts("Pow", ctx.opset, c, 0) and accepts("Pow", ctx.opset, c, 1))
        y = target(ctx, ct, dt, outs[0])
        ctx.node("Pow", [cast(ctx, a[0], dt, ct), cast(ctx, a[1], dt, ct)], [y])
        close(ctx, y, ct, dt, outs[0])
    tf_fn = "math.pow"
    tf_ints = True


class Maximum(TfFunction, OneOnnxOp, Binary):
    name, fn, onnx_ops = "maximum", "torch.maximum", ("Max",)
    dtypes = frozenset(NUMERIC)
    tf_fn = "math.maximum"
    tf_ints = True


class Minimum(TfFunction, OneOnnxOp, Binary):
    name, fn, onnx_ops = "minimum", "torch.minimum", ("Min",)
    dtypes = frozenset(NUMERIC)
    tf_fn = "math.minimum"
    tf_ints = True


class Atan2(TfFunction, Binary):
    name, fn, onnx_ops = "atan2", "torch.atan2", ("Atan", "Div", "Less", "Where", "Add")
    dtypes = frozenset(FLOATS)

    def onnx(self, ctx, attrs, a, outs):
        # atan(y / x), moved by +-pi into the left half plane (y / 0 = +-inf gives +-pi/2).
        # Signed zeros matter as in torch (zeros are common after relu, ceil...): a value is
        # "negative" when 1 / value < 0, which holds for -0.0; y = +-0 gives +-0 before the shift
        dt = dtype_of(ctx, a[0])
        ct = compute_dtype(ctx, dt, "Atan", "Div", "Less", "Equal", "Where", "Add")
        y, x = cast(ctx, a[0], dt, ct), cast(ctx, a[1], dt, ct)
        zero, one = ctx.scalar(0.0, ct), ctx.scalar(1.0, ct)

        def negative(v):
            return ctx.node("Less", [ctx.node("Div", [one, v])[0], zero])[0]

        ratio = ctx.node("Atan", [ctx.node("Div", [y, x])[0]])[0]
        base = ctx.node("Where", [ctx.node("Equal", [y, zero])[0], y, ratio])[0]
        pi = ctx.node("Where", [negative(y), ctx.scalar(-math.pi, ct), ctx.scalar(math.pi, ct)])[0]
        shift = ctx.node("Where", [negative(x), pi, zero])[0]
        out = target(ctx, ct, dt, outs[0])
        ctx.node("Add", [base, shift], [out])
        close(ctx, out, ct, dt, outs[0])


# -- comparisons and logic ------------------------------------------------------
        # atan2(input, other) = atan(input / other): y first
    tf_fn = "math.atan2"
    tf_ints = True
class Compare(Binary):
    dtypes = frozenset(NUMERIC)

    def out_dtype(self, dtype):
        return DType.bool

    def onnx(self, ctx, attrs, a, outs):
        op = self.onnx_ops[0]
        if self.name == "ne":
            eq = ctx.widen(op, a, 1, dtype_of(ctx, a[0]), out_dtype=DType.bool)
            ctx.node("Not", eq, outs)
        else:
            ctx.widen(op, a, outs, dtype_of(ctx, a[0]), out_dtype=DType.bool)

    tf_fn: ClassVar[str]  # the tf.math comparison

    def tf(self, ctx, attrs, a, types):
        tf, (x, y) = ctx.tf, a
        if x.dtype in (tf.int8, tf.int16, tf.uint8):
            x, y = tf.cast(x, tf.int64), tf.cast(y, tf.int64)  # exact: widening keeps order
        return getattr(tf.math, self.tf_fn)(x, y)



class Eq(Compare):
    name, fn, onnx_ops = "eq", "torch.eq", ("Equal",)
    dtypes = frozenset(NUMERIC | {DType.bool})
    tf_fn = "equal"


class Ne(Compare):
    name, fn, onnx_ops = "ne", "torch.ne", ("Equal", "Not")
    dtypes = frozenset(NUMERIC | {DType.bool})
    tf_fn = "not_equal"


class Lt(Compare):
    name, fn, onnx_ops = "lt", "torch.lt", ("Less",)
    tf_fn = "less"


class Le(Compare):
    name, fn, onnx_ops = "le", "torch.le", ("LessOrEqual",)
    tf_fn = "less_equal"


class Gt(Compare):
    name, fn, onnx_ops = "gt", "torch.gt", ("Greater",)
    tf_fn = "greater"


class Ge(Compare):
    name, fn, onnx_ops = "ge", "torch.ge", ("GreaterOrEqual",)
    tf_fn = "greater_equal"


class LogicalAnd(TfFunction, OneOnnxOp, Binary):
    name, fn, onnx_ops = "logical_and", "torch.logical_and", ("And",)
    dtypes = frozenset({DType.bool})
    tf_fn = "math.logical_and"


class LogicalOr(TfFunction, OneOnnxOp, Binary):
    name, fn, onnx_ops = "logical_or", "torch.logical_or", ("Or",)
    dtypes = frozenset({DType.bool})
    tf_fn = "math.logical_or"


class LogicalXor(TfFunction, OneOnnxOp, Binary):
    name, fn, onnx_ops = "logical_xor", "torch.logical_xor", ("Xor",)
    dtypes = frozenset({DType.bool})
    tf_fn = "math.logical_xor"


class LogicalNot(OneOnnxOp, Unary):
    name, fn, onnx_ops = "logical_not", "torch.logical_not", ("Not",)
    dtypes = frozenset({DType.bool})

    def tf(self, ctx, attrs, a, types):
        return ctx.tf.math.logical_not(a[0])


class Where(OpSpec):
    """torch.where(cond, x, y): cond is the primary operand, x and y broadcast with it."""

    name, onnx_ops = "where", ("Where",)
    dtypes = frozenset({DType.bool})

    def operands(self, b, cond):
        dtype = b.choices.choice(sorted(b.config.dtypes - {DType.bool}, key=str) or [DType.float32])
        x = b.operand(TensorType(dtype, broadcast_partner(b, cond.type.shape)))
        joint = broadcast_shapes(cond.type.shape, x.type.shape)
        y = b.operand(TensorType(dtype, broadcast_partner(b, joint)))
        return [cond, x, y]

    def infer(self, types, attrs):
        return [TensorType(types[1].dtype, broadcast_shapes(*(t.shape for t in types)))]

    def torch(self, ctx, attrs, a):
        return f"torch.where({a[0]}, {a[1]}, {a[2]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("Where", a, outs, dtype_of(ctx, a[1]), keep=(0,))

    def tf(self, ctx, attrs, a, types):
        return ctx.tf.where(a[0], a[1], a[2])  # SelectV2 broadcasts all three, as torch.where does


class Cast(OpSpec):
    """Tensor.to(dtype): the only way dtypes change, so it bridges float, int and bool subgraphs."""

    name, onnx_ops = "cast", ("Cast",)
    dtypes = frozenset(FLOATS | INTS | {DType.bool})

    def sample_attrs(self, b, types):
        options = sorted(b.config.dtypes - {types[0].dtype}, key=str)
        return {"to": b.choices.choice(options or [types[0].dtype])}

    def infer(self, types, attrs):
        return [types[0].with_dtype(attrs["to"])]

    def torch(self, ctx, attrs, a):
        return f"{a[0]}.to({ctx.dtype(attrs['to'])})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Cast", a, outs, to=ctx.elem(attrs["to"]))

    def tf(self, ctx, attrs, a, types):
        tf, to, x = ctx.tf, DType(attrs["to"]), a[0]
        if types[0].dtype.is_float and to == DType.uint8:
            # a float converts to uint8 through int64 in torch (negative values wrap around);
            # TF's direct conversion saturates instead
            return tf.cast(tf.cast(x, tf.int64), tf.uint8)
        return tf.cast(x, ctx.dtype(to))

