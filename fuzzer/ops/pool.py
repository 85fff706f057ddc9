"""Pooling: max/avg pooling with every keyword, and adaptive pooling.

Inputs may be batched (N, C, *spatial) or unbatched (C, *spatial), as torch allows.
torch's validity rules are encoded in the sampling:
  * padding <= kernel_size // 2 (per dim, not of the dilated kernel);
  * the (dilated) kernel fits the padded input, so every output size is >= 1;
  * with ceil_mode the last window must start inside the input or the left padding,
    which infer() mirrors when it counts output positions.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from fuzzer.errors import Rejected
from fuzzer.ir import FLOATS, DType
from fuzzer.ops.base import OpSpec, py
from fuzzer.ops.conv import pack, per_dim
from fuzzer.ops.lowering import cast, compute_dtype, reduce, squeeze, unsqueeze
from fuzzer.ops.tf_support import batched, channels_first, channels_last


class Batched:
    """ONNX pooling takes (N, C, *spatial) only: an unbatched input gets N = 1 in front, the
    results lose it again and are cast back from the compute dtype."""

    def __init__(self, ctx, a: str, nd: int, *ops: str) -> None:
        x = ctx.types[a]
        self.ctx, self.dtype, self.unbatched = ctx, x.dtype, x.rank == nd + 1
        self.ct = compute_dtype(ctx, x.dtype, *ops)
        xc = cast(ctx, a, x.dtype, self.ct)
        self.x = unsqueeze(ctx, xc, [0])[0] if self.unbatched else xc
        self.shape = ((1,) if self.unbatched else ()) + x.shape

    def values_name(self, out: str) -> str:
        """Where the batched values in the compute dtype go: out itself when nothing remains to do."""
        same = self.ctx.dtype(self.ct) == self.ctx.dtype(self.dtype)
        return out if same and not self.unbatched else self.ctx.fresh("pool")

    def finish(self, name: str, out: str, is_values: bool = True) -> None:
        if name == out:
            return
        ctx = self.ctx
        needs_cast = is_values and ctx.dtype(self.ct) != ctx.dtype(self.dtype)
        if self.unbatched:
            name = squeeze(ctx, name, [0], 1 if needs_cast else [out])[0]
        if needs_cast:
            ctx.node("Cast", [name], [out], to=ctx.elem(self.dtype))

MAX_KERNEL = 5


def pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """Output length of one pooled dim, as torch's pooling_output_shape computes it."""
    num = size + 2 * p - d * (k - 1) - 1
    out = (num + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _windows_touch_input(size: int, k: int, s: int, p: int, d: int) -> bool:
    """Whether every window starting in the left padding hits a real element. (Windows that
    start inside the input do, and ceil_mode drops any that would start in the right padding.)
    A dilated window can skip over a short input; max pooling then yields -inf."""
    start = -p
    while start < 0:
        if not any(0 <= start + j * d < size for j in range(k)):
            return False
        start += s
    return True


class PoolNd(OpSpec):
    """Shared geometry of max_pool{n}d and avg_pool{n}d."""

    nd: ClassVar[int]
    fn: ClassVar[str]
    dilated: ClassVar[bool] = False

    def operands(self, b, x):
        if not self.nd + 1 <= x.type.rank <= self.nd + 2:
            raise Rejected(f"{self.name} needs a rank {self.nd + 1} or {self.nd + 2} input, got {x.type}")
        return [x]

    def geometry(self, b, spatial) -> dict:
        c = b.choices
        # stride=None (or left off) means stride = kernel_size
        stride_form = c.choice(["default", "given", "given"])
        ks, ds, ps, ss = [], [], [], []
        for size in spatial:
            k = c.integer(1, min(MAX_KERNEL, size + 2))
            s = c.integer(1, 3) if stride_form == "given" else k
            d, p = 1, self._padding(b, size, k, 1)
            if self.dilated and c.boolean(0.4):
                # the dilated kernel must fit the input plus the most padding allowed (k // 2 a side)
                ok = [d for d in (2, 3) if d * (k - 1) + 1 <= size + 2 * (k // 2)]
                if ok:
                    d2 = c.choice(ok)
                    p2 = self._padding(b, size, k, d2)
                    if _windows_touch_input(size, k, s, p2, d2):
                        d, p = d2, p2
            ks.append(k)
            ds.append(d)
            ps.append(p)
            ss.append(s)
        attrs: dict = {"kernel_size": pack(b, ks)}
        if stride_form == "given":
            attrs["stride"] = pack(b, ss)
        elif c.boolean(0.3):
            attrs["stride"] = None
        if any(ps) or c.boolean(0.3):
            attrs["padding"] = pack(b, ps)
        if self.dilated and (any(d != 1 for d in ds) or c.boolean(0.3)):
            attrs["dilation"] = pack(b, ds)
        if c.boolean(0.6):
            attrs["ceil_mode"] = c.boolean(0.6)
        return attrs

    @staticmethod
    def _padding(b, size: int, k: int, d: int) -> int:
        """A padding in [the least that fits the dilated kernel, k // 2]."""
        pmin = max(0, -(-(d * (k - 1) + 1 - size) // 2))  # <= k // 2 by the choice of d
        return 0 if pmin == 0 and b.choices.boolean(0.5) else b.choices.integer(pmin, k // 2)

    def out_spatial(self, spatial, attrs) -> tuple[int, ...]:
        n = self.nd
        k = per_dim(attrs["kernel_size"], n)
        stride = attrs.get("stride")
        s = k if stride is None else per_dim(stride, n)
        p = per_dim(attrs.get("padding", 0), n)
        d = per_dim(attrs.get("dilation", 1), n)
        ceil = bool(attrs.get("ceil_mode", False))
        return tuple(pool_out(spatial[i], k[i], s[i], p[i], d[i], ceil) for i in range(n))

    def infer(self, types, attrs):
        x = types[0]
        lead = x.shape[: x.rank - self.nd]
        out = x.with_shape(lead + self.out_spatial(x.shape[x.rank - self.nd:], attrs))
        if attrs.get("return_indices"):
            return [out, out.with_dtype(DType.int64)]
        return [out]

    def torch(self, ctx, attrs, a):
        kw = "".join(f", {k}={py(v)}" for k, v in attrs.items())
        return f"{self.fn}({a[0]}{kw})"

    def onnx_geometry(self, ctx, attrs, spatial) -> tuple[dict, bool]:
        """(ONNX pool attributes, exact). Before opset 22 ONNX's ceil_mode keeps a last window
        that starts in the right padding, which torch drops; where that changes an output size,
        that dim's end padding shrinks until the window is gone (exact = False then: the last
        window may reach past the shrunk padding, which a max ignores but an average counts)."""
        n = self.nd
        k = per_dim(attrs["kernel_size"], n)
        stride = attrs.get("stride")
        s = k if stride is None else per_dim(stride, n)
        p = per_dim(attrs.get("padding", 0), n)
        d = per_dim(attrs.get("dilation", 1), n)
        ceil = bool(attrs.get("ceil_mode", False))
        geo = {"kernel_shape": list(k), "strides": list(s), "pads": list(p) * 2, "ceil_mode": int(ceil)}
        if not ceil or ctx.opset >= 22:
            return geo, True
        want = [pool_out(spatial[i], k[i], s[i], p[i], d[i], True) for i in range(n)]
        old = [-(-(spatial[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i]) + 1 for i in range(n)]
        if want == old:
            return geo, True
        reach = [spatial[i] + p[i] - d[i] * (k[i] - 1) - 1 for i in range(n)]  # plus the end padding
        ends = [next((e for e in range(p[i], -1, -1) if -(-(reach[i] + e) // s[i]) + 1 == want[i]), None)
                for i in range(n)]
        if None not in ends:
            geo["pads"][n:] = ends
            return geo, False
        # torch also drops a last window starting past an input with no padding to shrink:
        # floor mode then, with the least end padding that yields torch's count of windows
        geo["ceil_mode"] = 0
        geo["pads"][n:] = [next(e for e in range(0, s[i] + d[i] * k[i] + p[i]) if (reach[i] + e) // s[i] + 1 == want[i])
                           for i in range(n)]
        return geo, False


class MaxPoolNd(PoolNd):
    dilated = True

    def tf(self, ctx, attrs, a, types):
        return _tf_max_pool(ctx, attrs, a, types, self.nd)

    def sample_attrs(self, b, types):
        attrs = self.geometry(b, types[0].shape[types[0].rank - self.nd:])
        # indices are flat per (N, C) plane in torch but over the whole tensor in ONNX MaxPool
        if b.choices.boolean(0.25):
            attrs["return_indices"] = True
        return attrs

    def onnx(self, ctx, attrs, a, outs):
        bx = Batched(ctx, a[0], self.nd, "MaxPool")
        geo, _ = self.onnx_geometry(ctx, attrs, bx.shape[2:])  # extra padding is -inf to a max
        geo["dilations"] = list(per_dim(attrs.get("dilation", 1), self.nd))
        vals = bx.values_name(outs[0])
        if len(outs) == 1:
            ctx.node("MaxPool", [bx.x], [vals], **geo)
            bx.finish(vals, outs[0])
            return
        v, idx = ctx.node("MaxPool", [bx.x], [vals, ctx.fresh("idx")], **geo)
        bx.finish(v, outs[0])
        plane_indices(ctx, bx, idx, self.nd, outs[1])


def plane_indices(ctx, bx: Batched, idx: str, nd: int, out: str) -> None:
    """ONNX MaxPool indices count over the whole (N, C, *spatial) tensor, torch's within one
    (N, C) plane: the remainder by the plane's size."""
    plane = 1
    for size in bx.shape[-nd:]:
        plane *= size
    name = ctx.node("Mod", [idx, ctx.scalar(plane, DType.int64)], 1 if bx.unbatched else [out])[0]
    bx.finish(name, out, is_values=False)


class MaxPool1d(MaxPoolNd):
    name, nd, fn, onnx_ops = "max_pool1d", 1, "F.max_pool1d", ("MaxPool", "Mod")
    #: MaxPool-1: dilations and ceil_mode (10) and Indices (8) are newer, so only some draws
    #: reach 7 (the Mod of the indices comes with Indices)
    min_opset = 7
    min_rank, max_rank = 2, 3
    # not int8/uint8 as max_pool2d: torch's CPU max_pool1d has no integer kernel without indices


class MaxPool2d(MaxPoolNd):
    name, nd, fn, onnx_ops = "max_pool2d", 2, "F.max_pool2d", ("MaxPool", "Mod")
    min_opset = 7  # as max_pool1d
    min_rank, max_rank = 3, 4
    # ONNX MaxPool takes int8/uint8 (opset 12+) besides floats; other ints are not expressible
    dtypes = frozenset(FLOATS | {DType.int8, DType.uint8})


class AvgPoolNd(PoolNd):
    dtypes = frozenset(FLOATS)  # ONNX AveragePool is float-only
    has_divisor: ClassVar[bool] = False

    def tf(self, ctx, attrs, a, types):
        return _tf_avg_pool(ctx, attrs, a, types, self.nd)

    def sample_attrs(self, b, types):
        c = b.choices
        attrs = self.geometry(b, types[0].shape[types[0].rank - self.nd:])
        if c.boolean(0.5):
            attrs["count_include_pad"] = c.boolean(0.5)
        if self.has_divisor and c.boolean(0.3):
            attrs["divisor_override"] = c.integer(1, 5)
        return attrs

    def onnx(self, ctx, attrs, a, outs):
        spatial = ctx.types[a[0]].shape[-self.nd:]
        geo, exact = self.onnx_geometry(ctx, attrs, spatial)
        include = bool(attrs.get("count_include_pad", True))  # torch counts the padding by default, ONNX not
        k, p = geo["kernel_shape"], geo["pads"]
        out = ctx.types[outs[0]].shape[-self.nd:]
        # a ceil_mode window reaching past the padding: torch counts it only up to the padding's
        # end, which ONNX's count_include_pad does not say
        overhang = any((out[i] - 1) * geo["strides"][i] + k[i] > spatial[i] + 2 * p[i] for i in range(self.nd))
        if attrs.get("divisor_override") or (include and (overhang or not exact)):
            self.onnx_window_sums(ctx, attrs, a, outs)
            return
        bx = Batched(ctx, a[0], self.nd, "AveragePool")
        vals = bx.values_name(outs[0])
        ctx.node("AveragePool", [bx.x], [vals], count_include_pad=int(include), **geo)
        bx.finish(vals, outs[0])

    def onnx_window_sums(self, ctx, attrs, a, outs) -> None:
        """Window sums over torch's divisors: a depthwise Conv with a kernel of ones (zero
        padding adds nothing; a ceil_mode window past the padding gets more zeros at the end),
        then Div by the override or by torch's per-window count. AveragePool cannot say either:
        its divisor is a count of elements, and before opset 22 its ceil_mode windows differ."""
        bx = Batched(ctx, a[0], self.nd, "Conv", "Div")
        n = self.nd
        channels, spatial = bx.shape[1], bx.shape[2:]
        k = per_dim(attrs["kernel_size"], n)
        st = k if attrs.get("stride") is None else per_dim(attrs["stride"], n)
        p = per_dim(attrs.get("padding", 0), n)
        out_spatial = ctx.types[outs[0]].shape[-n:]
        pads = list(p) * 2
        for i in range(n):
            reach = (out_spatial[i] - 1) * st[i] + k[i]
            pads[n + i] += max(0, reach - (spatial[i] + 2 * p[i]))
        ones = ctx.const(np.ones((channels, 1, *k)), bx.ct)
        total = ctx.node("Conv", [bx.x, ones], 1, kernel_shape=list(k), strides=list(st), pads=pads, group=channels)[0]
        if attrs.get("divisor_override"):
            divisor = ctx.scalar(float(attrs["divisor_override"]), bx.ct)
        else:
            count = np.ones(())
            for i in range(n):
                count = np.multiply.outer(count, torch_window_counts(spatial[i], k[i], st[i], p[i], out_spatial[i]))
            divisor = ctx.const(count.reshape((1, 1) + tuple(out_spatial)), bx.ct)
        vals = bx.values_name(outs[0])
        ctx.node("Div", [total, divisor], [vals])
        bx.finish(vals, outs[0])


def torch_window_counts(size: int, k: int, s: int, p: int, m: int) -> np.ndarray:
    """torch's avg_pool divisor per window with count_include_pad: the window clipped to the
    padded input, padding included."""
    starts = np.arange(m) * s - p
    return (np.minimum(starts + k, size + p) - starts).astype(np.float64)


class AvgPool1d(AvgPoolNd):
    name, nd, fn, onnx_ops = "avg_pool1d", 1, "F.avg_pool1d", ("AveragePool", "Conv", "Div")
    min_rank, max_rank = 2, 3


class AvgPool2d(AvgPoolNd):
    name, nd, fn, onnx_ops = "avg_pool2d", 2, "F.avg_pool2d", ("AveragePool", "Conv", "Div")
    min_rank, max_rank = 3, 4
    has_divisor = True


class AdaptivePoolNd(OpSpec):
    """F.adaptive_{avg,max}_pool{n}d(x, output_size); output sizes may be None (keep) in 2-D,
    divide the input evenly or not, or exceed it."""

    nd: ClassVar[int]
    fn: ClassVar[str]
    indices: ClassVar[bool] = False

    def operands(self, b, x):
        if not self.nd + 1 <= x.type.rank <= self.nd + 2:
            raise Rejected(f"{self.name} needs a rank {self.nd + 1} or {self.nd + 2} input, got {x.type}")
        return [x]

    def sample_attrs(self, b, types):
        c = b.choices
        x = types[0]
        sizes = []
        for size in x.shape[x.rank - self.nd:]:
            divs = [d for d in range(1, size + 1) if size % d == 0]
            kind = c.choice(["one", "divisor", "divisor", "any", "same", "none"] if self.nd > 1 else
                            ["one", "divisor", "divisor", "any", "same"])
            sizes.append({"one": 1, "divisor": c.choice(divs), "any": c.integer(1, size + 1),
                          "same": size, "none": None}[kind])
        if self.nd == 1 or (len(set(sizes)) == 1 and sizes[0] is not None and c.boolean(0.5)):
            out = sizes[0] if c.boolean(0.7) else sizes
        else:
            out = sizes
        attrs: dict = {"output_size": out}
        if self.indices and c.boolean(0.3):
            attrs["return_indices"] = True
        return attrs

    def infer(self, types, attrs):
        x = types[0]
        spatial = x.shape[x.rank - self.nd:]
        sizes = attrs["output_size"]
        sizes = list(sizes) if isinstance(sizes, (list, tuple)) else [sizes] * self.nd
        out = tuple(spatial[i] if s is None else int(s) for i, s in enumerate(sizes))
        t = x.with_shape(x.shape[: x.rank - self.nd] + out)
        return [t, t.with_dtype(DType.int64)] if attrs.get("return_indices") else [t]

    def torch(self, ctx, attrs, a):
        kw = ", return_indices=True" if attrs.get("return_indices") else ""
        return f"{self.fn}({a[0]}, {py(attrs['output_size'])}{kw})"

    def onnx(self, ctx, attrs, a, outs):
        is_max = "max" in self.name
        pool, reducer = ("MaxPool", "ReduceMax") if is_max else ("AveragePool", "ReduceMean")
        bx = Batched(ctx, a[0], self.nd, pool, reducer, "ArgMax")
        spatial = bx.shape[2:]
        out_spatial = ctx.types[outs[0]].shape[-self.nd:]
        vals = bx.values_name(outs[0])
        if len(outs) == 2:
            v, idx = adaptive_argmax(ctx, bx.x, bx.shape, out_spatial)
            ctx.node("Identity", [v], [vals])
            bx.finish(vals, outs[0])
            bx.finish(idx if bx.unbatched else ctx.node("Identity", [idx], [outs[1]])[0], outs[1], is_values=False)
        elif all(o == 1 for o in out_spatial):
            if is_max and (self.nd != 2 or ctx.dtype(bx.ct) != DType.float32):
                # GlobalMaxPool: onnx.reference (1.23) drops a dim of a rank-3 input and
                # onnxruntime has float32 only; the plain reduction is one everyone computes
                reduce(ctx, "ReduceMax", bx.x, list(range(2, 2 + self.nd)), True, [vals])
            else:
                ctx.node("Global" + pool, [bx.x], [vals])
            bx.finish(vals, outs[0])
        elif all(i % o == 0 for i, o in zip(spatial, out_spatial)):
            # evenly divided: every window has the same size and stride
            k = [i // o for i, o in zip(spatial, out_spatial)]
            ctx.node(pool, [bx.x], [vals], kernel_shape=k, strides=k)
            bx.finish(vals, outs[0])
        else:
            # torch's window i spans [floor(i * n / m), ceil((i + 1) * n / m)); windows of different
            # sizes are no ONNX pool, but a rectangle's mean or max is one axis after another
            y = bx.x
            for axis, (size, m) in enumerate(zip(spatial, out_spatial), start=2):
                if size != m:
                    parts = [reduce(ctx, reducer, slice_axis(ctx, y, axis, lo, hi), [axis], True)[0]
                             for lo, hi in windows(size, m)]
                    y = ctx.node("Concat", parts, axis=axis)[0] if len(parts) > 1 else parts[0]
            ctx.node("Identity", [y], [vals])
            bx.finish(vals, outs[0])


def windows(n: int, m: int) -> list[tuple[int, int]]:
    """torch's adaptive pooling windows: m of them over n elements."""
    return [((i * n) // m, -(-((i + 1) * n) // m)) for i in range(m)]


def slice_axis(ctx, x: str, axis: int, lo: int, hi: int) -> str:
    return ctx.node("Slice", [x, ctx.ints([lo]), ctx.ints([hi]), ctx.ints([axis])])[0]


def adaptive_argmax(ctx, x: str, shape, out_spatial) -> tuple[str, str]:
    """(max, torch plane index) of adaptive max pooling over (N, C, *spatial), axis by axis
    from the last: along the last axis the window's max and its column; along the axis before,
    the row holding the max and, gathered from it, that row's column. ArgMax takes the first
    of equal maxima, so ties resolve in row-major order, as torch's scan does."""
    nd = len(out_spatial)
    spatial = shape[2:]
    # the running values and each value's flat position in the plane so far
    vals, pos = x, None
    stride = 1
    for axis in range(len(shape) - 1, 1, -1):
        size, m = spatial[axis - 2], out_spatial[axis - 2]
        vparts, pparts = [], []
        for lo, hi in windows(size, m):
            v = slice_axis(ctx, vals, axis, lo, hi)
            arg = ctx.node("ArgMax", [v], axis=axis, keepdims=1)[0]
            vparts.append(reduce(ctx, "ReduceMax", v, [axis], True)[0])
            here = ctx.node("Mul", [ctx.node("Add", [arg, ctx.scalar(lo, DType.int64)])[0],
                                    ctx.scalar(stride, DType.int64)])[0]
            if pos is not None:
                inner = ctx.node("GatherElements", [slice_axis(ctx, pos, axis, lo, hi), arg], axis=axis)[0]
                here = ctx.node("Add", [here, inner])[0]
            pparts.append(here)
        vals = ctx.node("Concat", vparts, axis=axis)[0] if m > 1 else vparts[0]
        pos = ctx.node("Concat", pparts, axis=axis)[0] if m > 1 else pparts[0]
        stride *= size
    assert nd == len(spatial)
    return vals, pos


class AdaptiveAvgPool1d(AdaptivePoolNd):
    name, nd, fn, onnx_ops = "adaptive_avg_pool1d", 1, "F.adaptive_avg_pool1d", ("AveragePool", "GlobalAveragePool", "ReduceMean", "Slice", "Concat")
    min_rank, max_rank = 2, 3
    def tf(self, ctx, attrs, a, types):
        return _tf_adaptive_avg_pool(self, ctx, attrs, a, types)


class AdaptiveAvgPool2d(AdaptivePoolNd):
    name, nd, fn, onnx_ops = "adaptive_avg_pool2d", 2, "F.adaptive_avg_pool2d", ("AveragePool", "GlobalAveragePool", "ReduceMean", "Slice", "Concat")
    min_rank, max_rank = 3, 4
    def tf(self, ctx, attrs, a, types):
        return _tf_adaptive_avg_pool(self, ctx, attrs, a, types)


class AdaptiveMaxPool1d(AdaptivePoolNd):
    name, nd, fn, onnx_ops = "adaptive_max_pool1d", 1, "F.adaptive_max_pool1d", ("MaxPool", "ReduceMax", "ArgMax", "GatherElements", "Slice", "Concat")
    min_rank, max_rank = 2, 3
    indices = True


class AdaptiveMaxPool2d(AdaptivePoolNd):
    name, nd, fn, onnx_ops = "adaptive_max_pool2d", 2, "F.adaptive_max_pool2d", ("MaxPool", "GlobalMaxPool", "ReduceMax", "ArgMax", "GatherElements", "Slice", "Concat")
    min_rank, max_rank = 3, 4
    indices = True


# -- TensorFlow lowerings: NCHW transposed to NHWC around TF's pools -------------------------
def _tf_adaptive(tf, x, sizes, reduce):
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


def _tf_adaptive_avg_pool(spec, ctx, attrs, a, types):
    sizes = attrs["output_size"]
    sizes = list(sizes) if isinstance(sizes, (list, tuple)) else [sizes] * spec.nd
    return ctx.widen(lambda x: _tf_adaptive(ctx.tf, x, sizes, ctx.tf.math.reduce_mean), a[0], ints=False)


def _tf_pool_geometry(attrs, spatial, nd):
    """Per dim (kernel, stride, padding, dilation, output size, extent) of a torch pool. The
    extent is the span the windows read (from the left padding on): the input padded by p on
    the left, by whatever the last (ceil_mode) window needs on the right, and cut to it."""
    k = list(per_dim(attrs["kernel_size"], nd))
    s = k if attrs.get("stride") is None else list(per_dim(attrs["stride"], nd))
    p = list(per_dim(attrs.get("padding", 0), nd))
    d = list(per_dim(attrs.get("dilation", 1), nd))
    ceil = bool(attrs.get("ceil_mode", False))
    out = [pool_out(spatial[i], k[i], s[i], p[i], d[i], ceil) for i in range(nd)]
    extent = [(out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 for i in range(nd)]
    return k, s, p, d, out, extent


def _tf_pad_to_extent(tf, x, first, p, spatial, extent, value=0):
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


def _avg_divisor(n, k, s, p, out, include_pad):
    """torch's divisor per output position of one dim: the window clipped to the padded
    input (count_include_pad) or to the input itself."""
    div = []
    for i in range(out):
        lo = i * s - p
        hi = min(lo + k, n + p)
        div.append(hi - lo if include_pad else min(hi, n) - max(lo, 0))
    return np.array(div, dtype=np.float64)


def _tf_avg_pool(ctx, attrs, a, types, nd: int):
    tf = ctx.tf
    spatial = types[0].shape[-nd:]
    k, s, p, _, out, extent = _tf_pool_geometry(attrs, spatial, nd)
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
        x = _tf_pad_to_extent(tf, channels_last(tf, x, nd), 1, p, spatial, extent)
        pool = tf.nn.avg_pool1d if nd == 1 else tf.nn.avg_pool2d
        y = pool(x, ksize=k, strides=s, padding="VALID")
        if not np.all(scale == 1.0):
            y = y * tf.constant(scale.reshape(*out, 1), dtype=y.dtype)
        return channels_first(tf, y, nd)

    return ctx.widen(lambda x: batched(tf, x, nd, fn), a[0], ints=False)


def _tf_max_pool(ctx, attrs, a, types, nd: int):
    tf = ctx.tf
    spatial = types[0].shape[-nd:]
    k, s, p, d, out, extent = _tf_pool_geometry(attrs, spatial, nd)
    indices = bool(attrs.get("return_indices"))
    plain = not indices and all(v == 1 for v in d)

    def fn(x):
        low = x.dtype.min if x.dtype.is_integer else -np.inf
        if plain:
            # the form TF models have: MaxPool on an NHWC input padded with -inf
            y = _tf_pad_to_extent(tf, channels_last(tf, x, nd), 1, p, spatial, extent, low)
            pool = tf.nn.max_pool1d if nd == 1 else tf.nn.max_pool2d
            return channels_first(tf, pool(y, ksize=k, strides=s, padding="VALID"), nd)
        # dilation (which TF's MaxPool lacks) or torch's indices (flat per (N, C) plane):
        # one strided slice per kernel offset, folded with a strict ">" so that the first
        # maximum in torch's scan order wins
        xp = _tf_pad_to_extent(tf, x, 2, p, spatial, extent, low)
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
        return fn(a[0]) if types[0].rank == nd + 2 else tuple(tf.squeeze(t, 0) for t in fn(tf.expand_dims(a[0], 0)))
    return batched(tf, a[0], nd, fn)
