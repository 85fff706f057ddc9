"""ONNX-only neural-network ops no exporter emits in these forms: LpPool and GlobalLpPool,
MaxUnpool, Col2Im, AffineGrid, CenterCropPad, the two losses (NegativeLogLikelihoodLoss,
SoftmaxCrossEntropyLoss), ConvInteger, RotaryEmbedding and NonMaxSuppression.

Truths are written from the operator texts in float64 torch; where a text leaves a case open
(a mean over ignored targets, a ceil-mode window that starts in the right padding), that case
is not drawn. Index and shape operands are constants drawn at build time, so every model is
valid by construction.
"""
from __future__ import annotations

import math

import numpy as np

from fuzzer.choices import rng_for
from fuzzer.errors import Rejected
from fuzzer.ir import DType, TensorType
from fuzzer.ops.base import DrawsWithNotes, OpSpec, py
from fuzzer.ops.dtypes import ALL_BUT_INT16, HALF_SINGLE_DOUBLE
from fuzzer.ops.lowering import compute_dtype

#: what the pooling ops take (bfloat16 only since opset 22)
POOL_FLOATS = HALF_SINGLE_DOUBLE


def _call(fn: str) -> str:
    return f"__import__('fuzzer.ops.onnx_nn', fromlist=['{fn}']).{fn}"


# -- Lp pooling ---------------------------------------------------------------------------
def lp_pool(x, p: int, kernel, strides, dilations, pads_begin, pads_end):
    """(sum over each window of |x|^p)^(1/p); pads add zeros, which add nothing to the sum.
    pads_end already covers a ceil-mode window's overhang."""
    import torch
    import torch.nn.functional as F

    nd = len(kernel)
    pad = []
    for d in reversed(range(nd)):
        pad += [pads_begin[d], pads_end[d]]
    y = F.pad(torch.abs(x) ** p, pad)
    for d in range(nd):
        axis = 2 + d
        span = (kernel[d] - 1) * dilations[d] + 1
        y = y.unfold(axis, span, strides[d])
        y = y[..., ::dilations[d]]
    y = y.sum(dim=tuple(range(-nd, 0)))
    return y ** (1.0 / p)


