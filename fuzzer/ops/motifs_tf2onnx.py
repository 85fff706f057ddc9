"""Rewrite motifs of tf2onnx: TensorFlow patterns its graph rewriters and its optimizers rewrite.

tf2onnx converts TensorFlow graphs, so these motifs have a `tf` lowering (the TF
frontend only) and a torch lowering that is the float64 truth; `exportable = False`.
A pattern only reaches tf2onnx if TensorFlow's grappler (constant folding, function
inlining and dependency pruning, as tf2onnx runs it) keeps it, so each is what TF
keeps and tf2onnx's own code looks for:
- rewriters (tf2onnx.tfonnx's rewrite_*: on the TF graph, before the handlers map
  it): TF idioms such as max(x, alpha x), MatMul + bias, a Pad before a VALID Conv2D,
  atrous convolution's SpaceToBatchND/Conv2D/BatchToSpaceND, the moments form of a
  layer normalization;
- optimizers (tf2onnx.optimizer's table: on the ONNX graph the handlers made): the
  NHWC<->NCHW Transposes tf2onnx and the lowerings put around channels-last TF ops,
  which optimize_transpose pushes through and cancels; duplicated nodes; back-to-back
  Casts, Reshapes and a Conv followed by an inference BatchNormalization; a
  ReduceMean/ReduceMax over every spatial axis; Einsum, which it decomposes.

As in the other motif modules, a draw keeps every precondition about 3 times in 4
(attrs["fires"]) and otherwise breaks one, named in attrs["broken"] (see each
class). `rewrites` names the rules as fuzzer.coverage.tf2onnx records them (the
optimizer table's keys, the rewrite functions' names); the firing test
(tests/unit/test_motif_firing_tf2onnx.py) converts each motif alone through the
tf2onnx converter plugin and reads the rules it recorded (fuzzer.coverage.firing).

Lowerings call TensorFlow only through ctx.tf functions (never Python operators on
tensors), so a tf2onnx repro can write the function down (fuzzer.report.tf_repro).

Rules left without a motif, and why (tf2onnx 1.17, TensorFlow 2.21):
- remove_identity changes every model;
- remove_redundant_upsample looks at Upsample only, which tf2onnx emits below opset 10
  (the exporter converts at 13 or newer);
- const_dequantize_optimizer needs a DequantizeLinear of constants, which only the TFLite
  path makes (a QuantizeLinear of a TF constant is not folded);
- loop_optimizer needs a Loop: the TF frontend draws no control flow;
- reshape_optimizer, rewrite_flatten, rewrite_transpose and rewrite_eye need shapes computed
  at run time, which static input signatures never leave (grappler folds them); the einsum
  motif reaches reshape_optimizer through the Shape ops of some decompositions;
- rewrite_constant_fold: grappler folds constant subgraphs first; rewrite_fused_ops: the
  _Fused ops come from grappler's remapper, which tf2onnx does not run;
- rewrite_cond, rewrite_generic_loop and the RNN rewriters match TF1 control flow (Switch,
  Merge, frames), which tf.function graphs replace with If/While ops that handlers map;
- rewrite_random_*, rewrite_dropout: random ops have no exact truth.
"""
from __future__ import annotations

import math
from typing import Any, ClassVar

from fuzzer.ir import DType, TensorType, Value
from fuzzer.ops.base import OpSpec, py
from fuzzer.ops.motif import FIRES, Motif
from fuzzer.ops.tf_support import channels_first, channels_last

F32, F64 = DType.float32, DType.float64
TF2ONNX = "tf2onnx"


class TfMotif(Motif, OpSpec):
    """A tf2onnx motif. Subclasses define pattern(b, x, broken) -> (operands, attrs), infer,
    torch and tf; the draw here decides the side of the guard."""

    exportable = False
    weight = 0.3
    dtypes = frozenset({F32, F64})
    #: the dtypes of x with which the rewrite fires; others in `dtypes` break the dtype guard
    fire_dtypes: ClassVar[frozenset[DType]] = frozenset({F32, F64})
    #: the guards a non-firing draw may break besides x's dtype
    guards: ClassVar[tuple[str, ...]] = ()

    def draw(self, b, x: Value) -> tuple[list[Value], dict[str, Any]]:
        c = b.choices
        if x.type.dtype not in self.fire_dtypes:
            broken = "dtype"
        elif not self.guards or c.boolean(0.75):
            broken = ""
        else:
            broken = c.choice(list(self.guards))
        ops, attrs = self.pattern(b, x, broken)
        broken = attrs.pop("broken", broken)  # a pattern may find the guard unbreakable for x
        return ops, {**attrs, FIRES: not broken, "broken": broken}

    def pattern(self, b, x: Value, broken: str) -> tuple[list[Value], dict[str, Any]]:
        raise NotImplementedError(type(self).__name__)


def scalar(tf, value, like):
    """A TF constant of like's dtype."""
    return tf.constant(value, dtype=like.dtype)


