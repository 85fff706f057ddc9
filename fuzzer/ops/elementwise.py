"""Elementwise ops: unary math, activations with every keyword, binary ops with broadcasting."""
from __future__ import annotations

import math
from typing import ClassVar

from fuzzer.ir import FLOATS, INTS, SIGNED, DType, TensorType, broadcast_shapes
from fuzzer.ops.base import OpSpec, broadcast_partner, py, same_type

INF = math.inf
NUMERIC = frozenset(FLOATS | INTS)


# -- unary --------------------------------------------------------------------
class Unary(OpSpec):
    """y = fn(x, **attrs), same type as x."""

    fn: ClassVar[str]
    infer = staticmethod(same_type)

    def torch(self, ctx, attrs, a):
        kw = "".join(f", {k}={py(v)}" for k, v in attrs.items())
        return f"{self.fn}({a[0]}{kw})"


class OneOnnxOp:
    """Mixin for ops that are exactly one ONNX op without attributes: onnx_ops[0]."""

    def onnx(self, ctx, attrs, a, outs):
        ctx.node(self.onnx_ops[0], a, outs)


class Abs(OneOnnxOp, Unary):
    name, fn, onnx_ops = "abs", "torch.abs", ("Abs",)
    dtypes = frozenset(SIGNED)


class Neg(OneOnnxOp, Unary):
    name, fn, onnx_ops = "neg", "torch.neg", ("Neg",)
    dtypes = frozenset(SIGNED)


class Exp(OneOnnxOp, Unary):
    name, fn, onnx_ops = "exp", "torch.exp", ("Exp",)
    domain = (-INF, 10.0)


class Log(OneOnnxOp, Unary):
    name, fn, onnx_ops = "log", "torch.log", ("Log",)
    domain = (0.05, INF)


class Sqrt(OneOnnxOp, Unary):
    name, fn, onnx_ops = "sqrt", "torch.sqrt", ("Sqrt",)
    domain = (0.0, INF)


class Reciprocal(OneOnnxOp, Unary):
    name, fn, onnx_ops = "reciprocal", "torch.reciprocal", ("Reciprocal",)
    domain = (0.1, INF)


class Sin(OneOnnxOp, Unary):
    name, fn, onnx_ops = "sin", "torch.sin", ("Sin",)


class Cos(OneOnnxOp, Unary):
    name, fn, onnx_ops = "cos", "torch.cos", ("Cos",)


class Tanh(OneOnnxOp, Unary):
    name, fn, onnx_ops = "tanh", "torch.tanh", ("Tanh",)


class Sigmoid(OneOnnxOp, Unary):
    name, fn, onnx_ops = "sigmoid", "torch.sigmoid", ("Sigmoid",)


class Erf(OneOnnxOp, Unary):
    name, fn, onnx_ops = "erf", "torch.erf", ("Erf",)


class Floor(OneOnnxOp, Unary):
    name, fn, onnx_ops = "floor", "torch.floor", ("Floor",)


class Ceil(OneOnnxOp, Unary):
    name, fn, onnx_ops = "ceil", "torch.ceil", ("Ceil",)


class Round(Unary):
    name, fn, onnx_ops = "round", "torch.round", ("Round",)

    def sample_attrs(self, b, types):
        # decimals != 0 exports as Mul/Round/Div: a three-op pattern worth reaching.
        return {"decimals": b.choices.integer(0, 2)} if b.choices.boolean(0.3) else {}


class Sign(Unary):
    name, fn, onnx_ops = "sign", "torch.sign", ("Sign",)
    dtypes = frozenset(SIGNED)


class Relu(Unary):
    name, fn, onnx_ops = "relu", "torch.relu", ("Relu",)
    dtypes = frozenset(FLOATS | {DType.int64, DType.int32})


class LeakyRelu(Unary):
    name, fn, onnx_ops = "leaky_relu", "F.leaky_relu", ("LeakyRelu",)

    def sample_attrs(self, b, types):
        return {"negative_slope": b.choices.choice([0.01, 0.2, -0.5, 0.0, 1.5])}


class Elu(Unary):
    name, fn, onnx_ops = "elu", "F.elu", ("Elu",)

    def sample_attrs(self, b, types):
        return {"alpha": b.choices.choice([1.0, 0.5, 2.0])}


class Celu(Unary):
    name, fn, onnx_ops = "celu", "F.celu", ("Celu",)

    def sample_attrs(self, b, types):
        return {"alpha": b.choices.choice([1.0, 0.5, 2.0])}


class Selu(Unary):
    name, fn, onnx_ops = "selu", "F.selu", ("Selu",)


class Gelu(Unary):
    name, fn, onnx_ops = "gelu", "F.gelu", ("Gelu", "Erf", "Tanh")

    def sample_attrs(self, b, types):
        return {"approximate": b.choices.choice(["none", "tanh"])}


class Silu(Unary):
    name, fn, onnx_ops = "silu", "F.silu", ("Sigmoid", "Mul")


class Mish(Unary):
    name, fn, onnx_ops = "mish", "F.mish", ("Mish", "Softplus", "Tanh")


class Softplus(Unary):
    name, fn, onnx_ops = "softplus", "F.softplus", ("Softplus",)

    def sample_attrs(self, b, types):
        return {"beta": b.choices.choice([1.0, 0.5, 2.0]), "threshold": b.choices.choice([20.0, 1.0, 5.0])}


class Softsign(Unary):
    name, fn, onnx_ops = "softsign", "F.softsign", ("Softsign",)


