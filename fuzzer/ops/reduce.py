"""Reductions and scans: every dim form (none, single, tuple, negative, empty), keepdim,
correction/unbiased, and the dtype= keyword where the API has one.

The `dim` attribute is None (all dims), an int, or a list of ints (possibly
negative, in any order, possibly empty). What an empty list means differs by op
in torch: sum/mean/amax/amin reduce every dim, all/any reduce none.
"""
from __future__ import annotations

from itertools import combinations
from typing import Callable, ClassVar

from fuzzer.errors import Rejected
from fuzzer.ir import FLOATS, DType, TensorType
from fuzzer.ops.base import OpSpec, norm_dim, py
from fuzzer.ops.dtypes import ALL, NUMERIC
from fuzzer.ops.lowering import cast, close, compute_dtype, reduce, target


def _count(shape, dims) -> int:
    n = 1
    for d in dims:
        n *= shape[d] if shape else 1
    return n


def spell_dim(b, d: int, rank: int) -> int:
    """Normalized dim d, sometimes in its negative spelling."""
    r = max(rank, 1)
    return d - r if b.choices.boolean(0.4) else d


def shuffled(b, items: list) -> list:
    items = list(items)
    out = []
    while items:
        out.append(items.pop(b.choices.integer(0, len(items) - 1)))
    return out


def sample_dim(b, shape, forms, ok: Callable[[int], bool] = lambda n: True):
    """A `dim` attribute of one of forms ("none", "int", "tuple", "empty") whose reduced
    element count satisfies ok. Picks the form first, so every form stays reachable."""
    c = b.choices
    rank = len(shape)
    options: dict[str, list] = {}
    if "none" in forms and ok(_count(shape, range(rank))):
        options["none"] = [None]
    if "int" in forms:
        # a rank-0 tensor takes dim 0 or -1, as if it had one dim
        singles = [(d,) for d in range(max(rank, 1)) if ok(_count(shape, (d,)))]
        if singles:
            options["int"] = singles
    if "tuple" in forms:
        subsets = [s for r in range(1, rank + 1) for s in combinations(range(rank), r) if ok(_count(shape, s))]
        if rank == 0 and ok(1):
            subsets = [(0,)]
        if subsets:
            options["tuple"] = subsets
    if "empty" in forms:
        options["empty"] = [()]
    if not options:
        raise Rejected("no dim satisfies the op's constraints")
    form = c.choice(sorted(options))
    dims = c.choice(options[form])
    if form == "none":
        return None
    if form == "int":
        return spell_dim(b, dims[0], rank)
    return [spell_dim(b, d, rank) for d in shuffled(b, dims)]


def norm_dims(dim, rank: int, empty_means_all: bool = True) -> tuple[int, ...]:
    """The normalized dims a `dim` attribute reduces."""
    if dim is None:
        return tuple(range(rank))
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return tuple(range(rank)) if empty_means_all else ()
        dims = dim
    else:
        dims = [dim]
    return tuple(sorted({int(d) % max(rank, 1) for d in dims})) if rank else ()


def reduced_shape(shape, dims, keepdim: bool) -> tuple[int, ...]:
    if keepdim:
        return tuple(1 if i in dims else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in dims)


def dtype_kw(b, dtype: DType, options) -> DType | None:
    opts = sorted((set(options) & b.config.dtypes) - {dtype}, key=str)
    return b.choices.choice(opts) if opts and b.choices.boolean(0.3) else None


class TfReduction:
    """Mixin (listed first among the bases) for a reduction that is one tf.math reduce function
    (tf_reduce) over the normalized dims, in the output dtype, in float32 for 16-bit floats."""

    tf_reduce: ClassVar[str]

    def tf(self, ctx, attrs, a, types):
        tf, out = ctx.tf, self.infer(types, attrs)[0]
        x = tf.cast(a[0], ctx.dtype(out.dtype)) if out.dtype != types[0].dtype else a[0]
        dims = list(norm_dims(attrs.get("dim"), types[0].rank))
        keep = bool(attrs.get("keepdim", False))
        if not dims:
            return x
        return ctx.widen(lambda v: getattr(tf.math, self.tf_reduce)(v, axis=dims, keepdims=keep), x, ints=False)