# -- rewriters: TF idioms ------------------------------------------------------------------
class LeakyRelu(TfMotif):
    """max(x, alpha * x) with a constant alpha < 1 -> LeakyRelu (rewrite_leakyrelu). Broken:
    alpha >= 1 (value), where max(x, alpha x) is no leaky relu and the rewriter declines."""

    name = "motif_tf2onnx_leaky_relu"
    rewrites = ((TF2ONNX, "rewrite_leakyrelu"),)
    guards = ("value",)

    def pattern(self, b, x, broken):
        c = b.choices
        alpha = c.choice([1.0, 1.5, 2.0]) if broken == "value" else c.choice([0.01, 0.1, 0.2, 0.3, 0.5, 0.9])
        return [x], {"alpha": alpha, "alpha_first": c.boolean(0.5), "max_first": c.boolean(0.5)}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        return f"torch.maximum({a[0]}, {py(attrs['alpha'])} * {a[0]})"

    def tf(self, ctx, attrs, a, types):
        tf, x = ctx.tf, a[0]
        alpha = scalar(tf, attrs["alpha"], x)
        scaled = tf.math.multiply(alpha, x) if attrs["alpha_first"] else tf.math.multiply(x, alpha)
        return tf.math.maximum(scaled, x) if attrs["max_first"] else tf.math.maximum(x, scaled)


class ThresholdedRelu(TfMotif):
    """x * cast(x > theta) with a constant theta -> ThresholdedRelu (rewrite_thresholded_relu).
    Broken: x >= theta (compare), which the rewriter does not match."""

    name = "motif_tf2onnx_thresholded_relu"
    rewrites = ((TF2ONNX, "rewrite_thresholded_relu"),)
    guards = ("compare",)

    def pattern(self, b, x, broken):
        c = b.choices
        return [x], {"theta": c.choice([-1.0, 0.0, 0.5, 1.0, 2.0]), "mask_first": c.boolean(0.5)}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        op = ">=" if attrs["broken"] == "compare" else ">"
        return f"{a[0]} * ({a[0]} {op} {py(attrs['theta'])}).to({a[0]}.dtype)"

    def tf(self, ctx, attrs, a, types):
        tf, x = ctx.tf, a[0]
        compare = tf.math.greater_equal if attrs["broken"] == "compare" else tf.math.greater
        mask = tf.cast(compare(x, scalar(tf, attrs["theta"], x)), x.dtype)
        return tf.math.multiply(mask, x) if attrs["mask_first"] else tf.math.multiply(x, mask)


class Gemm(TfMotif):
    """A 2-D MatMul plus a bias, in one of the forms tf2onnx's gemm rewriter matches -> Gemm
    (rewrite_gemm): MatMul + C (AddV2 or BiasAdd), alpha * MatMul + C, MatMul + beta * C,
    alpha * MatMul + beta * C, with transpose_a/transpose_b. Broken: float64 (dtype: the
    rewriter takes float32 only). x is 2-D: a batched MatMul is no Gemm, and drawing 3-D x
    too would make most draws miss the rule."""

    name = "motif_tf2onnx_gemm"
    rewrites = ((TF2ONNX, "rewrite_gemm"),)
    fire_dtypes = frozenset({F32})
    min_rank = max_rank = 2

    def pattern(self, b, x, broken):
        c = b.choices
        m, k = x.type.shape
        trans_a = c.boolean(0.25)
        if trans_a:
            m, k = k, m
        n = c.integer(1, 6)
        trans_b = c.boolean(0.3)
        w = b.operand(TensorType(x.type.dtype, (n, k) if trans_b else (k, n)), weight=c.boolean(0.7))
        form = c.choice(["add", "bias_add", "alpha", "beta", "alpha_beta"])
        out = x.type.shape[:-2] + (m, n)
        cshape = (n,) if form == "bias_add" else c.choice([(n,), (1, n), (m, n), (m, 1)])
        bias = b.operand(TensorType(x.type.dtype, cshape), weight=c.boolean(0.6))
        attrs = {"form": form, "trans_a": trans_a, "trans_b": trans_b, "out": out}
        if form in ("alpha", "alpha_beta"):
            attrs["alpha"] = c.choice([0.5, 2.0, -1.0, 0.25])
        if form in ("beta", "alpha_beta"):
            attrs["beta"] = c.choice([0.5, 2.0, -1.0, 3.0])
        return [x, w, bias], attrs

    def infer(self, types, attrs):
        return [types[0].with_shape(tuple(attrs["out"]))]

    def torch(self, ctx, attrs, a):
        x, w, bias = a
        if attrs["trans_a"]:
            x = f"{x}.transpose(-1, -2)"
        if attrs["trans_b"]:
            w = f"{w}.transpose(-1, -2)"
        mm = f"torch.matmul({x}, {w})"
        if "alpha" in attrs:
            mm = f"{py(attrs['alpha'])} * {mm}"
        if "beta" in attrs:
            bias = f"{py(attrs['beta'])} * {bias}"
        return f"{mm} + {bias}"

    def tf(self, ctx, attrs, a, types):
        tf = ctx.tf
        x, w, bias = a
        mm = tf.linalg.matmul(x, w, transpose_a=attrs["trans_a"], transpose_b=attrs["trans_b"])
        if "alpha" in attrs:
            mm = tf.math.multiply(scalar(tf, attrs["alpha"], mm), mm)
        if "beta" in attrs:
            bias = tf.math.multiply(scalar(tf, attrs["beta"], bias), bias)
        if attrs["form"] == "bias_add":
            return tf.nn.bias_add(mm, bias)
        return tf.math.add(mm, bias)


