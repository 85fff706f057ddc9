"""The TensorFlow frontend: an IR graph as a tf.function, for tf2onnx to convert.

The IR follows torch: its semantics (integer division, rounding, reduce and
keepdim rules, type promotion as the inferred output dtypes state it) and its
layout (NCHW convolutions with torch's padding conventions). Each lowering
computes exactly that function with the TensorFlow ops a TF model author would
use: convolutions transpose NCHW to NHWC, call tf.nn, and transpose back,
because TF's CPU kernels only take NHWC, and because that round trip is what
tf2onnx must see through in real models.

TF_LOWERINGS is importable without TensorFlow: the frontend registry reads its
keys to decide which ops the "tf" frontend serves, so every function here gets
the `tf` module as an argument. An op is listed only when every attribute
combination its spec can draw is lowered exactly; an op with a variant that TF
cannot express (max pooling's torch-style flat indices) is left out, since the
generator must never draw what cannot be materialized.

A lowering is `fn(tf, attrs, args, types)`: args are the operand tensors, types
their IR TensorTypes; it returns one tensor, or a tuple for multi-output ops.
"""
from __future__ import annotations

import math
import os
from typing import Callable

from fuzzer.ir import DType, TensorType

TF_LOWERINGS: dict[str, Callable] = {}

# float16/bfloat16 math that TF has no CPU kernel for (or computes at half precision where
# torch computes in float32 and rounds once) is done in float32, as torch's CPU kernels do
HALF = (DType.float16, DType.bfloat16)
# integer types TF's CPU kernels mostly lack; their arithmetic is done in int64 and wrapped
# back by the cast, which is the same modular result torch's wrapping gives
NARROW_INTS = (DType.int8, DType.int16, DType.uint8)


def lowering(*names: str):
    def register(fn):
        for name in names:
            TF_LOWERINGS[name] = fn
        return fn

    return register


def import_tf():
    """TensorFlow, imported quietly and confined to one thread per pool (campaign workers
    share the machine's cores)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # Eigen kernels: no oneDNN rewrites of the rounding
    import tensorflow as tf

    if not getattr(import_tf, "configured", False):
        tf.get_logger().setLevel("ERROR")  # retracing notices: every case builds a new function
        try:
            tf.config.threading.set_inter_op_parallelism_threads(1)
            tf.config.threading.set_intra_op_parallelism_threads(1)
        except RuntimeError:  # already initialized by someone else in this process: keep theirs
            pass
        import_tf.configured = True
    return tf


def tf_dtype(tf, dtype: DType):
    return getattr(tf, DType(dtype).value)


def _out(op: str, types: list[TensorType], attrs: dict) -> list[TensorType]:
    """The spec's own output types: the contract every lowering must meet."""
    from fuzzer.ops import get_spec

    return get_spec(op).infer(types, attrs)


def _norm(d: int, rank: int) -> int:
    return int(d) % rank if rank else 0


# -- precision helpers -----------------------------------------------------------
def _wide_float(tf, x, fn):
    """fn(x) computed in float32 when x is a 16-bit float, cast back to x's dtype."""
    if x.dtype in [tf_dtype(tf, d) for d in HALF]:
        return tf.cast(fn(tf.cast(x, tf.float32)), x.dtype)
    return fn(x)


def _wide_int(tf, xs, fn):
    """fn(*xs) computed in int64 when the operands are int8/int16/uint8, cast back."""
    dtype = xs[0].dtype
    if dtype in [tf_dtype(tf, d) for d in NARROW_INTS]:
        return tf.cast(fn(*[tf.cast(x, tf.int64) for x in xs]), dtype)
    return fn(*xs)


def _arith(tf, xs, fn):
    """fn over same-dtype operands, widened where TF kernels are missing or coarser."""
    if xs[0].dtype in [tf_dtype(tf, d) for d in HALF]:
        return tf.cast(fn(*[tf.cast(x, tf.float32) for x in xs]), xs[0].dtype)
    return _wide_int(tf, xs, fn)


# -- unary math and activations -----------------------------------------------------
def _unary(fn_of_tf):
    def lower(tf, attrs, a, types):
        return _wide_float(tf, a[0], fn_of_tf(tf))

    return lower


for _name, _fn in {
    "exp": lambda tf: tf.math.exp,
    "log": lambda tf: tf.math.log,
    "sqrt": lambda tf: tf.math.sqrt,
    "reciprocal": lambda tf: tf.math.reciprocal,
    "sin": lambda tf: tf.math.sin,
    "cos": lambda tf: tf.math.cos,
    "tanh": lambda tf: tf.math.tanh,
    "sigmoid": lambda tf: tf.math.sigmoid,
    "erf": lambda tf: tf.math.erf,
    "floor": lambda tf: tf.math.floor,
    "ceil": lambda tf: tf.math.ceil,
    "selu": lambda tf: tf.nn.selu,
    "silu": lambda tf: tf.nn.silu,
    "softsign": lambda tf: tf.nn.softsign,
    "relu6": lambda tf: tf.nn.relu6,
    "logsigmoid": lambda tf: tf.math.log_sigmoid,
    # torch: relu6(x + 3) / 6, and x times that
    "hardsigmoid": lambda tf: (lambda x: tf.nn.relu6(x + 3.0) / 6.0),
    "hardswish": lambda tf: (lambda x: x * tf.nn.relu6(x + 3.0) / 6.0),
    "mish": lambda tf: (lambda x: x * tf.math.tanh(tf.math.softplus(x))),
    # the ONNX-only trig specs (fuzzer.ops.onnx_math): TF has each as one op
    "Sinh": lambda tf: tf.math.sinh,
    "Cosh": lambda tf: tf.math.cosh,
    "Tan": lambda tf: tf.math.tan,
    "Asin": lambda tf: tf.math.asin,
    "Acos": lambda tf: tf.math.acos,
    "Atan": lambda tf: tf.math.atan,
    "Asinh": lambda tf: tf.math.asinh,
    "Acosh": lambda tf: tf.math.acosh,
    "Atanh": lambda tf: tf.math.atanh,
}.items():
    TF_LOWERINGS[_name] = _unary(_fn)