class Hardtanh(Unary):
    name, fn, onnx_ops = "hardtanh", "F.hardtanh", ("Clip",)

    def sample_attrs(self, b, types):
        lo = b.choices.choice([-1.0, -0.5, 0.0, -2.0])
        return {"min_val": lo, "max_val": lo + b.choices.choice([0.5, 1.0, 2.0])}


class Hardsigmoid(Unary):
    name, fn, onnx_ops = "hardsigmoid", "F.hardsigmoid", ("HardSigmoid",)


class Hardswish(Unary):
    name, fn, onnx_ops = "hardswish", "F.hardswish", ("HardSwish",)


class Relu6(Unary):
    name, fn, onnx_ops = "relu6", "F.relu6", ("Clip",)


class LogSigmoid(Unary):
    name, fn, onnx_ops = "logsigmoid", "F.logsigmoid", ("Sigmoid", "Log", "Softplus")


class Clamp(OpSpec):
    """torch.clamp with min only, max only, or both; bounds may cross (min > max), which torch defines."""

    name, onnx_ops = "clamp", ("Clip", "Max", "Min")
    dtypes = frozenset(FLOATS | {DType.int64, DType.int32})
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


# -- binary -------------------------------------------------------------------
class Binary(OpSpec):
    """z = fn(x, y) with numpy broadcasting; y is drawn to broadcast with x."""

    fn: ClassVar[str]
    #: where the second operand must lie (a divisor), or None
    rhs_domain: ClassVar[tuple[float, float] | None] = None

    def operands(self, b, x):
        shape = broadcast_partner(b, x.type.shape)
        y = b.operand(TensorType(x.type.dtype, shape), domain=self.rhs_domain)
        return [y, x] if b.choices.boolean(0.2) and self.rhs_domain is None else [x, y]

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
        y = a[1]
        if "alpha" in attrs:
            y = ctx.node("Mul", [y, ctx.scalar(attrs["alpha"], ctx.types[a[1]].dtype)])[0]
        ctx.node(op, [a[0], y], outs)


class Sub(Add):
    name, fn, onnx_ops = "sub", "torch.sub", ("Sub", "Mul")


class Mul(OneOnnxOp, Binary):
    name, fn, onnx_ops = "mul", "torch.mul", ("Mul",)
    dtypes = frozenset(NUMERIC)


class Div(Binary):
    name, fn, onnx_ops = "div", "torch.div", ("Div", "Floor", "Cast")
    dtypes = frozenset(NUMERIC - {DType.uint8})
    rhs_domain = (0.5, INF)

    def sample_attrs(self, b, types):
        mode = b.choices.choice([None, "trunc", "floor"])
        if types[0].dtype.is_int and mode is None:
            mode = "floor"  # true division of ints returns floats; keep the int path
        return {} if mode is None else {"rounding_mode": mode}


class Remainder(Binary):
    name, fn, onnx_ops = "remainder", "torch.remainder", ("Mod",)
    dtypes = frozenset({DType.float32, DType.float64, DType.int64, DType.int32})
    rhs_domain = (0.5, INF)


class Fmod(Binary):
    name, fn, onnx_ops = "fmod", "torch.fmod", ("Mod",)
    dtypes = frozenset({DType.float32, DType.float64, DType.int64, DType.int32})
    rhs_domain = (0.5, INF)


class Pow(Binary):
    name, fn, onnx_ops = "pow", "torch.pow", ("Pow",)
    domain = (0.1, 4.0)  # a positive base keeps fractional exponents real
    rhs_domain = (-2.0, 2.0)


class Maximum(Binary):
    name, fn, onnx_ops = "maximum", "torch.maximum", ("Max",)
    dtypes = frozenset(NUMERIC)


class Minimum(Binary):
    name, fn, onnx_ops = "minimum", "torch.minimum", ("Min",)
    dtypes = frozenset(NUMERIC)


class Atan2(Binary):
    name, fn, onnx_ops = "atan2", "torch.atan2", ("Atan", "Div", "Where")
    dtypes = frozenset({DType.float32, DType.float64})


# -- comparisons and logic ------------------------------------------------------
class Compare(Binary):
    dtypes = frozenset(NUMERIC)

    def out_dtype(self, dtype):
        return DType.bool


class Eq(Compare):
    name, fn, onnx_ops = "eq", "torch.eq", ("Equal",)
    dtypes = frozenset(NUMERIC | {DType.bool})


class Ne(Compare):
    name, fn, onnx_ops = "ne", "torch.ne", ("Equal", "Not")
    dtypes = frozenset(NUMERIC | {DType.bool})


class Lt(Compare):
    name, fn, onnx_ops = "lt", "torch.lt", ("Less",)


class Le(Compare):
    name, fn, onnx_ops = "le", "torch.le", ("LessOrEqual",)


class Gt(Compare):
    name, fn, onnx_ops = "gt", "torch.gt", ("Greater",)


class Ge(Compare):
    name, fn, onnx_ops = "ge", "torch.ge", ("GreaterOrEqual",)


class LogicalAnd(Binary):
    name, fn, onnx_ops = "logical_and", "torch.logical_and", ("And",)
    dtypes = frozenset({DType.bool})


class LogicalOr(Binary):
    name, fn, onnx_ops = "logical_or", "torch.logical_or", ("Or",)
    dtypes = frozenset({DType.bool})


class LogicalXor(Binary):
    name, fn, onnx_ops = "logical_xor", "torch.logical_xor", ("Xor",)
    dtypes = frozenset({DType.bool})


class LogicalNot(Unary):
    name, fn, onnx_ops = "logical_not", "torch.logical_not", ("Not",)
    dtypes = frozenset({DType.bool})


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