class ConvMotif(TfMotif):
    """A 2-D convolution of an NCHW x, run in TF as NHWC between the transposes a TF author
    writes; tf2onnx adds its own NHWC<->NCHW transposes around the Conv it makes, and
    optimize_transpose cancels the two pairs."""

    dtypes = fire_dtypes = frozenset({F32})
    min_rank = max_rank = 4

    def weight_of(self, b, x, kernel: int, weight: bool = True) -> Value:
        c = b.choices
        cout = c.integer(1, 4)
        return b.operand(TensorType(x.type.dtype, (cout, x.type.shape[1], kernel, kernel)), weight=weight,
                         domain=(-1.0, 1.0))

    @staticmethod
    def tf_filter(tf, w):
        """torch's (out, in, kh, kw) weight as TF's (kh, kw, in, out) filter."""
        return tf.transpose(w, [2, 3, 1, 0])


class ConvBiasAdd(ConvMotif):
    """conv2d + bias_add on NHWC -> a Conv with a bias (rewrite_biasadd_with_conv2d), the layout
    transposes cancelled (optimize_transpose). Broken: the convolution's result is also an
    output (tap), a second consumer the rewriter refuses to fuse past."""

    name = "motif_tf2onnx_conv_bias_add"
    rewrites = ((TF2ONNX, "rewrite_biasadd_with_conv2d"), (TF2ONNX, "optimize_transpose"))
    guards = ("tap",)

    def pattern(self, b, x, broken):
        c = b.choices
        h, w_ = x.type.shape[2:]
        kernel = c.choice([k for k in (1, 2, 3) if k <= min(h, w_)])
        w = self.weight_of(b, x, kernel, weight=c.boolean(0.8))
        bias = b.operand(TensorType(x.type.dtype, (w.type.shape[0],)), weight=c.boolean(0.7))
        same = kernel % 2 == 1 and c.boolean(0.5)  # odd kernels: TF's SAME pads both sides alike
        return [x, w, bias], {"same": same}

    def infer(self, types, attrs):
        x, w = types[0], types[1]
        k = w.shape[2]
        h, wd = x.shape[2:]
        if not attrs["same"]:
            h, wd = h - k + 1, wd - k + 1
        out = x.with_shape((x.shape[0], w.shape[0], h, wd))
        return [out, out] if attrs["broken"] == "tap" else [out]

    def torch(self, ctx, attrs, a):
        pad = a[1] + ".shape[2] // 2" if attrs["same"] else "0"
        conv = f"torch.nn.functional.conv2d({a[0]}, {a[1]}, padding={pad})"
        if attrs["broken"] == "tap":
            return f"(lambda y: (y + {a[2]}[:, None, None], y))({conv})"
        return f"{conv} + {a[2]}[:, None, None]"

    def tf(self, ctx, attrs, a, types):
        tf = ctx.tf
        x, w, bias = a
        y = tf.nn.conv2d(channels_last(tf, x, 2), self.tf_filter(tf, w), strides=1,
                         padding="SAME" if attrs["same"] else "VALID")
        out = channels_first(tf, tf.nn.bias_add(y, bias), 2)
        if attrs["broken"] == "tap":
            return out, channels_first(tf, y, 2)
        return out


