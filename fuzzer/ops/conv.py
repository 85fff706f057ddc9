"""Convolutions: F.conv1d/F.conv2d and their transposes, with every keyword.

Geometry is drawn so that the call is valid by construction: the kernel and
groups fix the weight's shape (drawn in operands), then dilation, padding and
stride are drawn (in sample_attrs) from ranges that keep every output size >= 1.
"""
from __future__ import annotations

from typing import ClassVar

from fuzzer.errors import Rejected
from fuzzer.ir import FLOATS, DType, TensorType
from fuzzer.ops.base import OpSpec, py
from fuzzer.ops.tf_support import channels_first, channels_last

#: padding drawn for an explicit int/tuple padding is at most this (plus what a large kernel needs)
MAX_PAD = 2
MAX_KERNEL = 4


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def per_dim(value, n: int) -> tuple[int, ...]:
    """An int-or-sequence conv/pool argument as one int per spatial dim (JSON turns tuples into lists)."""
    if isinstance(value, (list, tuple)):
        return tuple(int(v) for v in value)
    return (int(value),) * n


def pack(b, values: list[int]):
    """values as the int form (when all equal, sometimes) or the tuple form."""
    if len(set(values)) == 1 and b.choices.boolean(0.5):
        return values[0]
    return list(values)


def conv_out(size: int, k: int, s: int, p: int, d: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


class BatchedConv(OpSpec):
    """What every convolution shares: float dtypes and a batched (N, C, *spatial) input."""

    nd: ClassVar[int]
    # ONNX Conv/ConvTranspose are float-only (integer convs are ConvInteger, a different op):
    # torch's integer conv can only ever come back "unsupported", so it is not drawn.
    dtypes = frozenset(FLOATS)

    def require_batched(self, x) -> None:
        if x.type.rank != self.nd + 2:
            raise Rejected(f"{self.name} needs a rank-{self.nd + 2} input, got {x.type}")


class ConvNd(BatchedConv):
    """F.conv{n}d(input, weight, bias, stride, padding, dilation, groups) on a batched input."""

    def operands(self, b, x):
        c = b.choices
        self.require_batched(x)
        dtype, (_, cin, *spatial) = x.type.dtype, x.type.shape
        divs = divisors(cin)
        groups = 1 if c.boolean(0.5) else c.choice(divs)  # groups == cin is the depthwise case
        cout = groups * c.choice([1, 1, 2, 3])
        kernel = tuple(c.integer(1, min(MAX_KERNEL, size + 2 * MAX_PAD)) for size in spatial)
        w = b.operand(TensorType(dtype, (cout, cin // groups) + kernel), weight=True)
        if c.boolean(0.6):
            return [x, w, b.operand(TensorType(dtype, (cout,)), weight=True)]
        return [x, w]

    def sample_attrs(self, b, types):
        c = b.choices
        spatial, kernel = types[0].shape[2:], types[1].shape[2:]
        groups = types[0].shape[1] // types[1].shape[1]
        modes = ["int", "tuple", "same"] + (["valid"] if all(k <= s for k, s in zip(kernel, spatial)) else [])
        mode = c.choice(modes)
        dilation, pads = [], []
        for size, k in zip(spatial, kernel):
            # the dilated kernel d*(k-1)+1 must fit the padded input (any d for 'same')
            reach = {"same": 10**9, "valid": size}.get(mode, size + 2 * MAX_PAD)
            ds = [d for d in (1, 2, 3) if d * (k - 1) + 1 <= reach]
            if k == 1 and types[0].dtype == DType.float16:
                # torch CPU segfaults on float16 conv1d with kernel 1, dilation >= 2, stride >= 2,
                # padding >= 1 and batch >= 2; dilating a size-1 kernel changes nothing anyway
                ds = [1]
            d = 1 if c.boolean(0.5) else c.choice(ds)
            dilation.append(d)
            pads.append(max(0, -(-(d * (k - 1) + 1 - size) // 2)))  # the least padding that fits
        attrs: dict = {}
        if mode == "same":
            attrs["padding"] = "same"
            stride = [1] * self.nd
        elif mode == "valid":
            attrs["padding"] = "valid"
            stride = [c.integer(1, 3) for _ in spatial]
        elif mode == "int":
            lo = max(pads)
            attrs["padding"] = c.integer(lo, max(lo, MAX_PAD))
            stride = [c.integer(1, 3) for _ in spatial]
        else:
            attrs["padding"] = [c.integer(lo, max(lo, MAX_PAD)) for lo in pads]
            stride = [c.integer(1, 3) for _ in spatial]
        # every keyword also appears in its default spelling and left off
        if mode != "same" or c.boolean(0.5):
            attrs["stride"] = pack(b, stride)
        if any(d != 1 for d in dilation) or c.boolean(0.3):
            attrs["dilation"] = pack(b, dilation)
        if groups != 1 or c.boolean(0.3):
            attrs["groups"] = groups
        return attrs

    def infer(self, types, attrs):
        x, w = types[0], types[1]
        spatial, kernel = x.shape[2:], w.shape[2:]
        n = self.nd
        pad = attrs.get("padding", 0)
        if pad == "same":
            out = tuple(spatial)
        else:
            p = per_dim(0 if pad == "valid" else pad, n)
            s = per_dim(attrs.get("stride", 1), n)
            d = per_dim(attrs.get("dilation", 1), n)
            out = tuple(conv_out(spatial[i], kernel[i], s[i], p[i], d[i]) for i in range(n))
        return [TensorType(x.dtype, (x.shape[0], w.shape[0]) + out)]

    def torch(self, ctx, attrs, a):
        bias = a[2] if len(a) == 3 else "None"
        kw = "".join(f", {k}={py(attrs[k])}" for k in ("stride", "padding", "dilation", "groups") if k in attrs)
        return f"F.conv{self.nd}d({a[0]}, {a[1]}, {bias}{kw})"

    def onnx(self, ctx, attrs, a, outs):
        n = self.nd
        kernel = ctx.types[a[1]].shape[2:]
        d = per_dim(attrs.get("dilation", 1), n)
        pad = attrs.get("padding", 0)
        if pad == "same":
            # torch pads d*(k-1) in all, the odd one at the end (as ONNX SAME_UPPER would,
            # but explicit pads keep the model independent of auto_pad support)
            total = [d[i] * (kernel[i] - 1) for i in range(n)]
            pads = [t // 2 for t in total] + [t - t // 2 for t in total]
            strides = [1] * n
        else:
            p = per_dim(0 if pad == "valid" else pad, n)
            pads = list(p) * 2
            strides = list(per_dim(attrs.get("stride", 1), n))
        ctx.widen("Conv", a, outs, ctx.types[a[0]].dtype, kernel_shape=list(kernel), strides=strides,
             pads=pads, dilations=list(d), group=int(attrs.get("groups", 1)))


class Conv1d(ConvNd):
    name, nd, onnx_ops = "conv1d", 1, ("Conv",)
    min_rank = max_rank = 3

    def tf(self, ctx, attrs, a, types):
        return _tf_conv(ctx, attrs, a, types)


class Conv2d(ConvNd):
    name, nd, onnx_ops = "conv2d", 2, ("Conv",)
    min_rank = max_rank = 4

    def tf(self, ctx, attrs, a, types):
        return _tf_conv(ctx, attrs, a, types)


class ConvTransposeNd(BatchedConv):
    """F.conv_transpose{n}d(input, weight, bias, stride, padding, output_padding, groups, dilation)."""

    def operands(self, b, x):
        c = b.choices
        self.require_batched(x)
        dtype, cin = x.type.dtype, x.type.shape[1]
        groups = 1 if c.boolean(0.5) else c.choice(divisors(cin))
        per_group_out = c.choice([1, 1, 2, 3])
        kernel = tuple(c.integer(1, 3) for _ in range(self.nd))
        w = b.operand(TensorType(dtype, (cin, per_group_out) + kernel), weight=True)
        if c.boolean(0.6):  # the bias's length (groups * per_group_out) is how groups is remembered
            return [x, w, b.operand(TensorType(dtype, (groups * per_group_out,)), weight=True)]
        return [x, w]

    def sample_attrs(self, b, types):
        c = b.choices
        spatial, kernel = types[0].shape[2:], types[1].shape[2:]
        cin, per_group_out = types[0].shape[1], types[1].shape[1]
        if len(types) == 3:
            groups = types[2].shape[0] // per_group_out
        else:  # without a bias, any divisor of the input channels is a valid groups
            groups = 1 if c.boolean(0.5) else c.choice(divisors(cin))
        strides, dils, outpads, pads = [], [], [], []
        for size, k in zip(spatial, kernel):
            s, d = c.integer(1, 3), (1 if c.boolean(0.6) else c.integer(2, 3))
            # torch allows output_padding < max(stride, dilation); ONNX Runtime and the reference
            # evaluator reject output_padding >= stride, and the ONNX spec does not settle it, so
            # that form could only yield ambiguous findings: draw output_padding < stride
            op = c.integer(0, s - 1) if c.boolean(0.4) else 0
            full = (size - 1) * s + d * (k - 1) + op + 1  # the output size before padding is cut off
            p = c.integer(0, min(MAX_PAD, (full - 1) // 2))
            strides.append(s)
            dils.append(d)
            outpads.append(op)
            pads.append(p)
        attrs: dict = {"groups": groups} if groups != 1 or c.boolean(0.5) else {}
        for key, vals in (("stride", strides), ("padding", pads), ("output_padding", outpads), ("dilation", dils)):
            if any(v != (1 if key in ("stride", "dilation") else 0) for v in vals) or c.boolean(0.3):
                attrs[key] = pack(b, vals)
        return attrs

    def infer(self, types, attrs):
        x, w = types[0], types[1]
        n = self.nd
        s = per_dim(attrs.get("stride", 1), n)
        p = per_dim(attrs.get("padding", 0), n)
        op = per_dim(attrs.get("output_padding", 0), n)
        d = per_dim(attrs.get("dilation", 1), n)
        out = tuple(
            (x.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (w.shape[2 + i] - 1) + op[i] + 1 for i in range(n)
        )
        return [TensorType(x.dtype, (x.shape[0], w.shape[1] * attrs.get("groups", 1)) + out)]

    def torch(self, ctx, attrs, a):
        bias = a[2] if len(a) == 3 else "None"
        keys = ("stride", "padding", "output_padding", "groups", "dilation")
        kw = "".join(f", {k}={py(attrs[k])}" for k in keys if k in attrs)
        return f"F.conv_transpose{self.nd}d({a[0]}, {a[1]}, {bias}{kw})"

    def onnx(self, ctx, attrs, a, outs):
        # torch's padding cuts p from both ends; ONNX pads do the same, output_padding adds at the end
        n = self.nd
        ctx.widen("ConvTranspose", a, outs, ctx.types[a[0]].dtype,
             kernel_shape=list(ctx.types[a[1]].shape[2:]),
             strides=list(per_dim(attrs.get("stride", 1), n)),
             pads=list(per_dim(attrs.get("padding", 0), n)) * 2,
             output_padding=list(per_dim(attrs.get("output_padding", 0), n)),
             dilations=list(per_dim(attrs.get("dilation", 1), n)),
             group=int(attrs.get("groups", 1)))


class ConvTranspose1d(ConvTransposeNd):
    name, nd, onnx_ops = "conv_transpose1d", 1, ("ConvTranspose",)
    min_rank = max_rank = 3


class ConvTranspose2d(ConvTransposeNd):
    name, nd, onnx_ops = "conv_transpose2d", 2, ("ConvTranspose",)
    min_rank = max_rank = 4


def _tf_conv(ctx, attrs, a, types):
    """conv1d/conv2d in TF: NCHW transposed to NHWC around tf.nn.conv, per group."""
    tf = ctx.tf
    nd = types[0].rank - 2
    kernel = types[1].shape[2:]
    stride = list(per_dim(attrs.get("stride", 1), nd))
    dilation = list(per_dim(attrs.get("dilation", 1), nd))
    groups = int(attrs.get("groups", 1))
    pad = attrs.get("padding", 0)
    if pad == "same":
        # torch puts the odd extra element of 'same' padding on the right, as TF's SAME does
        total = [d * (k - 1) for d, k in zip(dilation, kernel)]
        pads = [[t // 2, t - t // 2] for t in total]
    else:
        pads = [[p, p] for p in per_dim(0 if pad == "valid" else pad, nd)]

    def fn(x, w, *bias):
        x = channels_last(tf, x, nd)
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
        return channels_first(tf, y, nd)

    same = lambda v, dtype: v if v.dtype == dtype else tf.cast(v, dtype)  # noqa: E731
    return ctx.widen(lambda x: fn(x, *[same(v, x.dtype) for v in a[1:]]), a[0], ints=False)