def _make_signed(fn_name):
    def lower(tf, attrs, a, types):
        return _arith(tf, [a[0]], getattr(tf.math, fn_name))

    return lower


TF_LOWERINGS["abs"] = _make_signed("abs")
TF_LOWERINGS["neg"] = _make_signed("negative")
TF_LOWERINGS["sign"] = _make_signed("sign")


@lowering("relu")
def _relu(tf, attrs, a, types):
    x = a[0]
    if types[0].dtype.is_int:
        return tf.math.maximum(x, tf.zeros([], x.dtype))
    return _wide_float(tf, x, tf.nn.relu)


@lowering("round")
def _round(tf, attrs, a, types):
    # torch.round and tf.round both round half to even; decimals=d scales by 10**d around it
    d = int(attrs.get("decimals", 0))
    if d == 0:
        return _wide_float(tf, a[0], tf.math.round)
    scale = float(10**d)
    return _wide_float(tf, a[0], lambda x: tf.math.round(x * scale) / scale)


@lowering("leaky_relu")
def _leaky_relu(tf, attrs, a, types):
    slope = float(attrs.get("negative_slope", 0.01))
    # written as a select: tf.nn.leaky_relu takes max(x, slope*x) for slope <= 1, which is
    # not torch's function when the slope is negative
    return _wide_float(tf, a[0], lambda x: tf.where(x > 0, x, x * slope))


@lowering("elu")
def _elu(tf, attrs, a, types):
    alpha = float(attrs.get("alpha", 1.0))
    if alpha == 1.0:
        return _wide_float(tf, a[0], tf.nn.elu)
    # exp(x) - 1, not expm1: tf2onnx has no Expm1 handler, and would call every such graph
    # unsupported; the lost digits near 0 are absolute ones, far inside the tolerance
    return _wide_float(tf, a[0], lambda x: tf.where(x > 0, x, alpha * (tf.math.exp(x) - 1.0)))


@lowering("celu")
def _celu(tf, attrs, a, types):
    alpha = float(attrs.get("alpha", 1.0))
    return _wide_float(
        tf, a[0], lambda x: tf.math.maximum(x, 0.0) + tf.math.minimum(alpha * (tf.math.exp(x / alpha) - 1.0), 0.0)
    )


@lowering("gelu")
def _gelu(tf, attrs, a, types):
    if attrs.get("approximate", "none") == "tanh":
        return _wide_float(tf, a[0], lambda x: tf.nn.gelu(x, approximate=True))
    # the erf form spelled out, as Keras does: tf.nn.gelu uses Erfc, which tf2onnx cannot convert
    return _wide_float(tf, a[0], lambda x: 0.5 * x * (1.0 + tf.math.erf(x / math.sqrt(2.0))))


@lowering("softplus")
def _softplus(tf, attrs, a, types):
    beta = float(attrs.get("beta", 1.0))
    threshold = float(attrs.get("threshold", 20.0))
    # torch reverts to the identity where beta * x > threshold
    return _wide_float(
        tf, a[0], lambda x: tf.where(x * beta > threshold, x, tf.math.softplus(x * beta) / beta)
    )


@lowering("hardtanh")
def _hardtanh(tf, attrs, a, types):
    lo, hi = float(attrs.get("min_val", -1.0)), float(attrs.get("max_val", 1.0))
    return _wide_float(tf, a[0], lambda x: tf.clip_by_value(x, lo, hi))


@lowering("clamp")
def _clamp(tf, attrs, a, types):
    # torch.clamp is min(max(x, lo), hi): when lo > hi every element becomes hi
    x = a[0]
    lo, hi = attrs.get("min"), attrs.get("max")

    def fn(x):
        if lo is not None:
            x = tf.math.maximum(x, tf.cast(lo, x.dtype))
        if hi is not None:
            x = tf.math.minimum(x, tf.cast(hi, x.dtype))
        return x

    return _arith(tf, [x], fn)


@lowering("logical_not")
def _logical_not(tf, attrs, a, types):
    return tf.math.logical_not(a[0])


@lowering("cast")
def _cast(tf, attrs, a, types):
    to = DType(attrs["to"])
    x = a[0]
    if types[0].dtype.is_float and to == DType.uint8:
        # a float converts to uint8 through int64 in torch (negative values wrap around);
        # TF's direct conversion saturates instead
        return tf.cast(tf.cast(x, tf.int64), tf.uint8)
    return tf.cast(x, tf_dtype(tf, to))


# -- binary -------------------------------------------------------------------
def _binary(fn_of_tf):
    def lower(tf, attrs, a, types):
        return _arith(tf, a[:2], fn_of_tf(tf))

    return lower