class ConvPad(ConvMotif):
    """tf.pad of the spatial dims, then a VALID conv2d -> one Conv with pads
    (rewrite_conv2d_with_pad). Broken: the pad is REFLECT (mode: a MirrorPad) or has a
    nonzero constant value (value: a PadV2), which the rewriter leaves alone."""

    name = "motif_tf2onnx_conv_pad"
    rewrites = ((TF2ONNX, "rewrite_conv2d_with_pad"), (TF2ONNX, "optimize_transpose"))
    guards = ("mode", "value")

    def pattern(self, b, x, broken):
        c = b.choices
        h, w_ = x.type.shape[2:]
        # REFLECT needs each pad below its dim; the others any pad up to 2
        limit = min(h, w_) - 1 if broken == "mode" else 2
        if limit < 1:
            broken = "value" if broken == "mode" else broken
            limit = 2
        pads = [c.integer(0, limit) for _ in range(4)]  # top, bottom, left, right
        if not any(pads):
            pads[c.integer(0, 3)] = 1
        kernel = c.choice([k for k in (1, 2, 3) if k <= min(h + pads[0] + pads[1], w_ + pads[2] + pads[3])])
        w = self.weight_of(b, x, kernel, weight=c.boolean(0.8))
        attrs: dict[str, Any] = {"pads": pads, "broken": broken}
        if broken == "value":
            attrs["value"] = c.choice([1.0, -0.5, 2.0])
        return [x, w], attrs

    def infer(self, types, attrs):
        x, w = types
        t, bo, le, r = attrs["pads"]
        k = w.shape[2]
        return [x.with_shape((x.shape[0], w.shape[0], x.shape[2] + t + bo - k + 1, x.shape[3] + le + r - k + 1))]

    def torch(self, ctx, attrs, a):
        t, bo, le, r = attrs["pads"]
        mode = "'reflect'" if attrs["broken"] == "mode" else "'constant'"
        value = f", value={py(attrs['value'])}" if "value" in attrs else ""
        padded = f"torch.nn.functional.pad({a[0]}, ({le}, {r}, {t}, {bo}), mode={mode}{value})"
        return f"torch.nn.functional.conv2d({padded}, {a[1]})"

    def tf(self, ctx, attrs, a, types):
        tf = ctx.tf
        x, w = a
        t, bo, le, r = attrs["pads"]
        paddings = [[0, 0], [t, bo], [le, r], [0, 0]]
        if attrs["broken"] == "mode":
            padded = tf.pad(channels_last(tf, x, 2), paddings, mode="REFLECT")
        else:
            padded = tf.pad(channels_last(tf, x, 2), paddings, constant_values=attrs.get("value", 0))
        y = tf.nn.conv2d(padded, self.tf_filter(tf, w), strides=1, padding="VALID")
        return channels_first(tf, y, 2)


class AtrousConv(ConvMotif):
    """tf.nn.atrous_conv2d at a rate of 2 or more, which TF builds as SpaceToBatchND, Conv2D,
    BatchToSpaceND -> one dilated Conv (rewrite_conv_dilations). Broken: rate 1 (rate), a
    plain Conv2D with nothing to rewrite."""

    name = "motif_tf2onnx_atrous_conv"
    rewrites = ((TF2ONNX, "rewrite_conv_dilations"), (TF2ONNX, "optimize_transpose"))
    guards = ("rate",)

    def pattern(self, b, x, broken):
        c = b.choices
        rate = 1 if broken == "rate" else c.integer(2, 3)
        kernel = c.choice([1, 3, 3])
        h, w_ = x.type.shape[2:]
        span = rate * (kernel - 1) + 1
        same = span > min(h, w_) or c.boolean(0.5)  # VALID needs the dilated kernel to fit
        w = self.weight_of(b, x, kernel, weight=c.boolean(0.8))
        return [x, w], {"rate": rate, "same": same}

    def infer(self, types, attrs):
        x, w = types
        span = attrs["rate"] * (w.shape[2] - 1)
        h, wd = x.shape[2:]
        if not attrs["same"]:
            h, wd = h - span, wd - span
        return [x.with_shape((x.shape[0], w.shape[0], h, wd))]

    def torch(self, ctx, attrs, a):
        rate = attrs["rate"]
        pad = f"{rate} * ({a[1]}.shape[2] // 2)" if attrs["same"] else "0"
        return f"torch.nn.functional.conv2d({a[0]}, {a[1]}, padding={pad}, dilation={rate})"

    def tf(self, ctx, attrs, a, types):
        tf = ctx.tf
        x, w = a
        y = tf.nn.atrous_conv2d(channels_last(tf, x, 2), self.tf_filter(tf, w), attrs["rate"],
                                "SAME" if attrs["same"] else "VALID")
        return channels_first(tf, y, 2)