class Reduce(OpSpec):
    """fn(x, dim=..., keepdim=..., [extra keywords])."""

    fn: ClassVar[str]
    forms: ClassVar[tuple[str, ...]] = ("none", "int", "tuple")
    #: what dim=() means for this op in torch
    empty_means_all: ClassVar[bool] = True
    #: whether dim=None is spelled out; else the none form leaves dim off
    none_spelled: ClassVar[bool] = True
    dtypes = ALL

    def dim_ok(self, count: int, attrs: dict, x: TensorType) -> bool:
        """Whether reducing `count` elements of x is valid given the other keywords in attrs."""
        return True

    def extra(self, b, types) -> dict:
        """Keywords other than dim/keepdim, drawn before dim (they may constrain it)."""
        return {}

    def out_dtype(self, dtype: DType, attrs: dict) -> DType:
        return dtype

    def sample_attrs(self, b, types):
        c = b.choices
        extra = self.extra(b, types)
        attrs: dict = {"dim": sample_dim(b, types[0].shape, self.forms, lambda n: self.dim_ok(n, extra, types[0]))}
        if c.boolean(0.7):
            attrs["keepdim"] = c.boolean(0.5)
        attrs.update(extra)
        return attrs

    def reduced(self, x: TensorType, attrs) -> tuple[int, ...]:
        dims = norm_dims(attrs["dim"], x.rank, self.empty_means_all)
        return reduced_shape(x.shape, dims, bool(attrs.get("keepdim", False)))

    def infer(self, types, attrs):
        x = types[0]
        return [TensorType(self.out_dtype(x.dtype, attrs), self.reduced(x, attrs))]

    def render_extra(self, ctx, attrs) -> str:
        return ""

    #: the ONNX Reduce op lowering it (None: the spec lowers itself)
    reduce_op: ClassVar[str | None] = None

    def onnx_axes(self, ctx, attrs, x: TensorType):
        """(axes, keepdim): the normalized axes reduced, None for every axis; () for none."""
        dims = norm_dims(attrs["dim"], x.rank, self.empty_means_all)
        return (None if len(dims) == x.rank else list(dims)), bool(attrs.get("keepdim", False))

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        src, dt = x.dtype, ctx.types[outs[0]].dtype
        # the input is cast to the result dtype first (dtype=, int64 accumulation), as torch does
        ct = compute_dtype(ctx, dt, self.reduce_op)
        xc = cast(ctx, a[0], src, ct)
        y = target(ctx, ct, dt, outs[0])
        axes, keep = self.onnx_axes(ctx, attrs, x)
        if x.rank == 0 or axes == []:
            ctx.node("Identity", [xc], [y])
        else:
            reduce(ctx, self.reduce_op, xc, axes, keep, [y])
        close(ctx, y, ct, dt, outs[0])

    def torch(self, ctx, attrs, a):
        parts = [a[0]]
        dim = attrs["dim"]
        if dim is not None or self.none_spelled:
            parts.append(f"dim={py(dim)}")
        if "keepdim" in attrs:
            parts.append(f"keepdim={attrs['keepdim']!r}")
        return f"{self.fn}({', '.join(parts)}{self.render_extra(ctx, attrs)})"


def _accumulated(dtype: DType) -> DType:
    """sum/prod/cumsum promote every integral (and bool) input to int64."""
    return DType.int64 if dtype.is_int or dtype == DType.bool else dtype


class WithDtype(Reduce):
    """Ops with a dtype= keyword: the input is cast to it before reducing."""

    def dtype_options(self, dtype: DType):
        if dtype.is_float:
            return FLOATS
        return FLOATS | {DType.int64}

    def extra(self, b, types):
        d = dtype_kw(b, types[0].dtype, self.dtype_options(types[0].dtype))
        return {} if d is None else {"dtype": d}

    def out_dtype(self, dtype, attrs):
        return DType(attrs["dtype"]) if attrs.get("dtype") is not None else _accumulated(dtype)

    def render_extra(self, ctx, attrs):
        return f", dtype={ctx.dtype(attrs['dtype'])}" if attrs.get("dtype") is not None else ""