for _name, _fn in {
    "mul": lambda tf: tf.math.multiply,
    "maximum": lambda tf: tf.math.maximum,
    "minimum": lambda tf: tf.math.minimum,
    "pow": lambda tf: tf.math.pow,
    # torch.remainder takes the divisor's sign (floor mod); torch.fmod the dividend's (trunc mod)
    "remainder": lambda tf: tf.math.floormod,
    "atan2": lambda tf: tf.math.atan2,  # atan2(input, other) = atan(input / other): y first
}.items():
    TF_LOWERINGS[_name] = _binary(_fn)

for _name, _fn in {
    "eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
}.items():
    TF_LOWERINGS[_name] = (lambda fn: lambda tf, attrs, a, types: _compare(tf, fn, a))(_fn)

for _name, _fn in {"logical_and": "logical_and", "logical_or": "logical_or", "logical_xor": "logical_xor"}.items():
    TF_LOWERINGS[_name] = (lambda fn: lambda tf, attrs, a, types: getattr(tf.math, fn)(a[0], a[1]))(_fn)


def _compare(tf, fn, a):
    x, y = a
    if x.dtype in (tf.int8, tf.int16, tf.uint8):
        x, y = tf.cast(x, tf.int64), tf.cast(y, tf.int64)  # exact: widening keeps order
    return getattr(tf.math, fn)(x, y)


def _add_sub(sub: bool):
    def lower(tf, attrs, a, types):
        # torch.add(x, y, alpha=k) is x + k * y
        alpha = attrs.get("alpha")

        def fn(x, y):
            if alpha is not None:
                y = y * tf.cast(alpha, y.dtype)
            return x - y if sub else x + y

        return _arith(tf, a[:2], fn)

    return lower


TF_LOWERINGS["add"] = _add_sub(False)
TF_LOWERINGS["sub"] = _add_sub(True)


@lowering("fmod")
def _fmod(tf, attrs, a, types):
    # torch.fmod takes the dividend's sign. tf.truncatemod is that op, but tf2onnx has no
    # handler for it: from the floor mod r (divisor's sign), fmod is r - y where the signs of
    # r and x differ. Exact for floats too, as the true result is representable.
    def fn(x, y):
        r = tf.math.floormod(x, y)
        zero = tf.zeros([], x.dtype)
        fix = tf.math.logical_and(tf.math.not_equal(r, zero), tf.math.not_equal(r < zero, x < zero))
        return tf.where(fix, r - y, r)

    return _arith(tf, a[:2], fn)


@lowering("div")
def _div(tf, attrs, a, types):
    mode = attrs.get("rounding_mode")
    dtype = types[0].dtype
    if dtype.is_int:
        fn = tf.math.floordiv if mode == "floor" else tf.truncatediv
        return _wide_int(tf, a[:2], fn)
    if mode is None:
        return _arith(tf, a[:2], tf.math.divide)
    if mode == "floor":
        return _arith(tf, a[:2], tf.math.floordiv)
    # trunc: round the true quotient toward zero
    return _arith(tf, a[:2], lambda x, y: _trunc(tf, x / y))


def _trunc(tf, q):
    return tf.where(q < 0, tf.math.ceil(q), tf.math.floor(q))


@lowering("where")
def _where(tf, attrs, a, types):
    return tf.where(a[0], a[1], a[2])  # SelectV2 broadcasts all three, as torch.where does


# -- matrix products ------------------------------------------------------------
def _matmul2(tf, x, y):
    """torch.matmul semantics for any ranks >= 1 (vectors are promoted, then squeezed)."""

    def fn(x, y):
        if x.shape.rank == 1 and y.shape.rank == 1:
            return tf.reduce_sum(x * y)
        if x.shape.rank == 1:
            return tf.squeeze(tf.linalg.matmul(tf.expand_dims(x, 0), y), -2)
        if y.shape.rank == 1:
            return tf.squeeze(tf.linalg.matmul(x, tf.expand_dims(y, -1)), -1)
        return tf.linalg.matmul(x, y)  # BatchMatMulV2 broadcasts batch dims like torch

    return _arith(tf, [x, y], fn)


@lowering("matmul", "bmm")
def _matmul(tf, attrs, a, types):
    return _matmul2(tf, a[0], a[1])


@lowering("addmm")
def _addmm(tf, attrs, a, types):
    beta, alpha = attrs.get("beta", 1), attrs.get("alpha", 1)

    def fn(inp, m1, m2):
        prod = tf.linalg.matmul(m1, m2)
        if alpha != 1:
            prod = prod * tf.cast(alpha, prod.dtype)
        if beta == 0:
            return prod  # torch ignores input entirely when beta is 0
        if beta != 1:
            inp = inp * tf.cast(beta, inp.dtype)
        return prod + inp

    return _arith(tf, a[:3], fn)


@lowering("linear")
def _linear(tf, attrs, a, types):
    def fn(x, w, *bias):
        if w.shape.rank == 1:
            y = tf.tensordot(x, w, axes=[[x.shape.rank - 1], [0]])
        elif x.shape.rank == 1:
            y = tf.linalg.matvec(w, x)
        else:
            y = tf.linalg.matmul(x, w, transpose_b=True)
        return y + bias[0] if bias else y

    return _arith(tf, a, fn)


# -- convolution ------------------------------------------------------------------
def _per_dim(value, n: int) -> list[int]:
    if isinstance(value, (list, tuple)):
        return [int(v) for v in value]
    return [int(value)] * n