class LayerNorm(TfMotif):
    """The moments form of a layer normalization over the last axis of a 3-D x, as tf2onnx's
    rewriter matches it (Mean, Sub, Square, Mean, Add epsilon, Rsqrt, times scale, times the
    centred x, Add bias; the Adds are TF's Add, not AddV2) -> InstanceNormalization
    (rewrite_layer_normalization). Broken: the moments over axis 1 (axis). x is 3-D: the
    rewriter takes no other rank."""

    name = "motif_tf2onnx_layer_norm"
    rewrites = ((TF2ONNX, "rewrite_layer_normalization"),)
    dtypes = fire_dtypes = frozenset({F32})
    min_rank = max_rank = 3
    guards = ("axis",)

    def pattern(self, b, x, broken):
        c = b.choices
        axis = 1 if broken == "axis" else c.choice([-1, x.type.rank - 1])
        norm = x.type.shape[axis]
        scale = b.operand(TensorType(x.type.dtype, (norm,) if axis in (-1, x.type.rank - 1) else (1,)),
                          weight=c.boolean(0.8))
        bias = b.operand(scale.type, weight=c.boolean(0.8))
        return [x, scale, bias], {"axis": axis, "eps": c.choice([1e-3, 1e-5, 1e-6]),
                                  "scale_first": c.boolean(0.5)}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        x, scale, bias = a
        ax = attrs["axis"]
        return (f"(lambda d: torch.rsqrt((d * d).mean({ax}, keepdim=True) + {py(attrs['eps'])}) * {scale} * d + {bias})"
                f"({x} - {x}.mean({ax}, keepdim=True))")

    def tf(self, ctx, attrs, a, types):
        tf = ctx.tf
        x, scale, bias = a
        axis = [attrs["axis"]]
        centred = tf.math.subtract(x, tf.math.reduce_mean(x, axis=axis, keepdims=True))
        variance = tf.math.reduce_mean(tf.math.square(centred), axis=axis, keepdims=True)
        inv = tf.math.rsqrt(tf.raw_ops.Add(x=variance, y=scalar(tf, attrs["eps"], x)))
        scaled = tf.math.multiply(inv, scale) if attrs["scale_first"] else tf.math.multiply(scale, inv)
        return tf.raw_ops.Add(x=tf.math.multiply(scaled, centred), y=bias)


# -- optimizers: the ONNX graph tf2onnx made ------------------------------------------------
class GlobalPool(TfMotif):
    """reduce_mean or reduce_max of an (N, C, *spatial) x over every spatial axis (with or without
    keepdims) -> GlobalAveragePool / GlobalMaxPool (global_pool_optimizer; the optimizer reads
    the axes attribute of ReduceMean/ReduceMax before opset 18). Broken: one spatial axis kept
    (axes), an int32 x (dtype)."""

    name = "motif_tf2onnx_global_pool"
    rewrites = ((TF2ONNX, "global_pool_optimizer"),)
    dtypes = frozenset({F32, F64, DType.int32})
    min_rank, max_rank = 3, 5
    guards = ("axes",)

    def pattern(self, b, x, broken):
        c = b.choices
        rank = x.type.rank
        axes = list(range(2, rank))
        if broken == "axes":
            if rank == 3:  # one spatial axis: reduce over the channels as well instead
                axes = [1, 2]
            else:
                axes.remove(c.choice(axes))
        op = "max" if x.type.dtype == DType.int32 else c.choice(["mean", "max"])
        return [x], {"op": op, "axes": axes, "keepdims": c.boolean(0.5), "broken": broken}

    def infer(self, types, attrs):
        x = types[0]
        shape = [1 if i in attrs["axes"] else d for i, d in enumerate(x.shape)]
        if not attrs["keepdims"]:
            shape = [d for i, d in enumerate(x.shape) if i not in attrs["axes"]]
        return [x.with_shape(tuple(shape))]

    def torch(self, ctx, attrs, a):
        fn = "torch.mean" if attrs["op"] == "mean" else "torch.amax"
        return f"{fn}({a[0]}, dim={py(tuple(attrs['axes']))}, keepdim={attrs['keepdims']!r})"

    def tf(self, ctx, attrs, a, types):
        tf = ctx.tf
        fn = tf.math.reduce_mean if attrs["op"] == "mean" else tf.math.reduce_max
        return fn(a[0], axis=attrs["axes"], keepdims=attrs["keepdims"])


#: unary TF functions and their torch spellings, for the duplicated-subexpression motif
UNARY = {"sin": ("math.sin", "torch.sin"), "tanh": ("math.tanh", "torch.tanh"),
         "sigmoid": ("math.sigmoid", "torch.sigmoid"), "abs": ("math.abs", "torch.abs"),
         "square": ("math.square", "torch.square"), "exp": ("math.exp", "torch.exp")}
#: how the two copies are combined
COMBINE = {"add": ("math.add", "torch.add"), "multiply": ("math.multiply", "torch.mul"),
           "maximum": ("math.maximum", "torch.maximum")}


def tf_fn(tf, dotted: str):
    for part in dotted.split("."):
        tf = getattr(tf, part)
    return tf


class DuplicatedNodes(TfMotif):
    """f(x) computed twice, the copies combined: combine(f(x), f(x)) -> one f
    (merge_duplication: same type, inputs and attributes). TF keeps both copies (tf2onnx
    runs no common-subexpression pass in grappler). Broken: the copies are different
    functions (differ)."""

    name = "motif_tf2onnx_duplicated_nodes"
    rewrites = ((TF2ONNX, "merge_duplication"),)
    guards = ("differ",)
    domain = (-4.0, 4.0)  # exp and square stay finite

    def pattern(self, b, x, broken):
        c = b.choices
        first = c.choice(sorted(UNARY))
        second = c.choice([f for f in sorted(UNARY) if f != first]) if broken == "differ" else first
        return [x], {"first": first, "second": second, "combine": c.choice(sorted(COMBINE))}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        f, g, comb = UNARY[attrs["first"]][1], UNARY[attrs["second"]][1], COMBINE[attrs["combine"]][1]
        return f"{comb}({f}({a[0]}), {g}({a[0]}))"

    def tf(self, ctx, attrs, a, types):
        tf, x = ctx.tf, a[0]
        f, g = tf_fn(tf, UNARY[attrs["first"]][0]), tf_fn(tf, UNARY[attrs["second"]][0])
        return tf_fn(tf, COMBINE[attrs["combine"]][0])(f(x), g(x))