class Sum(TfReduction, WithDtype):
    name, fn, onnx_ops = "sum", "torch.sum", ("ReduceSum",)
    reduce_op = "ReduceSum"
    forms = ("none", "int", "tuple", "empty")
    none_spelled = False

    def torch(self, ctx, attrs, a):
        if attrs["dim"] is None and "keepdim" in attrs:  # keepdim needs the dim=None spelling
            return f"torch.sum({a[0]}, dim=None, keepdim={attrs['keepdim']!r}{self.render_extra(ctx, attrs)})"
        return super().torch(ctx, attrs, a)
    tf_reduce = "reduce_sum"


class Mean(TfReduction, WithDtype):
    """torch.mean; an integral input needs a floating dtype=."""

    name, fn, onnx_ops = "mean", "torch.mean", ("ReduceMean",)
    reduce_op = "ReduceMean"
    forms = ("none", "int", "tuple", "empty")
    dtypes = NUMERIC

    def extra(self, b, types):
        dtype = types[0].dtype
        if dtype.is_float:
            return super().extra(b, types)
        floats = sorted(FLOATS & b.config.dtypes, key=str)
        if not floats:
            raise Rejected("mean of an integral tensor needs a floating dtype=")
        return {"dtype": b.choices.choice(floats)}

    def out_dtype(self, dtype, attrs):
        return DType(attrs["dtype"]) if attrs.get("dtype") is not None else dtype
    tf_reduce = "reduce_mean"


class Prod(TfReduction, WithDtype):
    """torch.prod(x, dim: int, keepdim, dtype=): a single dim only. The reduced count is kept
    small and integral inputs are held in [-3, 3], so products cannot overflow."""

    name, fn, onnx_ops = "prod", "torch.prod", ("ReduceProd",)
    reduce_op = "ReduceProd"
    forms = ("none", "int")
    MAX_COUNT: ClassVar[int] = 16
    MAX_COUNT_HALF: ClassVar[int] = 6  # float16 overflows past 65504

    def operands(self, b, x):
        if x.type.dtype.is_int:
            x = b.guard(x, (-3.0, 3.0))  # narrows a graph input's domain; any other int value is rejected
        return [x]

    def dtype_options(self, dtype):
        return FLOATS if dtype.is_float else FLOATS | {DType.int64}

    def dim_ok(self, count, attrs, x):
        half = DType.float16 in (x.dtype, attrs.get("dtype"))
        return count <= (self.MAX_COUNT_HALF if half else self.MAX_COUNT)

    def sample_attrs(self, b, types):
        attrs = super().sample_attrs(b, types)
        if attrs["dim"] is None:  # prod(x, dtype=) has no dim/keepdim overload
            attrs.pop("keepdim", None)
        return attrs

    def torch(self, ctx, attrs, a):
        if attrs["dim"] is None:
            return f"torch.prod({a[0]}{self.render_extra(ctx, attrs)})"
        kd = f", keepdim={attrs['keepdim']!r}" if "keepdim" in attrs else ""
        return f"torch.prod({a[0]}, {attrs['dim']!r}{kd}{self.render_extra(ctx, attrs)})"
    tf_reduce = "reduce_prod"


class Amax(Reduce):
    name, fn, onnx_ops = "amax", "torch.amax", ("ReduceMax",)
    reduce_op = "ReduceMax"
    forms = ("none", "int", "tuple", "empty")
    none_spelled = False

    def tf(self, ctx, attrs, a, types):
        return _tf_extreme(self, ctx, attrs, a, types)


class Amin(Amax):
    name, fn, onnx_ops = "amin", "torch.amin", ("ReduceMin",)
    reduce_op = "ReduceMin"
