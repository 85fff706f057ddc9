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

from fuzzer.errors import Rejected
from fuzzer.ir import FLOATS, DType
from fuzzer.ops.base import OpSpec, py
from fuzzer.ops.conv import pack, per_dim

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


class MaxPoolNd(PoolNd):
    dilated = True

    def sample_attrs(self, b, types):
        attrs = self.geometry(b, types[0].shape[types[0].rank - self.nd:])
        # indices are flat per (N, C) plane in torch but over the whole tensor in ONNX MaxPool
        if b.choices.boolean(0.25):
            attrs["return_indices"] = True
        return attrs


class MaxPool1d(MaxPoolNd):
    name, nd, fn, onnx_ops = "max_pool1d", 1, "F.max_pool1d", ("MaxPool",)
    min_rank, max_rank = 2, 3


class MaxPool2d(MaxPoolNd):
    name, nd, fn, onnx_ops = "max_pool2d", 2, "F.max_pool2d", ("MaxPool",)
    min_rank, max_rank = 3, 4
    # ONNX MaxPool takes int8/uint8 (opset 12+) besides floats; other ints are not expressible
    dtypes = frozenset(FLOATS | {DType.int8, DType.uint8})


class AvgPoolNd(PoolNd):
    dtypes = frozenset(FLOATS)  # ONNX AveragePool is float-only
    has_divisor: ClassVar[bool] = False

    def sample_attrs(self, b, types):
        c = b.choices
        attrs = self.geometry(b, types[0].shape[types[0].rank - self.nd:])
        if c.boolean(0.5):
            attrs["count_include_pad"] = c.boolean(0.5)
        if self.has_divisor and c.boolean(0.3):
            attrs["divisor_override"] = c.integer(1, 5)
        return attrs


class AvgPool1d(AvgPoolNd):
    name, nd, fn, onnx_ops = "avg_pool1d", 1, "F.avg_pool1d", ("AveragePool",)
    min_rank, max_rank = 2, 3


class AvgPool2d(AvgPoolNd):
    name, nd, fn, onnx_ops = "avg_pool2d", 2, "F.avg_pool2d", ("AveragePool",)
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


class AdaptiveAvgPool1d(AdaptivePoolNd):
    name, nd, fn, onnx_ops = "adaptive_avg_pool1d", 1, "F.adaptive_avg_pool1d", ("AveragePool", "GlobalAveragePool")
    min_rank, max_rank = 2, 3


class AdaptiveAvgPool2d(AdaptivePoolNd):
    name, nd, fn, onnx_ops = "adaptive_avg_pool2d", 2, "F.adaptive_avg_pool2d", ("AveragePool", "GlobalAveragePool")
    min_rank, max_rank = 3, 4


class AdaptiveMaxPool1d(AdaptivePoolNd):
    name, nd, fn, onnx_ops = "adaptive_max_pool1d", 1, "F.adaptive_max_pool1d", ("MaxPool", "GlobalMaxPool")
    min_rank, max_rank = 2, 3
    indices = True


class AdaptiveMaxPool2d(AdaptivePoolNd):
    name, nd, fn, onnx_ops = "adaptive_max_pool2d", 2, "F.adaptive_max_pool2d", ("MaxPool", "GlobalMaxPool")
    min_rank, max_rank = 3, 4
    indices = True