class CastChain(TfMotif):
    """cast(cast(x, mid), back to x's dtype) -> one Cast (remove_back_to_back, which drops the
    first Cast whenever it casts to a float type, or to an int type that the second keeps or
    turns to bool). Broken: a float x through an int32 (int), which it keeps.

    The float middles include float16 and bfloat16 from float32: tf2onnx drops those lossy
    casts too, so the converted model skips a rounding the TF function does."""

    name = "motif_tf2onnx_cast_chain"
    rewrites = ((TF2ONNX, "remove_back_to_back"),)
    dtypes = fire_dtypes = frozenset({F32, F64, DType.int32, DType.int64})
    domain = (-1000.0, 1000.0)  # every middle type holds it
    guards = ("int",)

    def pattern(self, b, x, broken):
        c = b.choices
        dtype = x.type.dtype
        if dtype.is_int:
            # an int x: the middle a float (dropped); breaking: an int the second cast changes
            mid = c.choice([DType.int32, DType.int64]) if broken else c.choice([F32, F64])
            if broken and mid == dtype:
                mid = DType.int64 if dtype == DType.int32 else DType.int32
        elif broken == "int":
            mid = c.choice([DType.int32, DType.int64])
        else:
            mid = c.choice([F32, F64, DType.float16, DType.bfloat16])
        return [x], {"mid": mid.value}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        return f"{a[0]}.to({ctx.dtype(DType(attrs['mid']))}).to({a[0]}.dtype)"

    def tf(self, ctx, attrs, a, types):
        tf, x = ctx.tf, a[0]
        return tf.cast(tf.cast(x, ctx.dtype(DType(attrs["mid"]))), x.dtype)


def _factor(c, n: int, parts: int) -> tuple[int, ...]:
    """n as a product of `parts` factors, drawn."""
    out = []
    for _ in range(parts - 1):
        d = c.choice([d for d in range(1, n + 1) if n % d == 0])
        out.append(d)
        n //= d
    return tuple(out) + (n,)


class ReshapeChain(TfMotif):
    """reshape(reshape(x, s1), s2) -> one Reshape (remove_back_to_back). Broken: the first
    reshape is also an output (tap), a second consumer that keeps it."""

    name = "motif_tf2onnx_reshape_chain"
    rewrites = ((TF2ONNX, "remove_back_to_back"),)
    dtypes = fire_dtypes = frozenset({F32, F64, DType.int32, DType.int64})
    min_rank = 1
    guards = ("tap",)

    def pattern(self, b, x, broken):
        c = b.choices
        n = x.type.numel
        s1 = _factor(c, n, c.integer(1, 3))
        s2 = _factor(c, n, c.integer(1, 4))
        return [x], {"s1": list(s1), "s2": list(s2)}

    def infer(self, types, attrs):
        x = types[0]
        out = x.with_shape(tuple(attrs["s2"]))
        return [out, x.with_shape(tuple(attrs["s1"]))] if attrs["broken"] == "tap" else [out]

    def torch(self, ctx, attrs, a):
        first = f"{a[0]}.reshape({py(tuple(attrs['s1']))})"
        if attrs["broken"] == "tap":
            return f"(lambda y: (y.reshape({py(tuple(attrs['s2']))}), y))({first})"
        return f"{first}.reshape({py(tuple(attrs['s2']))})"

    def tf(self, ctx, attrs, a, types):
        tf = ctx.tf
        first = tf.reshape(a[0], attrs["s1"])
        out = tf.reshape(first, attrs["s2"])
        return (out, first) if attrs["broken"] == "tap" else out