class Argmax(Reduce):
    """torch.argmax(x, dim=None|int, keepdim): int64 indices of the first maximum."""

    name, fn, onnx_ops = "argmax", "torch.argmax", ("ArgMax", "Reshape")
    forms = ("none", "int")
    dtypes = NUMERIC

    def out_dtype(self, dtype, attrs):
        return DType.int64

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        op = self.onnx_ops[0]
        ct = compute_dtype(ctx, x.dtype, op)
        xc = cast(ctx, a[0], x.dtype, ct)
        keep = int(bool(attrs.get("keepdim", False)))
        if attrs["dim"] is None or x.rank == 0:
            # torch takes the index into the flattened tensor; keepdim keeps rank 1s
            flat = ctx.node("Reshape", [xc, ctx.ints([-1])])[0]
            idx = ctx.node(op, [flat], axis=0, keepdims=0)[0]
            ctx.node("Reshape", [idx, ctx.ints(ctx.types[outs[0]].shape)], outs)
        else:
            ctx.node(op, [xc], outs, axis=attrs["dim"], keepdims=keep)  # select_last_index=0: the first, as torch

    def tf(self, ctx, attrs, a, types):
        return _tf_arg(self, ctx, attrs, a, types)


class Argmin(Argmax):
    name, fn, onnx_ops = "argmin", "torch.argmin", ("ArgMin", "Reshape")
class Var(Reduce):
    """torch.var(x, dim, correction=|unbiased=, keepdim): the reduced count always exceeds
    the correction, so no result is a division by zero."""

    name, fn, onnx_ops = "var", "torch.var", ("ReduceMean", "Sub", "Mul", "ReduceSum", "Div")
    dtypes = FLOATS

    def extra(self, b, types):
        c = b.choices
        form = c.choice(["default", "correction", "correction", "unbiased"])
        if form == "correction":
            return {"correction": c.choice([0, 1, 1, 2])}
        if form == "unbiased":
            return {"unbiased": c.boolean(0.5)}
        return {}

    def dim_ok(self, count, attrs, x):
        if "unbiased" in attrs:
            corr = int(attrs["unbiased"])
        else:
            corr = attrs.get("correction", 1)
        return count > corr

    def render_extra(self, ctx, attrs):
        return "".join(f", {k}={attrs[k]!r}" for k in ("correction", "unbiased") if k in attrs)

    def onnx(self, ctx, attrs, a, outs):
        # sum((x - mean)^2) / (count - correction), the two-pass form torch uses
        x = ctx.types[a[0]]
        dt = x.dtype
        corr = int(attrs["unbiased"]) if "unbiased" in attrs else attrs.get("correction", 1)
        dims = norm_dims(attrs["dim"], x.rank)
        count = _count(x.shape, dims)
        keep = bool(attrs.get("keepdim", False))
        ct = compute_dtype(ctx, dt, "ReduceMean", "ReduceSum", "Sqrt")
        xc = cast(ctx, a[0], dt, ct)
        axes = list(dims) if x.rank else None
        if x.rank == 0:
            mean = xc
        else:
            mean = reduce(ctx, "ReduceMean", xc, axes, True)[0]
        d = ctx.node("Sub", [xc, mean])[0]
        sq = ctx.node("Mul", [d, d])[0]
        ss = sq if x.rank == 0 else reduce(ctx, "ReduceSum", sq, axes, keep)[0]
        var_out = target(ctx, ct, dt, outs[0])
        take_root = self.name.startswith("std")
        var = ctx.node("Div", [ss, ctx.scalar(float(count - corr), ct)], 1 if take_root else [var_out])[0]
        if take_root:
            ctx.node("Sqrt", [var], [var_out])
        close(ctx, var_out, ct, dt, outs[0])
        if len(outs) == 2:  # var_mean / std_mean: the mean with the requested keepdim
            m_out = target(ctx, ct, dt, outs[1])
            if keep or x.rank == 0:
                ctx.node("Identity", [mean], [m_out])
            else:
                ctx.node("Squeeze", [mean, ctx.ints(axes)], [m_out])
            close(ctx, m_out, ct, dt, outs[1])

    def tf(self, ctx, attrs, a, types):
        return _tf_moments(self, ctx, attrs, a, types)