def _to_channels_last(tf, x, nd):
    return tf.transpose(x, [0, *range(2, nd + 2), 1])


def _to_channels_first(tf, x, nd):
    return tf.transpose(x, [0, nd + 1, *range(1, nd + 1)])


@lowering("conv1d", "conv2d")
def _conv(tf, attrs, a, types):
    nd = types[0].rank - 2
    kernel = types[1].shape[2:]
    stride = _per_dim(attrs.get("stride", 1), nd)
    dilation = _per_dim(attrs.get("dilation", 1), nd)
    groups = int(attrs.get("groups", 1))
    pad = attrs.get("padding", 0)
    if pad == "same":
        # torch puts the odd extra element of 'same' padding on the right, as TF's SAME does
        total = [d * (k - 1) for d, k in zip(dilation, kernel)]
        pads = [[t // 2, t - t // 2] for t in total]
    else:
        pads = [[p, p] for p in _per_dim(0 if pad == "valid" else pad, nd)]

    def fn(x, w, *bias):
        x = _to_channels_last(tf, x, nd)
        if any(p != [0, 0] for p in pads):
            x = tf.pad(x, [[0, 0], *pads, [0, 0]])
        # torch weight (out, in/groups, *k) -> TF filter (*k, in/groups, out)
        f = tf.transpose(w, [*range(2, nd + 2), 1, 0])
        # TF's CPU conv cannot stride and dilate at once: dilate at stride 1, then subsample
        both = any(s > 1 for s in stride) and any(d > 1 for d in dilation)
        run_stride = [1] * nd if both else stride
        outs = []
        cin_g, cout_g = types[1].shape[1], types[1].shape[0] // groups
        for g in range(groups):
            xg = x if groups == 1 else x[..., g * cin_g:(g + 1) * cin_g]
            fg = f if groups == 1 else f[..., g * cout_g:(g + 1) * cout_g]
            if nd == 1:
                y = tf.nn.conv1d(xg, fg, stride=run_stride, padding="VALID", dilations=dilation)
            else:
                y = tf.nn.conv2d(xg, fg, strides=run_stride, padding="VALID", dilations=dilation)
            outs.append(y)
        y = outs[0] if groups == 1 else tf.concat(outs, axis=-1)
        if both:
            y = y[(slice(None), *(slice(None, None, s) for s in stride))]
        if bias:
            y = tf.nn.bias_add(y, bias[0])
        return _to_channels_first(tf, y, nd)

    return _wide_float(tf, a[0], lambda x: fn(x, *[_same(tf, v, x.dtype) for v in a[1:]]))


def _same(tf, v, dtype):
    return v if v.dtype == dtype else tf.cast(v, dtype)


# -- adaptive pooling -----------------------------------------------------------------
def _adaptive(tf, x, sizes, reduce):
    """Adaptive pooling over the trailing len(sizes) dims: output i of a dim of length n
    covers [floor(i*n/out), ceil((i+1)*n/out)), as torch defines it. Pooling a rectangle is
    pooling its rows then its columns, for a mean as for a max, so each dim goes in turn."""
    rank = x.shape.rank
    for k, out in enumerate(sizes):
        axis = rank - len(sizes) + k
        n = x.shape[axis]
        if out is None or out == n:
            continue
        pieces = []
        for i in range(out):
            lo, hi = (i * n) // out, -(-((i + 1) * n) // out)
            window = tf.gather(x, list(range(lo, hi)), axis=axis) if hi - lo != n else x
            pieces.append(reduce(window, axis=axis, keepdims=True))
        x = pieces[0] if out == 1 else tf.concat(pieces, axis=axis)
    return x


def _adaptive_avg(nd: int):
    def lower(tf, attrs, a, types):
        sizes = attrs["output_size"]
        sizes = list(sizes) if isinstance(sizes, (list, tuple)) else [sizes] * nd
        return _wide_float(tf, a[0], lambda x: _adaptive(tf, x, sizes, tf.math.reduce_mean))

    return lower


TF_LOWERINGS["adaptive_avg_pool1d"] = _adaptive_avg(1)
TF_LOWERINGS["adaptive_avg_pool2d"] = _adaptive_avg(2)


# -- more elementwise math (fuzzer.ops.math_extra, fuzzer.ops.misc) -------------------------
for _name, _fn in {
    "sinh": lambda tf: tf.math.sinh,
    "cosh": lambda tf: tf.math.cosh,
    "tan": lambda tf: tf.math.tan,
    "asin": lambda tf: tf.math.asin,
    "acos": lambda tf: tf.math.acos,
    "atan": lambda tf: tf.math.atan,
    "asinh": lambda tf: tf.math.asinh,
    "acosh": lambda tf: tf.math.acosh,
    "atanh": lambda tf: tf.math.atanh,
    "rsqrt": lambda tf: tf.math.rsqrt,
    "trunc": lambda tf: (lambda x: _trunc(tf, x)),
    "frac": lambda tf: (lambda x: x - _trunc(tf, x)),
}.items():
    TF_LOWERINGS[_name] = _unary(_fn)


@lowering("square")
def _square(tf, attrs, a, types):
    return _arith(tf, [a[0]], tf.math.square)


@lowering("clamp_min", "clamp_max")
def _clamp_one(tf, attrs, a, types):
    return _clamp(tf, attrs, a, types)  # the spec's one bound is a "min" or a "max" attribute


@lowering("logaddexp")
def _logaddexp(tf, attrs, a, types):
    # max + log1p(exp(-|x - y|)), which never overflows, as torch computes it; spelled with
    # softplus because tf2onnx has no Log1p handler (log1p itself is left out of the table)
    return _arith(tf, a[:2], lambda x, y: tf.math.maximum(x, y) + tf.math.softplus(-tf.math.abs(x - y)))


@lowering("xlogy")
def _xlogy(tf, attrs, a, types):
    # x * log(y), and 0 where x is 0 (y is drawn positive)
    return _arith(tf, a[:2], lambda x, y: tf.where(tf.math.equal(x, 0.0), tf.zeros_like(x), x * tf.math.log(y)))


@lowering("logit")
def _logit(tf, attrs, a, types):
    eps = attrs.get("eps")

    def fn(x):
        if eps is not None:
            x = tf.clip_by_value(x, eps, 1.0 - eps)
        return tf.math.log(x / (1.0 - x))

    return _wide_float(tf, a[0], fn)


@lowering("hardshrink")
def _hardshrink(tf, attrs, a, types):
    lambd = float(attrs["lambd"])
    return tf.where(tf.math.abs(a[0]) > lambd, a[0], tf.zeros_like(a[0]))


@lowering("softshrink")
def _softshrink(tf, attrs, a, types):
    lambd = float(attrs["lambd"])
    x = a[0]
    return tf.where(x > lambd, x - lambd, tf.where(x < -lambd, x + lambd, tf.zeros_like(x)))


@lowering("threshold")
def _threshold(tf, attrs, a, types):
    th, value = float(attrs["threshold"]), float(attrs["value"])
    return _wide_float(tf, a[0], lambda x: tf.where(x > th, x, tf.fill(tf.shape(x), tf.cast(value, x.dtype))))


@lowering("glu")
def _glu(tf, attrs, a, types):
    d = _norm(attrs["dim"], types[0].rank)

    def fn(x):
        first, second = tf.split(x, 2, axis=d)
        return first * tf.math.sigmoid(second)

    return _wide_float(tf, a[0], fn)


@lowering("prelu")
def _prelu(tf, attrs, a, types):
    rank, n = types[0].rank, types[1].shape[0]

    def fn(x, w):
        # one slope per channel (dim 1), or one for all
        w = tf.reshape(w, [n] + [1] * (rank - 2))
        return tf.where(x >= 0, x, w * x)

    return _arith(tf, a[:2], fn)


def _tri_lowering(upper: bool):
    def lower(tf, attrs, a, types):
        import numpy as np

        n, m = types[0].shape[-2:]
        k = int(attrs.get("diagonal", 0))
        # the kept triangle as a static mask (the shape is static); k may lie outside the matrix
        mask = (np.triu if upper else np.tril)(np.ones((n, m), dtype=bool), k)
        return tf.where(tf.constant(mask), a[0], tf.zeros_like(a[0]))

    return lower


TF_LOWERINGS["tril"] = _tri_lowering(False)
TF_LOWERINGS["triu"] = _tri_lowering(True)


@lowering("roll")
def _roll(tf, attrs, a, types):
    # tf.roll has torch.roll's direction: element i moves to i + shift (mod n)
    dims = [_norm(d, types[0].rank) for d in attrs["dims"]]
    return tf.roll(a[0], shift=[int(v) for v in attrs["shifts"]], axis=dims)


@lowering("repeat")
def _repeat(tf, attrs, a, types):
    reps = [int(r) for r in attrs["repeats"]]
    x = a[0]
    extra = len(reps) - types[0].rank
    if extra:  # x.repeat prepends size-1 dims for the extra repeats
        x = tf.reshape(x, [1] * extra + list(types[0].shape))
    return tf.tile(x, reps)


# -- max and average pooling ------------------------------------------------------------
def _pool_geometry(attrs, spatial, nd):
    """Per dim (kernel, stride, padding, dilation, output size, extent) of a torch pool. The
    extent is the span the windows read (from the left padding on): the input padded by p on
    the left, by whatever the last (ceil_mode) window needs on the right, and cut to it."""
    from fuzzer.ops.pool import pool_out

    k = _per_dim(attrs["kernel_size"], nd)
    s = k if attrs.get("stride") is None else _per_dim(attrs["stride"], nd)
    p = _per_dim(attrs.get("padding", 0), nd)
    d = _per_dim(attrs.get("dilation", 1), nd)
    ceil = bool(attrs.get("ceil_mode", False))
    out = [pool_out(spatial[i], k[i], s[i], p[i], d[i], ceil) for i in range(nd)]
    extent = [(out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 for i in range(nd)]
    return k, s, p, d, out, extent


def _pad_to_extent(tf, x, first, p, spatial, extent, value=0):
    """x padded by p on the left of each spatial dim (starting at axis first) and cut or
    padded on the right to exactly extent."""
    nd = len(p)
    rank = x.shape.rank
    pads = [[0, 0]] * rank
    for i in range(nd):
        pads[first + i] = [p[i], max(0, extent[i] - spatial[i] - p[i])]
    if any(q != [0, 0] for q in pads):
        x = tf.pad(x, pads, constant_values=value)
    if any(spatial[i] + p[i] > extent[i] for i in range(nd)):
        index = [slice(None)] * rank
        for i in range(nd):
            index[first + i] = slice(0, extent[i])
        x = x[tuple(index)]
    return x


def _batched(tf, x, nd, fn):
    """fn on an (N, C, *spatial) tensor; an unbatched (C, *spatial) one gets a batch of 1."""
    if x.shape.rank == nd + 1:
        return tf.squeeze(fn(tf.expand_dims(x, 0)), 0)
    return fn(x)


def _avg_divisor(n, k, s, p, out, include_pad):
    """torch's divisor per output position of one dim: the window clipped to the padded
    input (count_include_pad) or to the input itself."""
    import numpy as np

    div = []
    for i in range(out):
        lo = i * s - p
        hi = min(lo + k, n + p)
        div.append(hi - lo if include_pad else min(hi, n) - max(lo, 0))
    return np.array(div, dtype=np.float64)


def _avg_pool(nd: int):
    def lower(tf, attrs, a, types):
        import numpy as np

        spatial = types[0].shape[-nd:]
        k, s, p, _, out, extent = _pool_geometry(attrs, spatial, nd)
        include_pad = bool(attrs.get("count_include_pad", True))
        override = attrs.get("divisor_override")
        # TF's AvgPool over the zero-padded input divides by the full kernel; rescaling by
        # prod(k) / torch's divisor (a constant: the shapes are static) gives torch's result
        if override:
            scale = np.full(out, float(np.prod(k)) / override)
        else:
            scale = np.ones(out)
            for i in range(nd):
                f = float(k[i]) / _avg_divisor(spatial[i], k[i], s[i], p[i], out[i], include_pad)
                scale = scale * f.reshape([-1 if j == i else 1 for j in range(nd)])

        def fn(x):
            x = _pad_to_extent(tf, _to_channels_last(tf, x, nd), 1, p, spatial, extent)
            pool = tf.nn.avg_pool1d if nd == 1 else tf.nn.avg_pool2d
            y = pool(x, ksize=k, strides=s, padding="VALID")
            if not np.all(scale == 1.0):
                y = y * tf.constant(scale.reshape(*out, 1), dtype=y.dtype)
            return _to_channels_first(tf, y, nd)

        return _wide_float(tf, a[0], lambda x: _batched(tf, x, nd, fn))

    return lower


TF_LOWERINGS["avg_pool1d"] = _avg_pool(1)
TF_LOWERINGS["avg_pool2d"] = _avg_pool(2)


def _max_pool(nd: int):
    def lower(tf, attrs, a, types):
        import numpy as np

        spatial = types[0].shape[-nd:]
        k, s, p, d, out, extent = _pool_geometry(attrs, spatial, nd)
        indices = bool(attrs.get("return_indices"))
        plain = not indices and all(v == 1 for v in d)

        def fn(x):
            low = x.dtype.min if x.dtype.is_integer else -np.inf
            if plain:
                # the form TF models have: MaxPool on an NHWC input padded with -inf
                y = _pad_to_extent(tf, _to_channels_last(tf, x, nd), 1, p, spatial, extent, low)
                pool = tf.nn.max_pool1d if nd == 1 else tf.nn.max_pool2d
                return _to_channels_first(tf, pool(y, ksize=k, strides=s, padding="VALID"), nd)
            # dilation (which TF's MaxPool lacks) or torch's indices (flat per (N, C) plane):
            # one strided slice per kernel offset, folded with a strict ">" so that the first
            # maximum in torch's scan order wins
            xp = _pad_to_extent(tf, x, 2, p, spatial, extent, low)
            best = idx = None
            # which outputs have read a real element yet: static, as the geometry is. The first
            # real element a window reads always replaces the padding, even when it equals the
            # padding value (an int8 -128), as torch starts from the first real position.
            seen = np.zeros(out, dtype=bool)
            for offset in np.ndindex(*k):
                window = [slice(None), slice(None)] + [
                    slice(offset[i] * d[i], offset[i] * d[i] + (out[i] - 1) * s[i] + 1, s[i]) for i in range(nd)]
                v = xp[tuple(window)]
                # the input position each output reads at this offset, flattened per plane
                pos = np.zeros(out, dtype=np.int64)
                real = np.ones(out, dtype=bool)
                for i in range(nd):
                    coord = np.arange(out[i]) * s[i] + offset[i] * d[i] - p[i]
                    shape = [-1 if j == i else 1 for j in range(nd)]
                    pos = pos * spatial[i] + coord.reshape(shape)
                    real = real & ((coord >= 0) & (coord < spatial[i])).reshape(shape)
                first = real & ~seen
                seen = seen | real
                pos_t = tf.constant(pos, dtype=tf.int64)
                if best is None:
                    best, idx = v, tf.broadcast_to(pos_t, v.shape)
                else:
                    take = v > best
                    if first.any():
                        take = tf.math.logical_or(take, tf.constant(first))
                    best = tf.where(take, v, best)
                    idx = tf.where(take, pos_t, idx)
            return (best, idx) if indices else best

        if indices:
            pair = fn(a[0]) if types[0].rank == nd + 2 else tuple(
                tf.squeeze(t, 0) for t in fn(tf.expand_dims(a[0], 0)))
            return pair
        return _batched(tf, a[0], nd, fn)

    return lower


TF_LOWERINGS["max_pool1d"] = _max_pool(1)
TF_LOWERINGS["max_pool2d"] = _max_pool(2)


# -- reductions -----------------------------------------------------------------------
def _reduce_dims(attrs, rank: int, empty_means_all: bool = True) -> list[int]:
    from fuzzer.ops.reduce import norm_dims

    return list(norm_dims(attrs.get("dim"), rank, empty_means_all))


def _reduction(op, reduce_name, widen_half=True):
    def lower(tf, attrs, a, types):
        out = _out(op, types, attrs)[0]
        x = tf.cast(a[0], tf_dtype(tf, out.dtype)) if out.dtype != types[0].dtype else a[0]
        dims = _reduce_dims(attrs, types[0].rank)
        keep = bool(attrs.get("keepdim", False))
        if not dims:
            return x
        fn = lambda v: getattr(tf.math, reduce_name)(v, axis=dims, keepdims=keep)  # noqa: E731
        return _wide_float(tf, x, fn) if widen_half else _wide_int(tf, [x], fn)

    return lower


TF_LOWERINGS["sum"] = _reduction("sum", "reduce_sum")
TF_LOWERINGS["mean"] = _reduction("mean", "reduce_mean")
TF_LOWERINGS["prod"] = _reduction("prod", "reduce_prod")
TF_LOWERINGS["logsumexp"] = _reduction("logsumexp", "reduce_logsumexp")


def _extreme(op):
    def lower(tf, attrs, a, types):
        x = a[0]
        dims = _reduce_dims(attrs, types[0].rank)
        keep = bool(attrs.get("keepdim", False))
        if not dims:
            return x
        if types[0].dtype == DType.bool:
            fn = tf.math.reduce_any if op == "amax" else tf.math.reduce_all
            return fn(x, axis=dims, keepdims=keep)
        fn = tf.math.reduce_max if op == "amax" else tf.math.reduce_min
        return fn(x, axis=dims, keepdims=keep)

    return lower


TF_LOWERINGS["amax"] = _extreme("amax")
TF_LOWERINGS["amin"] = _extreme("amin")


def _arg(op):
    def lower(tf, attrs, a, types):
        out = _out(op, types, attrs)[0]
        x = a[0]
        fn = tf.math.argmax if op == "argmax" else tf.math.argmin
        if types[0].rank == 0:
            return tf.zeros(out.shape, tf.int64)
        if attrs.get("dim") is None:
            # over the flattened tensor; keepdim then gives all-ones dims
            return tf.reshape(fn(tf.reshape(x, [-1]), axis=0, output_type=tf.int64), out.shape)
        d = _norm(attrs["dim"], types[0].rank)
        y = fn(x, axis=d, output_type=tf.int64)
        return tf.expand_dims(y, d) if attrs.get("keepdim") else y

    return lower


TF_LOWERINGS["argmax"] = _arg("argmax")
TF_LOWERINGS["argmin"] = _arg("argmin")


def _moments(op):
    def lower(tf, attrs, a, types):
        dims = _reduce_dims(attrs, types[0].rank)
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

        y = _wide_float(tf, a[0], fn)
        return (y[0], y[1]) if op.endswith("_mean") else y

    return lower


for _name in ("var", "std", "var_mean", "std_mean"):
    TF_LOWERINGS[_name] = _moments(_name)


def _all_any(op):
    def lower(tf, attrs, a, types):
        x = a[0]
        b = x if types[0].dtype == DType.bool else tf.math.not_equal(x, tf.zeros([], x.dtype))
        dims = _reduce_dims(attrs, types[0].rank, empty_means_all=False)
        keep = bool(attrs.get("keepdim", False))
        if dims:
            fn = tf.math.reduce_all if op == "all" else tf.math.reduce_any
            b = fn(b, axis=dims, keepdims=keep)
        return tf.cast(b, tf.uint8) if types[0].dtype == DType.uint8 else b

    return lower


TF_LOWERINGS["all"] = _all_any("all")
TF_LOWERINGS["any"] = _all_any("any")


@lowering("cumsum")
def _cumsum(tf, attrs, a, types):
    out = _out("cumsum", types, attrs)[0]
    x = tf.cast(a[0], tf_dtype(tf, out.dtype)) if out.dtype != types[0].dtype else a[0]
    if types[0].rank == 0:
        return x
    d = _norm(attrs["dim"], types[0].rank)
    return _arith(tf, [x], lambda v: tf.math.cumsum(v, axis=d))


def _softmax(op):
    def lower(tf, attrs, a, types):
        out = _out(op, types, attrs)[0]
        x = tf.cast(a[0], tf_dtype(tf, out.dtype)) if out.dtype != types[0].dtype else a[0]
        if types[0].rank == 0:  # one element: softmax 1, log_softmax 0
            return tf.zeros_like(x) if op == "log_softmax" else tf.ones_like(x)
        d = _norm(attrs["dim"], types[0].rank)
        if op == "softmin":  # softmax(-x)
            return _wide_float(tf, x, lambda v: tf.nn.softmax(-v, axis=d))
        fn = tf.nn.softmax if op == "softmax" else tf.nn.log_softmax
        return _wide_float(tf, x, lambda v: fn(v, axis=d))

    return lower


TF_LOWERINGS["softmax"] = _softmax("softmax")
TF_LOWERINGS["softmin"] = _softmax("softmin")
TF_LOWERINGS["log_softmax"] = _softmax("log_softmax")


# -- shape ops --------------------------------------------------------------------
@lowering("reshape")
def _reshape(tf, attrs, a, types):
    return tf.reshape(a[0], [int(s) for s in attrs["shape"]])


@lowering("flatten")
def _flatten(tf, attrs, a, types):
    return tf.reshape(a[0], _out("flatten", types, attrs)[0].shape)


@lowering("transpose")
def _transpose(tf, attrs, a, types):
    rank = types[0].rank
    if rank == 0:
        return a[0]
    perm = list(range(rank))
    i, j = _norm(attrs["dim0"], rank), _norm(attrs["dim1"], rank)
    perm[i], perm[j] = perm[j], perm[i]
    return tf.transpose(a[0], perm)


@lowering("permute")
def _permute(tf, attrs, a, types):
    if types[0].rank == 0:
        return a[0]
    return tf.transpose(a[0], [_norm(d, types[0].rank) for d in attrs["dims"]])


@lowering("cat")
def _cat(tf, attrs, a, types):
    return tf.concat(list(a), axis=_norm(attrs["dim"], types[0].rank))


@lowering("slice")
def _slice(tf, attrs, a, types):
    rank = types[0].rank
    index = [slice(None)] * rank
    if "narrow" in attrs:
        d, start, length = attrs["narrow"]
        d = _norm(d, rank)
        start = start % types[0].shape[d]
        index[d] = slice(start, start + length)
    else:
        # Python slice bounds (negative, omitted, past the end) mean the same in TF indexing
        for d, start, stop, step in attrs["slices"]:
            index[_norm(d, rank)] = slice(start, stop, step)
    return a[0][tuple(index)]


@lowering("squeeze")
def _squeeze(tf, attrs, a, types):
    x = types[0]
    if x.rank == 0:
        return a[0]
    if "dim" not in attrs:
        dims = range(x.rank)
    elif isinstance(attrs["dim"], (list, tuple)):
        dims = [_norm(d, x.rank) for d in attrs["dim"]]
    else:
        dims = [_norm(attrs["dim"], x.rank)]
    # torch leaves a named dim whose size is not 1 alone; tf.squeeze would refuse it
    ones = sorted({d for d in dims if x.shape[d] == 1})
    return tf.squeeze(a[0], ones) if ones else a[0]


@lowering("unsqueeze")
def _unsqueeze(tf, attrs, a, types):
    return tf.expand_dims(a[0], _norm(attrs["dim"], types[0].rank + 1))


@lowering("expand")
def _expand(tf, attrs, a, types):
    return tf.broadcast_to(a[0], _out("expand", types, attrs)[0].shape)


def _pieces(op):
    def lower(tf, attrs, a, types):
        outs = _out(op, types, attrs)
        d = _norm(attrs["dim"], types[0].rank)
        parts = tf.split(a[0], [t.shape[d] for t in outs], axis=d)
        return parts[0] if len(outs) == 1 else tuple(parts)

    return lower


TF_LOWERINGS["split"] = _pieces("split")
TF_LOWERINGS["chunk"] = _pieces("chunk")


@lowering("flip")
def _flip(tf, attrs, a, types):
    return tf.reverse(a[0], [_norm(d, types[0].rank) for d in attrs["dims"]])


# -- the graph ---------------------------------------------------------------------
class LoweringMismatch(Exception):
    """A TF lowering produced a type other than the spec infers: a bug in this module."""


def build_tf_function(graph):
    """graph as a tf.function over its inputs (in graph.inputs order), returning its outputs
    as a list, at the IR dtypes.

    Returns:
        fn, with an input_signature whose TensorSpec names are the input names (the
        graph's constants are baked in as tf.constant).

    Raises:
        NotImplementedError: an op of the graph has no TF lowering.
        LoweringMismatch: (when traced) a lowering's result differs from the inferred type.
    """
    missing = sorted({n.op_type for n in graph.op_nodes} - set(TF_LOWERINGS))
    if missing:
        raise NotImplementedError(f"no TensorFlow lowering for op(s): {', '.join(missing)}")
    tf = import_tf()
    signature = [tf.TensorSpec(v.type.shape, tf_dtype(tf, v.type.dtype), name=v.name) for v in graph.inputs]

    def body(*args):
        env = dict(zip(graph.inputs, args))
        for node in graph.consts:
            v = node.outputs[0]
            env[v] = tf.constant(node.value, dtype=tf_dtype(tf, v.type.dtype))
        for node in graph.op_nodes:
            ins = node.inputs
            lower = TF_LOWERINGS[node.op_type]
            result = lower(tf, node.attrs, [env[v] for v in ins], [v.type for v in ins])
            results = list(result) if isinstance(result, (tuple, list)) else [result]
            if len(results) != len(node.outputs):
                raise LoweringMismatch(f"{node.op_type}: {len(results)} results for {len(node.outputs)} outputs")
            for v, r in zip(node.outputs, results):
                got = (tuple(r.shape.as_list()), r.dtype.name)
                want = (tuple(v.type.shape), tf_dtype(tf, v.type.dtype).name)
                if got != want:
                    raise LoweringMismatch(f"{node.op_type} {node.attrs}: TF gives {got}, the spec infers {want}")
                env[v] = r
        return [tf.identity(env[v], name=f"out{i}") for i, v in enumerate(graph.outputs)]

    return tf.function(body, input_signature=signature, autograph=False)


def run_tf(graph, inputs: dict) -> list:
    """graph evaluated in TensorFlow on inputs {name: array}: one numpy array per output."""
    fn = build_tf_function(graph)
    tf = import_tf()
    args = [tf.constant(inputs[v.name], dtype=tf_dtype(tf, v.type.dtype)) for v in graph.inputs]
    return [t.numpy() for t in fn(*args)]


__all__ = ["TF_LOWERINGS", "LoweringMismatch", "build_tf_function", "import_tf", "run_tf", "tf_dtype"]