class ConvBatchNorm(ConvMotif):
    """conv2d then an inference fused_batch_norm on NHWC -> one Conv with the normalization
    folded into its weight and bias (remove_back_to_back's Conv+BatchNormalization fusion),
    the layout transposes cancelled (optimize_transpose). Broken: the weight is a graph input
    (input), not a constant to fold into."""

    name = "motif_tf2onnx_conv_batch_norm"
    rewrites = ((TF2ONNX, "remove_back_to_back"), (TF2ONNX, "optimize_transpose"))
    guards = ("input",)

    def accepts(self, t):
        return super().accepts(t) and t.shape[2] * t.shape[3] > 1

    def pattern(self, b, x, broken):
        c = b.choices
        h, w_ = x.type.shape[2:]
        # the NHWC result must have 2 channels and 2 positions or more: a layout transpose that
        # moves only dims of 1 becomes a Reshape, which then sits between the Conv and the BN
        kernel = c.choice([k for k in (1, 3) if k == 1 or (h - k + 1) * (w_ - k + 1) > 1])
        wtype = TensorType(x.type.dtype, (c.integer(2, 4), x.type.shape[1], kernel, kernel))
        if broken == "input":
            w = b.new_input(wtype, domain=(-1.0, 1.0))
        else:
            w = b.const(wtype, domain=(-1.0, 1.0))
        cout = w.type.shape[0]
        vec = TensorType(x.type.dtype, (cout,))
        scale, offset, mean = (b.operand(vec, weight=True) for _ in range(3))
        var = b.operand(vec, weight=True, domain=(0.1, 2.0))
        return [x, w, scale, offset, mean, var], {"eps": c.choice([1e-3, 1e-2]), "broken": broken}

    def infer(self, types, attrs):
        x, w = types[:2]
        k = w.shape[2]
        return [x.with_shape((x.shape[0], w.shape[0], x.shape[2] - k + 1, x.shape[3] - k + 1))]

    def torch(self, ctx, attrs, a):
        x, w, scale, offset, mean, var = a
        return (f"torch.nn.functional.batch_norm(torch.nn.functional.conv2d({x}, {w}), {mean}, {var}, {scale}, "
                f"{offset}, training=False, eps={py(attrs['eps'])})")

    def tf(self, ctx, attrs, a, types):
        tf = ctx.tf
        x, w, scale, offset, mean, var = a
        y = tf.nn.conv2d(channels_last(tf, x, 2), self.tf_filter(tf, w), strides=1, padding="VALID")
        y = tf.compat.v1.nn.fused_batch_norm(y, scale, offset, mean=mean, variance=var, epsilon=attrs["eps"],
                                             data_format="NHWC", is_training=False)[0]
        return channels_first(tf, y, 2)


#: elementwise ops optimize_transpose pushes Transposes through (it has a handler for Relu,
#: Sigmoid, Tanh, Abs, Neg, Add, Mul), and ones it has none for (Sin, Floor)
THROUGH = {"relu": ("nn.relu", "torch.relu"), "sigmoid": ("math.sigmoid", "torch.sigmoid"),
           "tanh": ("math.tanh", "torch.tanh"), "abs": ("math.abs", "torch.abs"), "neg": ("math.negative", "torch.neg")}
STUCK = {"sin": ("math.sin", "torch.sin"), "floor": ("math.floor", "torch.floor")}


class ChannelsLast(TfMotif):
    """NCHW x transposed to NHWC, elementwise ops there (a per-channel bias or scale, an
    activation), transposed back: the NHWC region of a TF model written channels-last between
    NCHW parts -> optimize_transpose pushes the Transposes through the ops and cancels them.
    Broken: one op of the region has no transpose handler (stuck), so the pair cannot meet."""

    name = "motif_tf2onnx_channels_last"
    rewrites = ((TF2ONNX, "optimize_transpose"),)
    min_rank = max_rank = 4
    guards = ("stuck",)

    def accepts(self, t):
        # a transpose that moves only dims of 1 is a reshape, which the optimizer folds anywhere
        return super().accepts(t) and t.shape[1] > 1 and t.shape[2] * t.shape[3] > 1

    def pattern(self, b, x, broken):
        c = b.choices
        ops = [c.choice(["bias", "scale"] + sorted(THROUGH)) for _ in range(c.integer(1, 3))]
        if broken == "stuck":
            ops[c.integer(0, len(ops) - 1)] = c.choice(sorted(STUCK))
        operands = [x]
        for op in ops:
            if op in ("bias", "scale"):
                operands.append(b.operand(TensorType(x.type.dtype, (x.type.shape[1],)), weight=c.boolean(0.8)))
        return operands, {"ops": ops}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        y, vec = a[0], iter(a[1:])
        for op in attrs["ops"]:
            if op == "bias":
                y = f"({y} + {next(vec)}[:, None, None])"
            elif op == "scale":
                y = f"({y} * {next(vec)}[:, None, None])"
            else:
                y = f"{(THROUGH | STUCK)[op][1]}({y})"
        return y

    def tf(self, ctx, attrs, a, types):
        tf = ctx.tf
        y, vec = channels_last(tf, a[0], 2), iter(a[1:])
        for op in attrs["ops"]:
            if op == "bias":
                y = tf.math.add(y, next(vec))
            elif op == "scale":
                y = tf.math.multiply(y, next(vec))
            else:
                y = tf_fn(tf, (THROUGH | STUCK)[op][0])(y)
        return channels_first(tf, y, 2)