class Std(Var):
    name, fn, onnx_ops = "std", "torch.std", ("ReduceMean", "Sub", "Mul", "ReduceSum", "Div", "Sqrt")
class VarMean(Var):
    """torch.var_mean: two outputs (var, mean) of the same type."""

    name, fn, onnx_ops = "var_mean", "torch.var_mean", ("ReduceMean", "Sub", "Mul", "ReduceSum", "Div", "Squeeze")

    def infer(self, types, attrs):
        t = super().infer(types, attrs)[0]
        return [t, t]
class StdMean(VarMean):
    name, fn, onnx_ops = "std_mean", "torch.std_mean", ("ReduceMean", "Sub", "Mul", "ReduceSum", "Div", "Sqrt", "Squeeze")
class LogSumExp(TfReduction, Reduce):
    name, fn, onnx_ops = "logsumexp", "torch.logsumexp", ("ReduceLogSumExp",)
    reduce_op = "ReduceLogSumExp"
    forms = ("int", "tuple")
    dtypes = FLOATS
    tf_reduce = "reduce_logsumexp"


class ReduceAll(Reduce):
    """torch.all / torch.any: bool results, except that a uint8 input gives uint8."""

    name, fn, onnx_ops = "all", "torch.all", ("ReduceMin", "Cast")
    forms = ("none", "int", "tuple", "empty")
    empty_means_all = False  # torch.all(x, dim=()) reduces nothing

    def out_dtype(self, dtype, attrs):
        return DType.uint8 if dtype == DType.uint8 else DType.bool

    def onnx(self, ctx, attrs, a, outs):
        # nonzero -> true, then min (all) or max (any) of 0/1 in int32 (ReduceMin/Max take bool
        # only from opset 20)
        x = ctx.types[a[0]]
        truth = a[0] if x.dtype == DType.bool else ctx.node("Cast", a, 1, to=ctx.elem(DType.bool))[0]
        ones = ctx.node("Cast", [truth], 1, to=ctx.elem(DType.int32))[0]
        axes, keep = self.onnx_axes(ctx, attrs, x)
        if x.rank == 0 or axes == []:
            r = ones
        else:
            r = reduce(ctx, "ReduceMin" if self.name == "all" else "ReduceMax", ones, axes, keep)[0]
        ctx.node("Cast", [r], outs, to=ctx.elem(ctx.types[outs[0]].dtype))

    def tf(self, ctx, attrs, a, types):
        return _tf_all_any(self, ctx, attrs, a, types)


class ReduceAny(ReduceAll):
    name, fn, onnx_ops = "any", "torch.any", ("ReduceMax", "Cast")
class Cumsum(OpSpec):
    """torch.cumsum(x, dim, dtype=): integral inputs accumulate in int64."""

    name, onnx_ops = "cumsum", ("CumSum",)
    dtypes = ALL

    def sample_attrs(self, b, types):
        x = types[0]
        attrs: dict = {"dim": spell_dim(b, b.choices.integer(0, max(x.rank, 1) - 1), x.rank)}
        d = dtype_kw(b, x.dtype, FLOATS if x.dtype.is_float else FLOATS | {DType.int64})
        if d is not None:
            attrs["dtype"] = d
        return attrs

    def infer(self, types, attrs):
        x = types[0]
        dtype = DType(attrs["dtype"]) if attrs.get("dtype") is not None else _accumulated(x.dtype)
        return [x.with_dtype(dtype)]

    def torch(self, ctx, attrs, a):
        kw = f", dtype={ctx.dtype(attrs['dtype'])}" if attrs.get("dtype") is not None else ""
        return f"torch.cumsum({a[0]}, dim={attrs['dim']!r}{kw})"

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        dt = ctx.types[outs[0]].dtype
        ct = compute_dtype(ctx, dt, "CumSum")
        xc = cast(ctx, a[0], x.dtype, ct)
        y = target(ctx, ct, dt, outs[0])
        if x.rank == 0:  # a 0-d tensor is its own running sum
            ctx.node("Identity", [xc], [y])
        else:
            ctx.node("CumSum", [xc, ctx.scalar(attrs["dim"], DType.int64)], [y])
        close(ctx, y, ct, dt, outs[0])

    def tf(self, ctx, attrs, a, types):
        tf, out = ctx.tf, self.infer(types, attrs)[0]
        x = tf.cast(a[0], ctx.dtype(out.dtype)) if out.dtype != types[0].dtype else a[0]
        if types[0].rank == 0:
            return x
        d = norm_dim(attrs["dim"], types[0].rank)
        return ctx.widen(lambda v: tf.math.cumsum(v, axis=d), x)