class LpPool(OpSpec):
    """LpPool over 1 to 3 spatial dims, p 1 to 3, with explicit pads (or auto_pad SAME_UPPER,
    SAME_LOWER, VALID, undilated), strides, dilations and ceil_mode (drawn only where every
    ceil-mode window starts inside the input or its left padding, the one reading of the text)."""

    name, onnx_ops, exportable, min_rank, max_rank, min_opset = "LpPool", ("LpPool",), False, 3, 5, 18
    dtypes = POOL_FLOATS

    def sample_attrs(self, b, types):
        c = b.choices
        x = types[0]
        spatial = x.shape[2:]
        nd = len(spatial)
        kernel, strides, dil, pb, pe = [], [], [], [], []
        auto = c.choice(["NOTSET", "NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"])
        for n in spatial:
            k = c.integer(1, min(3, n))
            s = c.integer(1, 3)
            d = c.integer(1, max(1, (n - 1) // max(1, k - 1))) if auto == "NOTSET" and k > 1 and c.boolean(0.4) else 1
            kernel.append(k), strides.append(s), dil.append(min(d, 3))
            span = (k - 1) * dil[-1] + 1
            if auto == "NOTSET":
                # pads below the kernel, not its dilated span: ORT 1.32 refuses the model otherwise
                # ("Pad should be smaller than kernel"), which ONNX does not ask
                pb.append(c.integer(0, k - 1) if c.boolean(0.5) else 0)
                pe.append(c.integer(0, k - 1) if c.boolean(0.5) else 0)
            else:
                pb.append(0), pe.append(0)
        ceil = auto == "NOTSET" and c.boolean(0.4)
        out, extra = [], []
        for i, n in enumerate(spatial):
            span = (kernel[i] - 1) * dil[i] + 1
            if auto in ("SAME_UPPER", "SAME_LOWER"):
                o = -(-n // strides[i])
                total = max(0, (o - 1) * strides[i] + span - n)
                small, big = total // 2, total - total // 2
                pb[i], pe[i] = (small, big) if auto == "SAME_UPPER" else (big, small)
            elif auto == "VALID":
                o = -(-(n - span + 1) // strides[i]) if n >= span else 0
            else:
                room = n + pb[i] + pe[i] - span
                if room < 0:
                    raise Rejected("LpPool: kernel larger than the padded input")
                o = (-(-room // strides[i]) if ceil else room // strides[i]) + 1
                if ceil and (o - 1) * strides[i] >= n + pb[i]:
                    ceil = False  # a window would start in the right padding: the text leaves it open
            out.append(o)
        if not ceil and auto == "NOTSET":
            out = [(n + pb[i] + pe[i] - ((kernel[i] - 1) * dil[i] + 1)) // strides[i] + 1 for i, n in enumerate(spatial)]
        if min(out, default=1) < 1:
            raise Rejected("LpPool: empty output")
        for i, n in enumerate(spatial):
            span = (kernel[i] - 1) * dil[i] + 1
            extra.append(max(0, (out[i] - 1) * strides[i] + span - (n + pb[i] + pe[i])))
        attrs = {"p": c.choice([1, 2, 2, 3]), "kernel": kernel, "strides": strides, "dilations": dil,
                 "pads": pb + pe, "auto_pad": auto, "ceil_mode": int(ceil), "out": out, "extra": extra,
                 "spell": {k: c.boolean(0.5) for k in ("p", "strides", "dilations", "pads")}}
        return attrs

    def infer(self, types, attrs):
        x = types[0]
        return [x.with_shape(x.shape[:2] + tuple(attrs["out"]))]

    def torch(self, ctx, attrs, a):
        nd = len(attrs["kernel"])
        pb = attrs["pads"][:nd]
        pe = [e + x for e, x in zip(attrs["pads"][nd:], attrs["extra"])]
        return (f"{_call('lp_pool')}({a[0]}, {attrs['p']}, {py(tuple(attrs['kernel']))}, {py(tuple(attrs['strides']))}, "
                f"{py(tuple(attrs['dilations']))}, {py(tuple(pb))}, {py(tuple(pe))})")

    def onnx(self, ctx, attrs, a, outs):
        spell = attrs["spell"]
        nd = len(attrs["kernel"])
        kw = {"kernel_shape": attrs["kernel"]}
        if spell["p"] or attrs["p"] != 2:
            kw["p"] = attrs["p"]
        if spell["strides"] or set(attrs["strides"]) != {1}:
            kw["strides"] = attrs["strides"]
        if spell["dilations"] or set(attrs["dilations"]) != {1}:
            kw["dilations"] = attrs["dilations"]
        if attrs["auto_pad"] != "NOTSET":
            kw["auto_pad"] = attrs["auto_pad"]
        elif spell["pads"] or any(attrs["pads"]):
            kw["pads"] = attrs["pads"]
        if attrs["ceil_mode"]:
            kw["ceil_mode"] = 1
        assert len(kw["kernel_shape"]) == nd
        ctx.widen("LpPool", a, outs, **kw)


class GlobalLpPool(OpSpec):
    """(sum of |x|^p over every spatial position)^(1/p), p 1 to 3 (default 2)."""

    name, onnx_ops, exportable, min_rank, max_rank = "GlobalLpPool", ("GlobalLpPool",), False, 3, 5
    dtypes = POOL_FLOATS

    def sample_attrs(self, b, types):
        return {"p": b.choices.choice([None, 1, 2, 3])}

    def infer(self, types, attrs):
        x = types[0]
        return [x.with_shape(x.shape[:2] + (1,) * (x.rank - 2))]

    def torch(self, ctx, attrs, a):
        p = attrs["p"] or 2
        return f"(torch.abs({a[0]}) ** {p}).sum(dim=tuple(range(2, {a[0]}.dim())), keepdim=True) ** (1.0 / {p})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("GlobalLpPool", a, outs, p=attrs["p"])


# -- unpooling and column images -------------------------------------------------------------
class MaxUnpool(DrawsWithNotes, OpSpec):
    """x (N, C, h[, w]) scattered into zeros at indices I, one position per pooled element
    inside its window (kernel, strides >= kernel so windows never overlap, pads < kernel),
    indices linear over the whole output (N, C and spatial); output shape the default one
    or a larger output_shape input."""

    name, onnx_ops, exportable, min_rank, max_rank = "MaxUnpool", ("MaxUnpool",), False, 3, 4
    dtypes = POOL_FLOATS

    def draw_operands(self, b, x, note):
        c = b.choices
        t = x.type
        n, ch, spatial = t.shape[0], t.shape[1], t.shape[2:]
        kernel = [c.integer(1, 3) for _ in spatial]
        strides = [c.integer(k, k + 1) for k in kernel]
        pb = [c.integer(0, k - 1) if c.boolean(0.3) else 0 for k in kernel]
        pe = [c.integer(0, k - 1) if c.boolean(0.3) else 0 for k in kernel]
        default = [(h - 1) * s + k - p - q for h, s, k, p, q in zip(spatial, strides, kernel, pb, pe)]
        if min(default) < 1:
            raise Rejected("MaxUnpool: empty output")
        bigger = c.boolean(0.3)
        out = [d + c.integer(0, s - 1) for d, s in zip(default, strides)] if bigger else default
        rng = rng_for(c)
        plane = math.prod(out)
        idx = np.zeros(t.shape, dtype=np.int64)
        for pos in np.ndindex(*spatial):
            # a position inside the window of pooled element pos, inside the output
            coords = []
            for i, p in enumerate(pos):
                lo = max(0, p * strides[i] - pb[i])
                hi = min(out[i] - 1, p * strides[i] - pb[i] + kernel[i] - 1)
                coords.append(int(rng.integers(lo, hi + 1)))
            flat = int(np.ravel_multi_index(coords, out))
            for bn in range(n):
                for cc in range(ch):
                    idx[(bn, cc, *pos)] = (bn * ch + cc) * plane + flat
        note.kernel, note.strides, note.pads, note.out, note.given = kernel, strides, pb + pe, out, bigger
        return [x, b.int_const(idx, DType.int64)]

    def draw_attrs(self, b, types, note):
        return {"kernel": note.kernel, "strides": note.strides, "pads": note.pads, "out": note.out,
                "output_shape": note.given}

    def requires(self, types, attrs):
        return None if types[0].shape == types[1].shape else "MaxUnpool: indices of x's shape"

    def infer(self, types, attrs):
        x = types[0]
        return [x.with_shape(x.shape[:2] + tuple(attrs["out"]))]

    def torch(self, ctx, attrs, a):
        x, i = a
        shape = py(tuple(attrs["out"]))
        return (f"torch.zeros({x}.shape[0] * {x}.shape[1] * {math.prod(attrs['out'])}, dtype={x}.dtype)"
                f".scatter(0, {i}.flatten(), {x}.flatten()).reshape({x}.shape[:2] + {shape})")

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        ins = list(a)
        if attrs["output_shape"]:
            ins.append(ctx.ints([*x.shape[:2], *attrs["out"]]))
        ctx.widen("MaxUnpool", ins, outs, keep=(1, 2), kernel_shape=attrs["kernel"], strides=attrs["strides"],
                  pads=attrs["pads"] if any(attrs["pads"]) else None)


class Col2Im(OpSpec):
    """Column blocks (N, C * kh * kw, L) summed back into (N, C, H, W) images (torch's fold),
    with strides, dilations and pads (begin and end apart); the image shape is drawn so that
    the blocks tile it: L = Lh * Lw blocks."""

    name, onnx_ops, exportable, min_rank, max_rank, min_opset = "Col2Im", ("Col2Im",), False, 3, 3, 18
    dtypes = frozenset({DType.float32, DType.float64, DType.float16})

    def sample_attrs(self, b, types):
        c = b.choices
        _, k, blocks = types[0].shape
        kh = c.choice([d for d in range(1, 4) if k % d == 0])
        kw = c.choice([d for d in range(1, 4) if (k // kh) % d == 0])
        lh = c.choice([d for d in range(1, blocks + 1) if blocks % d == 0])
        lw = blocks // lh
        image, block, strides, dil, pb, pe = [], [kh, kw], [], [], [], []
        for kk, ll in ((kh, lh), (kw, lw)):
            s, d = c.integer(1, 2), c.integer(1, 2)
            span = (kk - 1) * d + 1
            p0, p1 = (c.integer(0, 1), c.integer(0, 1)) if c.boolean(0.4) else (0, 0)
            size = (ll - 1) * s + span - p0 - p1
            if size < 1:
                raise Rejected("Col2Im: padding swallows the image")
            image.append(size), strides.append(s), dil.append(d), pb.append(p0), pe.append(p1)
        return {"image": image, "block": block, "strides": strides, "dilations": dil, "pads": pb + pe,
                "spell": c.boolean(0.5)}

    def infer(self, types, attrs):
        n, k, _ = types[0].shape
        kh, kw = attrs["block"]
        return [types[0].with_shape((n, k // (kh * kw), *attrs["image"]))]

    def torch(self, ctx, attrs, a):
        (h, w), (p0h, p0w, p1h, p1w) = attrs["image"], attrs["pads"]
        # fold into the padded image, then cut the pads away (ONNX pads may differ at the two ends)
        full = (h + p0h + p1h, w + p0w + p1w)
        return (f"F.fold({a[0]}, {py(full)}, {py(tuple(attrs['block']))}, dilation={py(tuple(attrs['dilations']))}, "
                f"stride={py(tuple(attrs['strides']))})[:, :, {p0h}:{p0h + h}, {p0w}:{p0w + w}]")

    def onnx(self, ctx, attrs, a, outs):
        default = set(attrs["strides"]) == {1} and set(attrs["dilations"]) == {1} and not any(attrs["pads"])
        kw = {} if default and not attrs["spell"] else {
            "strides": attrs["strides"], "dilations": attrs["dilations"], "pads": attrs["pads"]}
        ctx.widen("Col2Im", [a[0], ctx.ints(attrs["image"]), ctx.ints(attrs["block"])], outs, keep=(1, 2), **kw)


class AffineGrid(OpSpec):
    """The sampling grid of affine matrices theta (N, 2, 3) or (N, 3, 4) over the size of an
    image operand (its Shape), align_corners 0 or 1: torch's affine_grid, which the text cites."""

    name, onnx_ops, exportable, min_rank, max_rank, min_opset = "AffineGrid", ("Shape", "AffineGrid"), False, 4, 5, 20
    dtypes = frozenset({DType.float32, DType.float64})

    def operands(self, b, x):
        t = x.type
        nd = t.rank - 2
        if math.prod(t.shape[2:]) * nd * t.shape[0] > 1024:
            raise Rejected("AffineGrid: grid too large")
        return [x, b.operand(TensorType(t.dtype, (t.shape[0], nd, nd + 1)))]

    def sample_attrs(self, b, types):
        # a one-pixel axis has a single "corner pixel" whose center is both -1 and 1: the text
        # leaves that grid open, so align_corners=1 is drawn only without one
        one_pixel = 1 in types[0].shape[2:]
        return {"align_corners": b.choices.choice([None, 0] if one_pixel else [None, 0, 1])}

    def requires(self, types, attrs):
        x, theta = types
        if attrs["align_corners"] and 1 in x.shape[2:]:
            return "AffineGrid: align_corners=1 over a one-pixel axis"
        nd = x.rank - 2
        return None if theta.shape == (x.shape[0], nd, nd + 1) else "AffineGrid: theta of (N, nd, nd + 1)"

    def infer(self, types, attrs):
        x, theta = types
        return [theta.with_shape((x.shape[0], *x.shape[2:], x.rank - 2))]

    def torch(self, ctx, attrs, a):
        return f"F.affine_grid({a[1]}, list({a[0]}.shape), align_corners={bool(attrs['align_corners'])})"

    def onnx(self, ctx, attrs, a, outs):
        size = ctx.node("Shape", [a[0]])[0]
        ctx.widen("AffineGrid", [a[1], size], outs, keep=(1,), align_corners=attrs["align_corners"])


class CenterCropPad(OpSpec):
    """x cropped (window start rounded down) or zero-padded (the odd pixel on the right) to a
    target length along all axes or a drawn subset (possibly negative); the target shape is
    int64 (int32 makes ORT refuse the model, see sample_attrs)."""

    name, onnx_ops, exportable, min_rank, min_opset = "CenterCropPad", ("CenterCropPad",), False, 1, 18
    dtypes = ALL_BUT_INT16

    def sample_attrs(self, b, types):
        c = b.choices
        x = types[0]
        if c.boolean(0.3):
            axes = None
            dims = list(range(x.rank))
        else:
            dims = sorted({c.integer(0, x.rank - 1) for _ in range(c.integer(1, x.rank))})
            axes = [d - x.rank if c.boolean(0.4) else d for d in dims]
        target = [c.integer(1, x.shape[d] + 3) for d in dims]
        # int32 shapes are allowed (Tind), but the function body ORT inlines binds them to int64
        # constants and ORT 1.32 refuses the model: int32 is left out, recorded as a finding
        return {"axes": axes, "target": target, "shape_dtype": "int64"}

    def infer(self, types, attrs):
        x = types[0]
        s = list(x.shape)
        dims = [d % x.rank for d in attrs["axes"]] if attrs["axes"] is not None else list(range(x.rank))
        for d, t in zip(dims, attrs["target"]):
            s[d] = t
        return [x.with_shape(tuple(s))]

    def torch(self, ctx, attrs, a):
        axes = attrs["axes"] if attrs["axes"] is not None else list(range(len(attrs["target"])))
        return f"{_call('center_crop_pad')}({a[0]}, {py(tuple(axes))}, {py(tuple(attrs['target']))})"

    def onnx(self, ctx, attrs, a, outs):
        shape = ctx.const(np.asarray(attrs["target"]), DType(attrs["shape_dtype"]))
        ctx.node("CenterCropPad", [a[0], shape], outs, axes=attrs["axes"])


def center_crop_pad(x, axes, target):
    import torch

    for d, t in zip(axes, target):
        d %= x.dim()
        n = x.shape[d]
        if t < n:
            x = x.narrow(d, (n - t) // 2, t)
        elif t > n:
            left = (t - n) // 2
            shape = list(x.shape)
            shape[d] = left
            lo = torch.zeros(shape, dtype=x.dtype)
            shape[d] = t - n - left
            hi = torch.zeros(shape, dtype=x.dtype)
            x = torch.cat([lo, x, hi], d)
    return x


# -- losses --------------------------------------------------------------------------------
class Loss(DrawsWithNotes, OpSpec):
    """Shared draw of the two losses: scores (N, C[, d1...]), int32/int64 targets in [0, C),
    an optional weight per class, reduction none/sum/mean (or omitted: mean), ignore_index
    omitted or drawn (-1, or a class). Targets equal to ignore_index are drawn only when the
    reduction is not mean: the texts define mean as mean(loss) or sum(loss) / sum(weight[target])
    over every sample, which leaves open whether an ignored sample counts."""

    exportable, min_rank, max_rank = False, 2, 4

    def draw_operands(self, b, x, note):
        c = b.choices
        t = x.type
        classes = t.shape[1]
        note.reduction = c.choice([None, "none", "sum", "mean"])
        note.ignore = c.choice([None, None, -1, c.integer(0, classes - 1)])
        rng = rng_for(c)
        target_shape = (t.shape[0], *t.shape[2:])
        labels = rng.integers(0, classes, size=target_shape)
        if note.ignore is not None and note.reduction not in (None, "mean"):
            mask = rng.random(target_shape) < 0.3
            labels = np.where(mask, note.ignore, labels)
        elif note.ignore is not None:
            if note.ignore >= 0:
                labels = np.where(labels == note.ignore, (labels + 1) % classes, labels)
                if classes == 1:
                    note.ignore = -1
        ops = [x, b.int_const(labels, c.choice([DType.int64, DType.int32]))]
        if c.boolean(0.5):
            ops.append(b.operand(TensorType(t.dtype, (classes,)), weight=True, domain=(0.25, 2.0)))
        return ops

    def draw_attrs(self, b, types, note):
        return {"reduction": note.reduction, "ignore_index": note.ignore}

    def requires(self, types, attrs):
        x, target = types[0], types[1]
        if target.shape != (x.shape[0], *x.shape[2:]):
            return "loss: targets of (N, d1, ...)"
        if len(types) == 3 and types[2].shape != (x.shape[1],):
            return "loss: a weight per class"
        return None

    def infer(self, types, attrs):
        x = types[0]
        loss = x.with_shape((x.shape[0], *x.shape[2:]) if attrs["reduction"] == "none" else ())
        return [loss]

    def _loss(self, log_probs: str, attrs, a) -> str:
        weight = a[2] if len(a) == 3 else "None"
        ignore = attrs["ignore_index"] if attrs["ignore_index"] is not None else -100
        return (f"F.nll_loss({log_probs}, {a[1]}.long(), weight={weight}, ignore_index={ignore}, "
                f"reduction={attrs['reduction'] or 'mean'!r})")

    def _kw(self, attrs) -> dict:
        return {"reduction": attrs["reduction"], "ignore_index": attrs["ignore_index"]}


class NegativeLogLikelihoodLoss(Loss):
    name, onnx_ops = "NegativeLogLikelihoodLoss", ("NegativeLogLikelihoodLoss",)
    dtypes = frozenset({DType.float32, DType.float64, DType.float16})

    def torch(self, ctx, attrs, a):
        return self._loss(a[0], attrs, a)

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("NegativeLogLikelihoodLoss", a, outs, **self._kw(attrs))


class SoftmaxCrossEntropyLoss(Loss):
    """The loss of log_softmax(scores) over the classes, and sometimes the log-probabilities as
    a second output."""

    name, onnx_ops = "SoftmaxCrossEntropyLoss", ("SoftmaxCrossEntropyLoss",)
    dtypes = frozenset({DType.float32, DType.float64, DType.float16})

    def draw_attrs(self, b, types, note):
        attrs = super().draw_attrs(b, types, note)
        attrs["log_prob"] = b.choices.boolean(0.4)
        return attrs

    def infer(self, types, attrs):
        return super().infer(types, attrs) + ([types[0]] if attrs["log_prob"] else [])

    def torch(self, ctx, attrs, a):
        lp = f"torch.log_softmax({a[0]}, 1)"
        loss = self._loss(lp, attrs, a)
        return f"({loss}, {lp})" if attrs["log_prob"] else loss

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("SoftmaxCrossEntropyLoss", a, outs, **self._kw(attrs))


# -- integer convolution --------------------------------------------------------------------
class ConvInteger(DrawsWithNotes, OpSpec):
    """int32 conv of (x - x_zero_point) and (w - w_zero_point), x uint8 (1-D or 2-D images),
    w a uint8 or int8 constant, zero points omitted, scalar, or (w) one per output channel;
    strides, dilations, pads or auto_pad, group."""

    name, onnx_ops, exportable, min_rank, max_rank = "ConvInteger", ("ConvInteger",), False, 3, 4
    dtypes = frozenset({DType.uint8})

    def draw_operands(self, b, x, note):
        c = b.choices
        t = x.type
        cin, spatial = t.shape[1], t.shape[2:]
        group = c.choice([g for g in (1, 2, 3) if cin % g == 0])
        cout = group * c.integer(1, 2)
        kernel = [c.integer(1, min(3, n)) for n in spatial]
        wdt = c.choice([DType.uint8, DType.int8])
        rng = rng_for(c)
        lo, hi = (0, 255) if wdt == DType.uint8 else (-128, 127)
        w = rng.integers(lo, hi + 1, size=(cout, cin // group, *kernel))
        ops = [x, b.int_const(w, wdt)]
        note.group, note.kernel = group, kernel
        note.x_zp = c.choice([None, int(rng.integers(0, 256))])
        note.w_zp = c.choice([None, "scalar", "channel"])
        if note.x_zp is not None or note.w_zp:
            ops.append(b.int_const(note.x_zp or 0, DType.uint8))
        if note.w_zp == "scalar":
            ops.append(b.int_const(int(rng.integers(lo, hi + 1)), wdt))
        elif note.w_zp == "channel":
            ops.append(b.int_const(rng.integers(lo, hi + 1, size=(cout,)), wdt))
        return ops

    def draw_attrs(self, b, types, note):
        c = b.choices
        spatial = types[0].shape[2:]
        auto = c.choice(["NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"])
        strides = [c.integer(1, 2) for _ in spatial]
        dil = [c.integer(1, 2) if auto == "NOTSET" and k > 1 and (k - 1) * 2 + 1 <= n else 1
               for k, n in zip(note.kernel, spatial)]
        pb, pe, out = [], [], []
        for n, k, s, d in zip(spatial, note.kernel, strides, dil):
            span = (k - 1) * d + 1
            if auto in ("SAME_UPPER", "SAME_LOWER"):
                o = -(-n // s)
                total = max(0, (o - 1) * s + span - n)
                small, big = total // 2, total - total // 2
                p0, p1 = (small, big) if auto == "SAME_UPPER" else (big, small)
            else:
                p0, p1 = ((c.integer(0, k - 1), c.integer(0, k - 1)) if auto == "NOTSET" and c.boolean(0.4) else (0, 0))
                o = (n + p0 + p1 - span) // s + 1
            pb.append(p0), pe.append(p1), out.append(o)
        if min(out) < 1:
            raise Rejected("ConvInteger: empty output")
        return {"group": note.group, "kernel": note.kernel, "auto_pad": auto, "strides": strides, "dilations": dil,
                "pads": pb + pe, "out": out, "w_zp": note.w_zp}

    def requires(self, types, attrs):
        x, w = types[0], types[1]
        if w.rank != x.rank or x.shape[1] != w.shape[1] * attrs["group"] or w.shape[0] % attrs["group"]:
            return "ConvInteger: weight channels must match the input's and the group"
        return None

    def infer(self, types, attrs):
        x, w = types[0], types[1]
        return [TensorType(DType.int32, (x.shape[0], w.shape[0], *attrs["out"]))]

    def torch(self, ctx, attrs, a):
        x, w = f"{a[0]}.double()", f"{a[1]}.double()"
        if len(a) >= 3:
            x = f"({x} - {a[2]}.double())"
        if len(a) == 4:
            zp = f"{a[3]}.double()" + (f".reshape(-1, *[1] * ({a[1]}.dim() - 1))" if attrs["w_zp"] == "channel" else "")
            w = f"({w} - {zp})"
        return f"{self.conv_source(x, w, attrs)}.round().to(torch.int32)"

    @staticmethod
    def conv_source(x: str, w: str, attrs) -> str:
        """Torch source of the float64 convolution of x by w with the drawn geometry (explicit
        pads, begin and end per dim, applied by F.pad)."""
        nd = len(attrs["kernel"])
        pb, pe = attrs["pads"][:nd], attrs["pads"][nd:]
        pad = [p for d in reversed(range(nd)) for p in (pb[d], pe[d])]
        return (f"F.conv{nd}d(F.pad({x}, {py(tuple(pad))}), {w}, stride={py(tuple(attrs['strides']))}, "
                f"dilation={py(tuple(attrs['dilations']))}, groups={attrs['group']})")

    @staticmethod
    def conv_attributes(attrs) -> dict:
        """The drawn geometry as ConvInteger's (and QLinearConv's) ONNX attributes, defaults left out."""
        kw = {"group": attrs["group"] if attrs["group"] > 1 else None, "strides": attrs["strides"],
              "dilations": attrs["dilations"] if set(attrs["dilations"]) != {1} else None,
              "kernel_shape": attrs["kernel"]}
        if attrs["auto_pad"] != "NOTSET":
            kw["auto_pad"] = attrs["auto_pad"]
        elif any(attrs["pads"]):
            kw["pads"] = attrs["pads"]
        return kw

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("ConvInteger", a, outs, **self.conv_attributes(attrs))


# -- rotary embeddings --------------------------------------------------------------------------
class RotaryEmbedding(DrawsWithNotes, OpSpec):
    """RoPE of x (B, heads, S, head) or (B, S, heads * head) with num_heads, full or partial
    (rotary_embedding_dim), halves or interleaved pairs; cos/sin caches (max_pos, rot/2)
    indexed by int64 position_ids (B, S), or (B, S, rot/2) without them. The truth follows
    the algorithm the operator text spells out."""

    name, onnx_ops, exportable, min_rank, max_rank, min_opset = "RotaryEmbedding", ("RotaryEmbedding",), False, 3, 4, 23
    dtypes = frozenset({DType.float32, DType.float16})

    def draw_operands(self, b, x, note):
        c = b.choices
        t = x.type
        if t.rank == 4:
            batch, heads, seq, head = t.shape
            note.num_heads = c.choice([None, heads])
        else:
            batch, seq, hidden = t.shape
            heads = c.choice([h for h in range(1, hidden + 1) if hidden % h == 0 and (hidden // h) % 2 == 0] or [0])
            if not heads:
                raise Rejected("RotaryEmbedding: no even head size")
            head = hidden // heads
            note.num_heads = heads
        if head % 2:
            raise Rejected("RotaryEmbedding: odd head size")
        rot = c.choice([r for r in range(2, head + 1, 2)]) if c.boolean(0.4) else head
        note.rot = rot if rot != head or c.boolean(0.3) else None
        half = rot // 2
        if c.boolean(0.6):
            max_pos = seq + c.integer(0, 3)
            cache = (max_pos, half)
            extra = [b.int_const(rng_for(c).integers(0, max_pos, size=(batch, seq)), DType.int64)]
        else:
            cache = (batch, seq, half)
            extra = []
        # the caches need not hold true cosines and sines: the op only multiplies by them
        cos = b.operand(TensorType(t.dtype, cache), weight=True, domain=(-1.0, 1.0))
        sin = b.operand(TensorType(t.dtype, cache), weight=True, domain=(-1.0, 1.0))
        return [x, cos, sin, *extra]

    def draw_attrs(self, b, types, note):
        return {"num_heads": note.num_heads, "rot": note.rot, "interleaved": b.choices.choice([None, 0, 1])}

    def requires(self, types, attrs):
        x = types[0]
        head = x.shape[3] if x.rank == 4 else x.shape[2] // (attrs["num_heads"] or 1)
        half = (attrs["rot"] or head) // 2
        if types[1] != types[2] or types[1].shape[-1] != half:
            return "RotaryEmbedding: caches of (., rot / 2)"
        return None

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        pos = a[3] if len(a) == 4 else "None"
        return (f"{_call('rotary')}({a[0]}, {a[1]}, {a[2]}, {pos}, {bool(attrs['interleaved'])}, "
                f"{attrs['rot']!r}, {attrs['num_heads']!r})")

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("RotaryEmbedding", a, outs, num_heads=attrs["num_heads"], rotary_embedding_dim=attrs["rot"],
                 interleaved=attrs["interleaved"])


def rotary(x, cos, sin, pos, interleaved: bool, rot, num_heads):
    """The operator text's algorithm, in torch."""
    import torch

    shape = x.shape
    if x.dim() == 4:
        x = x.transpose(1, 2)
    else:
        b, s, hidden = x.shape
        x = x.reshape(b, s, num_heads, hidden // num_heads)
    head = x.shape[3]
    rot = rot or head
    x_rot, x_keep = x[..., :rot], x[..., rot:]
    if pos is not None:
        cos, sin = cos[pos], sin[pos]
    cos, sin = cos.unsqueeze(2), sin.unsqueeze(2)
    if interleaved:
        x1, x2 = x_rot[..., 0::2], x_rot[..., 1::2]
    else:
        x1, x2 = x_rot[..., : rot // 2], x_rot[..., rot // 2:]
    real = cos * x1 - sin * x2
    imag = sin * x1 + cos * x2
    if interleaved:
        x_rot = torch.stack([real, imag], -1).reshape(x_rot.shape)
    else:
        x_rot = torch.cat([real, imag], -1)
    out = torch.cat([x_rot, x_keep], -1)
    return out.reshape(shape) if len(shape) == 3 else out.transpose(1, 2)


# -- non-max suppression -------------------------------------------------------------------------
def _iou(a, b) -> float:
    """IoU of two [y1, x1, y2, x2] boxes given by any diagonal pair of corners."""
    ay1, ay2 = sorted((a[0], a[2]))
    ax1, ax2 = sorted((a[1], a[3]))
    by1, by2 = sorted((b[0], b[2]))
    bx1, bx2 = sorted((b[1], b[3]))
    inter = max(0.0, min(ay2, by2) - max(ay1, by1)) * max(0.0, min(ax2, bx2) - max(ax1, bx1))
    union = (ay2 - ay1) * (ax2 - ax1) + (by2 - by1) * (bx2 - bx1) - inter
    return inter / union if union > 0 else 0.0


def nms_mask(scores, corners, max_out: int, iou_threshold: float, score_threshold):
    """int64 [batch, class, box]: 1 where NonMaxSuppression selects the box, by its text:
    boxes scoring below score_threshold removed, then greedily by descending score, a box kept
    unless its IoU with a kept one is strictly greater than iou_threshold, at most max_out per
    batch and class. corners: [batch][box] -> [y1, x1, y2, x2]."""
    import torch

    s = scores.double()
    out = torch.zeros(s.shape, dtype=torch.int64)
    for b in range(s.shape[0]):
        for c in range(s.shape[1]):
            order = sorted(range(s.shape[2]), key=lambda i: -float(s[b, c, i]))
            kept: list[int] = []
            for i in order:
                if len(kept) >= max_out:
                    break
                if score_threshold is not None and float(s[b, c, i]) < score_threshold:
                    continue
                if all(_iou(corners[b][i], corners[b][j]) <= iou_threshold for j in kept):
                    kept.append(i)
            for i in kept:
                out[b, c, i] = 1
    return out


class NonMaxSuppression(DrawsWithNotes, OpSpec):
    """Which boxes NonMaxSuppression selects, as a [batch, class, box] 0/1 mask (its output is a
    set of (batch, class, box) triples, in no order the text fixes; the mask is that set,
    scattered by ScatterND). Scores are x [batch, class, boxes]; the boxes a constant drawn so
    that every pairwise IoU stays 0.05 or more away from iou_threshold, in corner or center
    format; max_output_boxes_per_class, iou_threshold and score_threshold each omitted or given."""

    name, onnx_ops, exportable, min_rank, max_rank = "NonMaxSuppression", ("NonMaxSuppression", "ScatterND"), False, 3, 3
    dtypes = frozenset({DType.float32})

    def draw_operands(self, b, x, note):
        c = b.choices
        batch, _, n = x.type.shape
        rng = rng_for(c)
        threshold = c.choice([None, 0.0, 0.3, 0.5, 0.7])
        thr = threshold or 0.0
        for _ in range(20):
            corners = []
            for _bn in range(batch):
                boxes = []
                for _i in range(n):
                    if boxes and rng.random() < 0.5:  # a shifted copy of an earlier box: overlap
                        y1, x1, y2, x2 = boxes[int(rng.integers(0, len(boxes)))]
                        dy, dx = rng.integers(-2, 3, size=2)
                        boxes.append([y1 + dy, x1 + dx, y2 + dy, x2 + dx])
                    else:
                        y1, x1 = rng.integers(0, 12, size=2)
                        h, w = rng.integers(1, 5, size=2)
                        boxes.append([y1, x1, y1 + h, x1 + w])
                corners.append([[float(v) for v in box] for box in boxes])
            ious = [_iou(p, q) for bs in corners for i, p in enumerate(bs) for q in bs[:i]]
            if all(abs(v - thr) >= 0.05 for v in ious):
                break
        else:
            raise Rejected("NonMaxSuppression: no boxes clear of the IoU threshold")
        center = c.boolean(0.4)
        data = []
        for bs in corners:
            row = []
            for y1, x1, y2, x2 in bs:
                flip = rng.random() < 0.3 and not center  # any diagonal pair of corners
                row.append([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1] if center
                           else ([y2, x2, y1, x1] if flip else [y1, x1, y2, x2]))
            data.append(row)
        note.corners, note.center, note.iou = corners, center, threshold
        return [x, b.int_const(np.asarray(data, dtype=np.float32), DType.float32)]

    def draw_attrs(self, b, types, note):
        c = b.choices
        n = types[0].shape[2]
        return {"corners": note.corners, "center": int(note.center), "iou": note.iou,
                "max_out": c.choice([None, 1, 2, n, n + 2]), "score": c.choice([None, None, -0.3, 0.25])}

    def requires(self, types, attrs):
        x, boxes = types
        return None if boxes.shape == (x.shape[0], x.shape[2], 4) else "NonMaxSuppression: boxes of [batch, boxes, 4]"

    def infer(self, types, attrs):
        return [types[0].with_dtype(DType.int64)]

    def torch(self, ctx, attrs, a):
        return (f"{_call('nms_mask')}({a[0]}, {attrs['corners']!r}, {attrs['max_out'] or 0}, "
                f"{float(attrs['iou'] or 0.0)!r}, {attrs['score']!r})")

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        ins = [a[1], a[0]]
        optional = [ctx.scalar(attrs["max_out"], DType.int64) if attrs["max_out"] is not None else "",
                    ctx.scalar(attrs["iou"], DType.float32) if attrs["iou"] is not None else "",
                    ctx.scalar(attrs["score"], DType.float32) if attrs["score"] is not None else ""]
        while optional and optional[-1] == "":
            optional.pop()
        picked = ctx.node("NonMaxSuppression", ins + optional, 1, center_point_box=attrs["center"] or None)[0]
        count = ctx.node("Slice", [ctx.node("Shape", [picked])[0], ctx.ints([0]), ctx.ints([1])])[0]
        ones = ctx.node("Expand", [ctx.scalar(1, DType.int64), count])[0]
        zeros = ctx.const(np.zeros(x.shape, dtype=np.int64))
        ctx.node("ScatterND", [zeros, picked, ones], outs)