#: einsum equations by the rank of x, each with the shape of the second operand built from x's dims
#: (letters of x's dims in order; "n" a new dim)
EQUATIONS = {
    2: ["ij,jn->in", "ij,nj->in", "ij,ij->i", "ij,ij->j", "ij,n->ijn"],
    3: ["bij,bjn->bin", "bij,jn->bin", "bij,bnj->bni", "bij,bij->bi"],
}


class Einsum(TfMotif):
    """tf.einsum -> MatMul, Transpose, Reshape and reductions (einsum_optimizer, which
    decomposes every Einsum whose input rank is known; there is no guard to break, so every
    draw fires)."""

    name = "motif_tf2onnx_einsum"
    rewrites = ((TF2ONNX, "einsum_optimizer"),)
    min_rank, max_rank = 2, 3

    def pattern(self, b, x, broken):
        c = b.choices
        eq = c.choice(EQUATIONS[x.type.rank])
        lhs, out = eq.split("->")
        first, second = lhs.split(",")
        n = c.integer(1, 5)
        dims = dict(zip(first, x.type.shape)) | {"n": n}
        y = b.operand(TensorType(x.type.dtype, tuple(dims[ch] for ch in second)), weight=c.boolean(0.5))
        return [x, y], {"equation": eq, "out": [dims[ch] for ch in out]}

    def infer(self, types, attrs):
        return [types[0].with_shape(tuple(attrs["out"]))]

    def torch(self, ctx, attrs, a):
        return f"torch.einsum({attrs['equation']!r}, {a[0]}, {a[1]})"

    def tf(self, ctx, attrs, a, types):
        return ctx.tf.einsum(attrs["equation"], a[0], a[1])


class QuantizeDequantize(TfMotif):
    """tf.quantization.quantize_and_dequantize_v2 with a given range, then a Reshape or Transpose
    -> QuantizeLinear/DequantizeLinear (rewrite_quantize_and_dequantize), the DequantizeLinear
    moved past the Reshape/Transpose (q_dq_optimizer). Broken: a float64 x (dtype): the
    rewriter reads the float64 range constants as float32 and gives up, leaving TF's op
    unconverted (tf2onnx 1.17).

    TF's rounding: of the two scales the range gives (min_q / min, max_q / max), the smaller
    one, with the other end of the range moved to match; x clamped to it, times the scale,
    rounded half to even, divided again. The ranges are chosen so that no special value
    (0, +-1, +-0.5, ...) lands on a rounding tie."""

    name = "motif_tf2onnx_quantize_dequantize"
    rewrites = ((TF2ONNX, "rewrite_quantize_and_dequantize"), (TF2ONNX, "q_dq_optimizer"))
    fire_dtypes = frozenset({F32})
    min_rank = 1

    def pattern(self, b, x, broken):
        c = b.choices
        hi = c.choice([1.5, 3.0, 6.0])
        signed = c.boolean(0.75)
        lo = -hi * c.choice([1.0, 0.75, 1.5]) if signed else 0.0
        after = c.choice(["reshape", "transpose"]) if x.type.rank > 1 else "reshape"
        perm = list(reversed(range(x.type.rank)))
        return [x], {"lo": lo, "hi": hi, "signed": signed, "narrow": signed and c.boolean(0.3), "after": after,
                     "perm": perm}

    def infer(self, types, attrs):
        x = types[0]
        if attrs["after"] == "reshape":
            return [x.with_shape((x.numel,))]
        return [x.with_shape(tuple(x.shape[p] for p in attrs["perm"]))]

    @staticmethod
    def grid(attrs) -> tuple[float, float, float]:
        """(low, high, step): the clamping range and the quantization step TF's kernel derives."""
        if attrs["signed"]:
            min_q, max_q = (-127 if attrs["narrow"] else -128), 127
        else:
            min_q, max_q = 0, 255
        lo, hi = attrs["lo"], attrs["hi"]
        from_min = min_q / lo if min_q * lo > 0 else math.inf
        from_max = max_q / hi
        if from_min < from_max:
            return lo, max_q / from_min, 1 / from_min
        return min_q / from_max, hi, 1 / from_max

    def torch(self, ctx, attrs, a):
        lo, hi, step = self.grid(attrs)
        q = f"torch.round(torch.clamp({a[0]}, {py(lo)}, {py(hi)}) / {py(step)}) * {py(step)}"
        if attrs["after"] == "reshape":
            return f"({q}).reshape(-1)"
        return f"({q}).permute({py(tuple(attrs['perm']))})"

    def tf(self, ctx, attrs, a, types):
        tf = ctx.tf
        y = tf.quantization.quantize_and_dequantize_v2(a[0], attrs["lo"], attrs["hi"], signed_input=attrs["signed"],
                                                       range_given=True, narrow_range=attrs["narrow"])
        if attrs["after"] == "reshape":
            return tf.reshape(y, [-1])
        return tf.transpose(y, attrs["perm"])