# -- TensorFlow lowerings ------------------------------------------------------------
def _tf_extreme(spec, ctx, attrs, a, types):
    tf, x = ctx.tf, a[0]
    dims = list(norm_dims(attrs.get("dim"), types[0].rank))
    keep = bool(attrs.get("keepdim", False))
    if not dims:
        return x
    if types[0].dtype == DType.bool:
        fn = tf.math.reduce_any if spec.name == "amax" else tf.math.reduce_all
        return fn(x, axis=dims, keepdims=keep)
    fn = tf.math.reduce_max if spec.name == "amax" else tf.math.reduce_min
    return fn(x, axis=dims, keepdims=keep)


def _tf_arg(spec, ctx, attrs, a, types):
    tf, out, x = ctx.tf, spec.infer(types, attrs)[0], a[0]
    fn = tf.math.argmax if spec.name == "argmax" else tf.math.argmin
    if types[0].rank == 0:
        return tf.zeros(out.shape, tf.int64)
    if attrs.get("dim") is None:
        # over the flattened tensor; keepdim then gives all-ones dims
        return tf.reshape(fn(tf.reshape(x, [-1]), axis=0, output_type=tf.int64), out.shape)
    d = norm_dim(attrs["dim"], types[0].rank)
    y = fn(x, axis=d, output_type=tf.int64)
    return tf.expand_dims(y, d) if attrs.get("keepdim") else y


def _tf_moments(spec, ctx, attrs, a, types):
    tf, op = ctx.tf, spec.name
    dims = list(norm_dims(attrs.get("dim"), types[0].rank))
    keep = bool(attrs.get("keepdim", False))
    corr = int(attrs["unbiased"]) if "unbiased" in attrs else attrs.get("correction", 1)
    count = 1
    for d in dims:
        count *= types[0].shape[d]

    def fn(x):
        if not dims:  # rank 0: one element, the mean is itself
            mean, var = x, tf.zeros_like(x) / float(count - corr)
        else:
            mean = tf.math.reduce_mean(x, axis=dims, keepdims=True)
            var = tf.math.reduce_sum(tf.math.square(x - mean), axis=dims, keepdims=keep) / float(count - corr)
            if not keep:
                mean = tf.squeeze(mean, dims)
        if op.startswith("std"):
            var = tf.math.sqrt(var)
        return tf.stack([var, mean]) if op.endswith("_mean") else var

    y = ctx.widen(fn, a[0], ints=False)
    return (y[0], y[1]) if op.endswith("_mean") else y


def _tf_all_any(spec, ctx, attrs, a, types):
    tf, x = ctx.tf, a[0]
    b = x if types[0].dtype == DType.bool else tf.math.not_equal(x, tf.zeros([], x.dtype))
    dims = list(norm_dims(attrs.get("dim"), types[0].rank, False))
    keep = bool(attrs.get("keepdim", False))
    if dims:
        fn = tf.math.reduce_all if spec.name == "all" else tf.math.reduce_any
        b = fn(b, axis=dims, keepdims=keep)
    return tf.cast(b, tf.uint8) if types[0].dtype == DType.uint8 else b
