"""The remaining default-domain ONNX ops that ONNX Runtime or the reference evaluator implements
and whose result the operator text (onnx.defs.get_schema(op).doc) fixes: QLinearMatMul,
QLinearConv, TfIdfVectorizer, RoiAlign, DeformConv, CausalConvWithState, LinearAttention, and
Multinomial at distributions with one possible outcome.
String pools, float8 types and a per-row QLinearMatMul a are not drawn: the IR has no string or
float8 dtype, and ORT refuses a per-row a (as its MatMulInteger does).

Truths are written from the operator texts in float64 (torch), never from an evaluator.
Scales of the quantized ops are powers of two, as in fuzzer.ops.motifs_ort_qdq: a kernel's
requantization multiplier (a_scale * b_scale / y_scale) is then exact in float32 and float16, so
a value on a half step rounds the same in the kernel as in the float64 truth.

Not here, and why (issue 12, item 5):
- MelWeightMatrix: the text fixes the mel formula and the triangles' peak of 1, but not where a
  triangle's edges land on the discrete DFT bins (see fuzzer.ops.onnx_signal).
- MaxRoiPool: the text does not say how a RoI's corners are rounded to cells, whether x2/y2 are
  inclusive, or how a RoI is cut into pooled_shape bins.
- ImageDecoder: its input is an encoded image (JPEG, PNG, ...), and ORT 1.32 has no kernel.
"""
from __future__ import annotations

import numpy as np

from fuzzer.choices import rng_for
from fuzzer.errors import Rejected
from fuzzer.ir import DType, TensorType
from fuzzer.ops.base import DrawsWithNotes, OpSpec, py
from fuzzer.ops.dtypes import HALF_SINGLE_DOUBLE
from fuzzer.ops.lowering import cast, close, compute_dtype, onnx_elem_type, target
from fuzzer.ops.onnx_nn import ConvInteger
from fuzzer.ops.onnx_quant import Q8, RANGE

#: zero points: the usual ones, an odd one (a half step plus an odd zero point is where rounding
#: x / y_scale before adding the zero point, as the text says, differs from rounding the sum)
ZEROS = {DType.uint8: (0, 128, 3, 127, 200), DType.int8: (0, -10, 5, -1, 77)}
#: input scales, powers of two (see the module docstring)
SCALES = (2.0 ** -6, 2.0 ** -5, 2.0 ** -4, 2.0 ** -3, 0.25, 0.5, 1.0)
#: scale dtypes: float32 at every version, float16 and bfloat16 from opset 21 (QLinearMatMul)
SCALE_DTYPES = ("float32", "float16", "bfloat16")


def _requant(acc: str, mult: str, yz: int, qt: DType) -> str:
    """Source text of saturate(round_half_even(acc * mult) + yz) as qt: the text rounds
    x / y_scale, then adds the zero point (torch.round rounds half to even)."""
    lo, hi = RANGE[qt]
    return f"torch.clamp(torch.round({acc}.double() * {mult}) + {yz}, {lo}, {hi}).to(torch.{qt.value})"


def _vec(values) -> str:
    return f"torch.tensor({py([float(v) for v in values])}, dtype=torch.float64)"


def _param(ctx, value, dtype: DType, shape: tuple[int, ...] | None = None) -> str:
    """An initializer in exactly `dtype` (a scale stays float32/float16 in truth mode too)."""
    a = np.asarray(value, dtype=dtype.numpy)
    return ctx.const(a if shape is None else a.reshape(shape), exact=True)


class QLinearMatMul(OpSpec):
    """y = saturate(round(((a - a_zp) a_scale) @ ((b - b_zp) b_scale) / y_scale) + y_zp), a uint8
    or int8 (rank 2 or 3), b of either 8-bit type (K, N), y of either; b's scale and zero point
    per tensor or per column ((N,) or (1, N)); scales float32, or float16/bfloat16 (opset 21).
    a is per tensor only: ORT's kernel refuses a per-row a (as MatMulInteger's, in onnx_quant)."""

    name, onnx_ops, exportable, min_rank, max_rank = "QLinearMatMul", ("QLinearMatMul",), False, 2, 3
    dtypes = frozenset(Q8)

    def operands(self, b, x):
        c = b.choices
        k = x.type.shape[-1]
        bt = c.choice(Q8)
        w = b.operand(TensorType(bt, (k, c.integer(1, 5))), weight=c.boolean(0.5))
        return [x, w]

    def sample_attrs(self, b, types):
        c = b.choices
        at, bt, n = types[0].dtype, types[1].dtype, types[1].shape[-1]
        yt = c.choice(Q8) if c.boolean(0.25) else at
        per_col = c.choice([None, None, "vector", "row"])
        count = n if per_col else 1
        a_scale = c.choice(SCALES)
        b_scales = [c.choice(SCALES) for _ in range(count)]
        return {"a_scale": a_scale, "a_zp": c.choice(ZEROS[at]),
                "b_scale": b_scales, "b_zp": [c.choice(ZEROS[bt]) for _ in range(count)], "per_col": per_col,
                # y_scale = a_scale * 2^j: the multiplier a_scale * b_scale / y_scale = b_scale / 2^j
                # is a power of two from 2^-9 to 2^6, so results both spread over the range and saturate
                "y_scale": a_scale * 2.0 ** c.integer(-6, 3), "y_zp": c.choice(ZEROS[yt]), "ytype": yt.value,
                "scale_dtype": c.choice(SCALE_DTYPES) if c.boolean(0.3) else "float32"}

    def infer(self, types, attrs):
        a, w = types
        return [TensorType(DType(attrs["ytype"]), a.shape[:-1] + (w.shape[-1],))]

    def opset_floor(self, types, attrs):
        # the minimizer drops an attribute to try the op's default: float32 scales
        return 21 if attrs.get("scale_dtype", "float32") != "float32" else self.first_opset

    def torch(self, ctx, attrs, a):
        bs, bz = attrs["b_scale"], attrs["b_zp"]
        b_zp = f"torch.tensor({py(bz)})" if attrs["per_col"] else str(bz[0])
        acc = f"torch.matmul({a[0]}.long() - {attrs['a_zp']}, {a[1]}.long() - {b_zp})"
        b_scale = _vec(bs) if attrs["per_col"] else py(bs[0])
        mult = f"({py(attrs['a_scale'])} * {b_scale} / {py(attrs['y_scale'])})"
        return _requant(acc, mult, attrs["y_zp"], DType(attrs["ytype"]))

    def onnx(self, ctx, attrs, a, outs):
        sd = DType(attrs.get("scale_dtype", "float32"))
        at, bt, yt = ctx.types[a[0]].dtype, ctx.types[a[1]].dtype, DType(attrs["ytype"])
        shape = {None: None, "vector": (len(attrs["b_scale"]),), "row": (1, len(attrs["b_scale"]))}[attrs["per_col"]]
        b_scale = attrs["b_scale"] if shape else attrs["b_scale"][0]
        b_zp = attrs["b_zp"] if shape else attrs["b_zp"][0]
        ctx.node("QLinearMatMul", [a[0], _param(ctx, attrs["a_scale"], sd), _param(ctx, attrs["a_zp"], at),
                                   a[1], _param(ctx, b_scale, sd, shape), _param(ctx, b_zp, bt, shape),
                                   _param(ctx, attrs["y_scale"], sd), _param(ctx, attrs["y_zp"], yt)], outs)


class QLinearConv(ConvInteger):
    """y = saturate(round((conv(x - x_zp, w - w_zp) + B) x_scale w_scale / y_scale) + y_zp): x
    uint8 or int8 (1-D or 2-D images), w a constant of either 8-bit type with its scale and zero
    point per tensor or per output channel, y of either type, the int32 bias B omitted or given;
    strides, dilations, pads or auto_pad, group (ConvInteger's draw). The text quantizes as
    QuantizeLinear does (round half to even, then the zero point); padding is with real 0, that is
    with x's zero point, as a convolution of the dequantized x."""

    name, onnx_ops = "QLinearConv", ("QLinearConv",)
    dtypes = frozenset(Q8)

    def draw_operands(self, b, x, note):
        c = b.choices
        t = x.type
        cin, spatial = t.shape[1], t.shape[2:]
        group = c.choice([g for g in (1, 2, 3) if cin % g == 0])
        cout = group * c.integer(1, 2)
        kernel = [c.integer(1, min(3, n)) for n in spatial]
        # mostly x's own type: ORT has kernels for uint8 x with either w, int8 x with int8 w only
        wt = t.dtype if c.boolean(0.7) else c.choice(Q8)
        lo, hi = RANGE[wt]
        rng = rng_for(c)
        ops = [x, b.int_const(rng.integers(lo, hi + 1, size=(cout, cin // group, *kernel)), wt)]
        if c.boolean(0.5):
            ops.append(b.int_const(rng.integers(-600, 601, size=(cout,)), DType.int32))
        note.group, note.kernel = group, kernel
        note.w_zp = c.choice(["scalar", "channel"])
        channels = cout if note.w_zp == "channel" else 1
        yt = c.choice(Q8) if c.boolean(0.25) else t.dtype
        x_scale = c.choice(SCALES)
        note.q = {"x_scale": x_scale, "x_zp": c.choice(ZEROS[t.dtype]),
                  "w_scale": [c.choice(SCALES) for _ in range(channels)],
                  "w_zps": [c.choice(ZEROS[wt]) for _ in range(channels)],
                  # the multiplier x_scale * w_scale / y_scale = w_scale / 2^j, 2^-16 to 2^2: a
                  # sum of up to 3 * 9 products of 8-bit values lands inside the range or saturates
                  "y_scale": x_scale * 2.0 ** c.integer(-2, 10), "y_zp": c.choice(ZEROS[yt]), "ytype": yt.value}
        return ops

    def draw_attrs(self, b, types, note):
        # ConvInteger's geometry, its "w_zp" saying "scalar" or "channel"; the values in "w_zps"
        return {**super().draw_attrs(b, types, note), **note.q}

    def infer(self, types, attrs):
        x, w = types[0], types[1]
        return [TensorType(DType(attrs["ytype"]), (x.shape[0], w.shape[0], *attrs["out"]))]

    def torch(self, ctx, attrs, a):
        nd = len(attrs["kernel"])
        along = f".reshape(-1, {', '.join(['1'] * nd)})"
        per_channel = attrs["w_zp"] == "channel"
        # a per-channel zero point along w's first dim (w has two more dims than the spatial ones)
        w_zp = f"torch.tensor({py(attrs['w_zps'])}).reshape(-1, {', '.join(['1'] * (nd + 1))})" if per_channel \
            else str(attrs["w_zps"][0])
        x = f"({a[0]}.long() - {attrs['x_zp']}).double()"
        w = f"({a[1]}.long() - {w_zp}).double()"
        acc = self.conv_source(x, w, attrs)
        if len(a) == 3:
            acc = f"({acc} + {a[2]}.double(){along})"
        w_scale = f"{_vec(attrs['w_scale'])}{along}" if per_channel else py(attrs["w_scale"][0])
        mult = f"({py(attrs['x_scale'])} * {w_scale} / {py(attrs['y_scale'])})"
        return _requant(acc, mult, attrs["y_zp"], DType(attrs["ytype"]))

    def onnx(self, ctx, attrs, a, outs):
        kw = self.conv_attributes(attrs)
        xt, wt, yt = ctx.types[a[0]].dtype, ctx.types[a[1]].dtype, DType(attrs["ytype"])
        shape = (len(attrs["w_scale"]),) if attrs["w_zp"] == "channel" else None
        w_scale = attrs["w_scale"] if shape else attrs["w_scale"][0]
        w_zp = attrs["w_zps"] if shape else attrs["w_zps"][0]
        f32 = DType.float32
        ctx.node("QLinearConv", [a[0], _param(ctx, attrs["x_scale"], f32), _param(ctx, attrs["x_zp"], xt),
                                 a[1], _param(ctx, w_scale, f32, shape), _param(ctx, w_zp, wt, shape),
                                 _param(ctx, attrs["y_scale"], f32), _param(ctx, attrs["y_zp"], yt), *a[2:]], outs, **kw)


# -- TfIdfVectorizer ------------------------------------------------------------------------
#: the n-gram lengths a pool holds. ngram_counts is read as element offsets into the pool by its
#: CSR remark but as n-gram offsets by its 0/17/36 example; the two agree exactly when no group
#: of 2-grams or longer is followed by another group, as in each of these
POOL_LENGTHS = ((1,), (2,), (3,), (1, 2), (1, 3))
#: a pool's and the input's values: a small window, so that n-grams of the input match the pool
TOKENS = (-1, 4)


def tfidf(x, pool: list, indexes: list, lo: int, hi: int, skips: int, mode: str, weights, dtype):
    """TfIdfVectorizer of the int tensor x (1-D, or 2-D: one row each), from its operator text.

    An n-gram is the tokens at positions i, i + d, ..., i + (n - 1) d, with d - 1 in [0, skips]
    skipped tokens between neighbours (a 1-gram is one position, counted once); pool[j] (a
    tuple) is counted when lo <= n <= hi and lands at coordinate indexes[j]. TF: the count;
    IDF: weight if the count is positive; TFIDF: count * weight (weights default to ones)."""
    import torch

    rows = x.reshape(-1, x.shape[-1]).tolist()
    out = torch.zeros((len(rows), max(indexes) + 1), dtype=torch.float64)
    for r, row in enumerate(rows):
        for j, gram in enumerate(pool):
            n = len(gram)
            if not lo <= n <= hi:
                continue
            steps = [1] if n == 1 else range(1, skips + 2)
            count = sum(all(row[i + k * d] == gram[k] for k in range(n))
                        for d in steps for i in range(len(row) - (n - 1) * d))
            w = 1.0 if weights is None else weights[j]
            out[r, indexes[j]] = {"TF": count, "IDF": w * (count > 0), "TFIDF": w * count}[mode]
    return out.reshape(*x.shape[:-1], -1).to(dtype)


class TfIdfVectorizer(OpSpec):
    """The n-gram counts of an int32/int64 sequence (1-D) or batch of sequences (2-D) over an int64
    pool of 1-, 2- and 3-grams (POOL_LENGTHS), min/max_gram_length, max_skip_count 0-3, modes TF,
    IDF and TFIDF with weights given or omitted, ngram_indexes a shuffle of the pool's n-grams
    into an output that may have unused coordinates. String pools are not drawn (no string dtype
    in the IR)."""

    name, onnx_ops, exportable, min_rank, max_rank = "TfIdfVectorizer", ("TfIdfVectorizer",), False, 1, 2
    dtypes = frozenset({DType.int32, DType.int64})
    domain = TOKENS

    def sample_attrs(self, b, types):
        c = b.choices
        lengths = c.choice(POOL_LENGTHS)
        pool: list[tuple[int, ...]] = []
        for n in lengths:
            pool.extend(sorted({tuple(c.integer(*TOKENS) for _ in range(n)) for _ in range(c.integer(1, 4))}))
        # where the n-grams start: the number of pool elements in shorter n-grams
        counts = [sum(len(g) for g in pool if len(g) < n) for n in range(1, max(lengths) + 1)]
        lo = c.integer(1, max(lengths))
        hi = c.integer(lo, max(lengths))
        slots = len(pool) + c.integer(0, 2)
        free = list(range(slots))
        indexes = [free.pop(c.integer(0, len(free) - 1)) for _ in pool]
        mode = c.choice(["TF", "IDF", "TFIDF"])
        weights = [c.integer(1, 12) / 4 for _ in pool] if c.boolean(0.6) else None
        return {"pool": [list(g) for g in pool], "counts": counts, "indexes": indexes, "min": lo, "max": hi,
                "skips": c.integer(0, 3), "mode": mode, "weights": weights}

    def infer(self, types, attrs):
        x = types[0]
        return [TensorType(DType.float32, x.shape[:-1] + (max(attrs["indexes"]) + 1,))]

    def torch(self, ctx, attrs, a):
        pool = [tuple(g) for g in attrs["pool"]]
        return (f"__import__('fuzzer.ops.onnx_rest', fromlist=['tfidf']).tfidf({a[0]}, {py(pool)}, "
                f"{py(attrs['indexes'])}, {attrs['min']}, {attrs['max']}, {attrs['skips']}, {py(attrs['mode'])}, "
                f"{py(attrs['weights'])}, {ctx.dtype(DType.float32)})")

    def onnx(self, ctx, attrs, a, outs):
        kw = dict(mode=attrs["mode"], min_gram_length=attrs["min"], max_gram_length=attrs["max"],
                  max_skip_count=attrs["skips"], ngram_counts=attrs["counts"], ngram_indexes=attrs["indexes"],
                  pool_int64s=[t for g in attrs["pool"] for t in g])
        if attrs["weights"] is not None:
            kw["weights"] = attrs["weights"]
        if not ctx.truth:
            ctx.node("TfIdfVectorizer", a, outs, **kw)
            return
        # the output is float32 whatever the model's float rendering (truth mode: double)
        y = ctx.node("TfIdfVectorizer", a, 1, **kw)[0]
        ctx.node("Cast", [y], outs, to=ctx.elem(DType.float32))


# -- RoiAlign --------------------------------------------------------------------------------
def roi_align(x, rois: list, batch: list, out_h: int, out_w: int, ratio: int, scale: float, offset: float, dtype):
    """RoiAlign (avg) of x (N, C, H, W), from its text and the Mask R-CNN paper it cites: a RoI
    [x1, y1, x2, y2] becomes [x1 scale - offset, ..., y2 scale - offset] (offset 0.5 for
    half_pixel, 0 for output_half_pixel), is cut into out_h x out_w bins, and each bin averages
    the bilinear interpolations of x at the centres of a g_h x g_w grid of equal cells, g =
    ratio, or ceil(roi size / output size) when ratio is 0. The draw keeps every sample point
    inside [0, H - 1] x [0, W - 1], where bilinear interpolation needs no border rule."""
    import math

    import torch

    h, w = x.shape[2], x.shape[3]
    x = x.double()
    out = torch.zeros((len(rois), x.shape[1], out_h, out_w), dtype=torch.float64)

    def sample(img, y, xx):
        y0, x0 = math.floor(y), math.floor(xx)
        y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
        ly, lx = y - y0, xx - x0
        return ((1 - ly) * (1 - lx) * img[:, y0, x0] + (1 - ly) * lx * img[:, y0, x1]
                + ly * (1 - lx) * img[:, y1, x0] + ly * lx * img[:, y1, x1])

    for r, (roi, n) in enumerate(zip(rois, batch)):
        sx, sy, ex, ey = (v * scale - offset for v in roi)
        bin_h, bin_w = (ey - sy) / out_h, (ex - sx) / out_w
        gh = ratio or math.ceil((ey - sy) / out_h)
        gw = ratio or math.ceil((ex - sx) / out_w)
        for i in range(out_h):
            for j in range(out_w):
                acc = torch.zeros(x.shape[1], dtype=torch.float64)
                for a in range(gh):
                    for b in range(gw):
                        acc += sample(x[n], sy + i * bin_h + (a + 0.5) * bin_h / gh, sx + j * bin_w + (b + 0.5) * bin_w / gw)
                out[r, :, i, j] = acc / (gh * gw)
    return out.to(dtype)


class RoiAlign(OpSpec):
    """RoiAlign in avg mode over 1-3 RoIs (constants, with their int64 batch indices), output
    1-3 x 1-3, sampling_ratio 0 (adaptive) to 3, spatial_scale a power of two,
    coordinate_transformation_mode half_pixel (opset 16) or output_half_pixel (the only
    behaviour before 16), spelled or left to its default. RoIs are at least one cell wide and
    high after the transform, and inside [0, H - 1] x [0, W - 1], where the text says everything
    (no border rule, no minimum RoI size). Not drawn: max mode, which ORT computes as the max of
    bilinear terms, not of samples (onnxruntime#6146, known and contested)."""

    name, onnx_ops, exportable, min_rank, max_rank = "RoiAlign", ("RoiAlign",), False, 4, 4
    dtypes = frozenset(HALF_SINGLE_DOUBLE | {DType.bfloat16})

    def accepts(self, t):
        return super().accepts(t) and t.shape[2] >= 2 and t.shape[3] >= 2

    def sample_attrs(self, b, types):
        c = b.choices
        n, _, h, w = types[0].shape
        ctm = c.choice(["half_pixel", "output_half_pixel"])
        offset = 0.5 if ctm == "half_pixel" else 0.0
        scale = c.choice([1.0, 0.5, 2.0, 0.25])

        def span(size):
            # quarter-cell corners in the transformed frame, at least 1 apart, inside [0, size - 1]
            q = 4 * (size - 1)
            start = c.integer(0, q - 4)
            return start / 4, c.integer(start + 4, q) / 4

        rois = []
        for _ in range(c.integer(1, 3)):
            (y1, y2), (x1, x2) = span(h), span(w)
            rois.append([(v + offset) / scale for v in (x1, y1, x2, y2)])
        return {"rois": rois, "batch": [c.integer(0, n - 1) for _ in rois], "out_h": c.integer(1, 3),
                "out_w": c.integer(1, 3), "ratio": c.integer(0, 3), "scale": scale, "ctm": ctm,
                "spell": c.boolean(0.5)}

    def requires(self, types, attrs):
        n, _, h, w = types[0].shape
        offset = 0.5 if attrs["ctm"] == "half_pixel" else 0.0
        inside = all(0 <= v * attrs["scale"] - offset <= size - 1
                     for roi in attrs["rois"] for v, size in zip(roi, (w, h, w, h)))
        if not inside or max(attrs["batch"]) >= n:
            return "RoiAlign: the RoIs lie inside the feature map, their batch indices below N"
        return None

    def opset_floor(self, types, attrs):
        if types[0].dtype == DType.bfloat16:
            return 22
        return 16 if attrs["ctm"] == "half_pixel" else self.first_opset

    def infer(self, types, attrs):
        x = types[0]
        return [x.with_shape((len(attrs["rois"]), x.shape[1], attrs["out_h"], attrs["out_w"]))]

    def torch(self, ctx, attrs, a):
        offset = 0.5 if attrs["ctm"] == "half_pixel" else 0.0
        return (f"__import__('fuzzer.ops.onnx_rest', fromlist=['roi_align']).roi_align({a[0]}, {py(attrs['rois'])}, "
                f"{py(attrs['batch'])}, {attrs['out_h']}, {attrs['out_w']}, {attrs['ratio']}, {py(attrs['scale'])}, "
                f"{py(offset)}, {a[0]}.dtype)")

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        kw = {"output_height": attrs["out_h"], "output_width": attrs["out_w"], "sampling_ratio": attrs["ratio"],
              "spatial_scale": attrs["scale"], "mode": "avg" if attrs["spell"] else None}
        if ctx.opset >= 16 and (attrs["spell"] or attrs["ctm"] != "half_pixel"):
            kw["coordinate_transformation_mode"] = attrs["ctm"]
        rois = ctx.const(np.asarray(attrs["rois"], dtype=np.float64), x.dtype)
        batch = ctx.const(np.asarray(attrs["batch"], dtype=np.int64))
        ctx.node("RoiAlign", [a[0], rois, batch], outs, **kw)


# -- opset 27's recurrent-model ops --------------------------------------------------------
class CausalConvWithState(DrawsWithNotes, OpSpec):
    """The causal depthwise conv of x (batch, channels, length) with weight (channels, 1, k),
    k 2-4, after past_state (batch, channels, k - 1; omitted: zeros); bias omitted or given;
    activation none, silu or swish (the same x sigmoid(x)), spelled or left to its default.
    Outputs: y (x's shape) and present_state, the last k - 1 steps of [past_state, x]. k = 1
    (an empty state) is not drawn: the IR holds no empty tensor."""

    name, onnx_ops, exportable, min_rank, max_rank = "CausalConvWithState", ("CausalConvWithState",), False, 3, 3
    dtypes = frozenset({DType.float32, DType.float16, DType.bfloat16})

    def draw_operands(self, b, x, note):
        c = b.choices
        batch, ch, _ = x.type.shape
        k = c.integer(2, 4)
        ops = [x, b.operand(TensorType(x.type.dtype, (ch, 1, k)), weight=c.boolean(0.7))]
        note.bias, note.past = c.boolean(0.5), c.boolean(0.6)
        if note.bias:
            ops.append(b.operand(TensorType(x.type.dtype, (ch,)), weight=c.boolean(0.7)))
        if note.past:
            ops.append(b.operand(TensorType(x.type.dtype, (batch, ch, k - 1))))
        return ops

    def draw_attrs(self, b, types, note):
        return {"bias": note.bias, "past": note.past, "activation": b.choices.choice(["none", "silu", "swish", None])}

    def requires(self, types, attrs):
        x, w = types[0], types[1]
        if w.shape[:2] != (x.shape[1], 1) or (attrs["bias"] and types[2].shape != (x.shape[1],)):
            return "CausalConvWithState: weight (channels, 1, k) and bias (channels,)"
        if attrs["past"] and types[-1].shape != (x.shape[0], x.shape[1], w.shape[2] - 1):
            return "CausalConvWithState: past_state (batch, channels, k - 1)"
        return None

    def infer(self, types, attrs):
        x, w = types[0], types[1]
        return [x, x.with_shape((x.shape[0], x.shape[1], w.shape[2] - 1))]

    def torch(self, ctx, attrs, a):
        x, w = a[0], a[1]
        rest = list(a[2:])
        bias = rest.pop(0) if attrs["bias"] else None
        past = rest.pop(0) if attrs["past"] else f"{x}.new_zeros({x}.shape[0], {x}.shape[1], {w}.shape[2] - 1)"
        conv = f"sum({w}[:, 0, j].reshape(1, -1, 1) * p[:, :, j:j + {x}.shape[2]] for j in range({w}.shape[2]))"
        if bias:
            conv = f"({conv} + {bias}.reshape(1, -1, 1))"
        act = "(lambda y: y * torch.sigmoid(y))" if attrs["activation"] in ("silu", "swish") else "(lambda y: y)"
        return f"(lambda p: ({act}({conv}), p[:, :, p.shape[2] - ({w}.shape[2] - 1):]))(torch.cat([{past}, {x}], 2))"

    def onnx(self, ctx, attrs, a, outs):
        rest = list(a[2:])
        bias = rest.pop(0) if attrs["bias"] else ""
        past = rest.pop(0) if attrs["past"] else ""
        ins = [a[0], a[1], bias, past]
        while ins[-1] == "":
            ins.pop()
        ctx.widen("CausalConvWithState", ins, outs, activation=attrs["activation"])


def linear_attention(q, k, v, past, decay, beta, hq: int, hkv: int, rule: str, scale: float, out_dtype, state_dtype):
    """LinearAttention from its text, step by step in float64: per KV head a state S (d_k, d_v);
    gated rules first scale S by exp(g_t) (per key dim, or one per head); then S += k_t v_t^T
    (linear, gated) or S += beta_t k_t (v_t - S^T k_t)^T (delta, gated_delta, S the decayed one);
    query head h reads KV head h // (hq / hkv): o_t = scale q_t^T S."""
    import torch

    b, t_len, _ = q.shape
    dk = q.shape[2] // hq
    dv = v.shape[2] // hkv
    q = q.double().reshape(b, t_len, hq, dk)
    k = k.double().reshape(b, t_len, hkv, dk)
    v = v.double().reshape(b, t_len, hkv, dv)
    s = past.double().clone() if past is not None else torch.zeros((b, hkv, dk, dv), dtype=torch.float64)
    outs = []
    for t in range(t_len):
        if rule in ("gated", "gated_delta"):
            g = decay[:, t].double().reshape(b, hkv, -1, 1)  # (b, hkv, dk or 1, 1)
            s = torch.exp(g) * s
        kt, vt = k[:, t], v[:, t]
        if rule in ("linear", "gated"):
            s = s + kt[..., :, None] * vt[..., None, :]
        else:
            bt = beta[:, t].double().reshape(b, -1, 1, 1)  # (b, hkv or 1, 1, 1)
            err = vt - torch.einsum("bhkv,bhk->bhv", s, kt)
            s = s + bt * kt[..., :, None] * err[..., None, :]
        rep = s.repeat_interleave(hq // hkv, dim=1)
        outs.append(scale * torch.einsum("bhk,bhkv->bhv", q[:, t], rep).reshape(b, hq * dv))
    return torch.stack(outs, 1).to(out_dtype), s.to(state_dtype)


class LinearAttention(DrawsWithNotes, OpSpec):
    """Linear attention (opset 27) of query (B, T, H_q d_k) over key (B, T, H_kv d_k) and value
    (B, T, H_kv d_v), H_q a multiple of H_kv (GQA, MQA, MHA); update_rule linear, gated, delta or
    gated_delta (spelled, or the default gated_delta); past_state omitted or given, of the same or
    another float type; decay per key dim or per head (gated rules), beta per head or one
    (delta rules), in (0, 1) as a sigmoid's output; scale omitted, 0 (both 1/sqrt(d_k)) or given;
    chunk_size omitted or 1-4 (a hint that must not change the result). Keys lie in [-1, 1]."""

    name, onnx_ops, exportable, min_rank, max_rank = "LinearAttention", ("LinearAttention",), False, 3, 3
    dtypes = frozenset({DType.float32, DType.float16, DType.bfloat16})
    domain = (-2.0, 2.0)

    def draw_operands(self, b, x, note):
        c = b.choices
        batch, steps, width = x.type.shape
        dt = x.type.dtype
        hq = c.choice([h for h in range(1, width + 1) if width % h == 0 and h <= 4])
        dk = width // hq
        hkv = c.choice([h for h in range(1, hq + 1) if hq % h == 0])
        dv = c.integer(1, 3)
        rule = c.choice(["linear", "gated", "delta", "gated_delta"])
        ops = [x, b.operand(TensorType(dt, (batch, steps, hkv * dk)), domain=(-1.0, 1.0)),
               b.operand(TensorType(dt, (batch, steps, hkv * dv)), domain=(-2.0, 2.0))]
        note.past = c.boolean(0.5)
        if note.past:
            st = c.choice(sorted(self.dtypes, key=lambda d: d.value)) if c.boolean(0.3) else dt
            ops.append(b.operand(TensorType(st, (batch, hkv, dk, dv)), domain=(-1.0, 1.0)))
        note.decay = rule in ("gated", "gated_delta")
        if note.decay:
            ops.append(b.operand(TensorType(dt, (batch, steps, hkv * dk if c.boolean(0.5) else hkv)), domain=(-2.0, 0.0)))
        note.beta = rule in ("delta", "gated_delta")
        if note.beta:
            ops.append(b.operand(TensorType(dt, (batch, steps, hkv if c.boolean(0.6) else 1)), domain=(0.05, 0.95)))
        note.hq, note.hkv, note.rule = hq, hkv, rule
        return ops

    def draw_attrs(self, b, types, note):
        c = b.choices
        return {"hq": note.hq, "hkv": note.hkv, "rule": note.rule, "spell_rule": note.rule != "gated_delta" or c.boolean(0.5),
                "past": note.past, "decay": note.decay, "beta": note.beta,
                "scale": c.choice([None, 0.0, 0.5, 0.25, 1.0]), "chunk": c.choice([None, 1, 2, 4])}

    def requires(self, types, attrs):
        q, k, v = types[:3]
        if q.shape[2] % attrs["hq"] or k.shape[2] * attrs["hq"] != q.shape[2] * attrs["hkv"] or v.shape[2] % attrs["hkv"]:
            return "LinearAttention: packed head widths must agree with the head counts"
        if not (q.shape[:2] == k.shape[:2] == v.shape[:2]):
            return "LinearAttention: query, key and value share batch and steps"
        dk, dv, hkv = q.shape[2] // attrs["hq"], v.shape[2] // attrs["hkv"], attrs["hkv"]
        past, decay, beta = self._optional(attrs, types)
        if past is not None and past.shape != (q.shape[0], hkv, dk, dv):
            return "LinearAttention: past_state (B, H_kv, d_k, d_v)"
        if decay is not None and decay.shape not in ((*q.shape[:2], hkv * dk), (*q.shape[:2], hkv)):
            return "LinearAttention: decay (B, T, H_kv d_k) or (B, T, H_kv)"
        if beta is not None and beta.shape not in ((*q.shape[:2], hkv), (*q.shape[:2], 1)):
            return "LinearAttention: beta (B, T, H_kv) or (B, T, 1)"
        return None

    def infer(self, types, attrs):
        q, v = types[0], types[2]
        dk, dv = q.shape[2] // attrs["hq"], v.shape[2] // attrs["hkv"]
        st = types[3].dtype if attrs["past"] else q.dtype
        return [q.with_shape((q.shape[0], q.shape[1], attrs["hq"] * dv)),
                TensorType(st, (q.shape[0], attrs["hkv"], dk, dv))]

    def _optional(self, attrs, a):
        rest = list(a[3:])
        return [rest.pop(0) if attrs[k] else None for k in ("past", "decay", "beta")]

    def torch(self, ctx, attrs, a):
        past, decay, beta = self._optional(attrs, a)
        dk = f"({a[0]}.shape[2] // {attrs['hq']})"
        scale = py(attrs["scale"]) if attrs["scale"] else f"{dk} ** -0.5"
        return (f"__import__('fuzzer.ops.onnx_rest', fromlist=['linear_attention']).linear_attention({a[0]}, {a[1]}, "
                f"{a[2]}, {past}, {decay}, {beta}, {attrs['hq']}, {attrs['hkv']}, {py(attrs['rule'])}, {scale}, "
                f"{a[0]}.dtype, {past + '.dtype' if past else a[0] + '.dtype'})")

    def onnx(self, ctx, attrs, a, outs):
        t = ctx.types[a[0]].dtype
        s = ctx.types[a[3]].dtype if attrs["past"] else t
        ct = compute_dtype(ctx, t, "LinearAttention")
        cs = compute_dtype(ctx, s, "LinearAttention", index=3)
        past, decay, beta = self._optional(attrs, a)
        ins = [cast(ctx, n, t, ct) for n in a[:3]]
        ins += [cast(ctx, past, s, cs) if past else ""]
        ins += [cast(ctx, n, t, ct) if n else "" for n in (decay, beta)]
        while ins[-1] == "":
            ins.pop()
        y, state = target(ctx, ct, t, outs[0]), target(ctx, cs, s, outs[1])
        ctx.node("LinearAttention", ins, [y, state], q_num_heads=attrs["hq"], kv_num_heads=attrs["hkv"],
                 update_rule=attrs["rule"] if attrs["spell_rule"] else None, scale=attrs["scale"],
                 chunk_size=attrs["chunk"])
        close(ctx, y, ct, t, outs[0])
        close(ctx, state, cs, s, outs[1])


# -- DeformConv ------------------------------------------------------------------------------
def deform_offsets(seed: int, n: int, groups: int, kernel, out, strides, dilations, padded) -> np.ndarray:
    """DeformConv's offsets (n, groups * kH * kW * 2, oH, oW), quarter steps in [-2, 2] drawn from
    seed, the pair of each kernel tap in axis order (H, then W). An offset that would put its
    sampling location strictly between -1 and 0 or between size - 1 and size of the padded input
    is rounded to a whole step: there the text (outside the padded input: zero) and the usual
    kernels (a partial bilinear weight) part ways, and no such location is drawn."""
    kh, kw = kernel
    oh, ow = out
    off = np.random.default_rng(seed).integers(-8, 9, size=(n, groups, kh, kw, 2, oh, ow)) / 4
    base = [np.arange(o)[:, None] * s + np.arange(k)[None, :] * d  # (out, k): the undeformed location
            for o, s, k, d in zip(out, strides, kernel, dilations)]
    loc_h = base[0].T[None, None, :, None, :, None] + off[:, :, :, :, 0]  # (n, g, kh, kw, oh, ow)
    loc_w = base[1].T[None, None, None, :, None, :] + off[:, :, :, :, 1]
    for axis, loc, size in ((0, loc_h, padded[0]), (1, loc_w, padded[1])):
        between = ((loc > -1) & (loc < 0)) | ((loc > size - 1) & (loc < size))
        off[:, :, :, :, axis][between] = np.round(off[:, :, :, :, axis][between])
    return off.reshape(n, groups * kh * kw * 2, oh, ow)


def deform_conv(x, w, bias, mask, seed: int, groups: int, offset_groups: int, strides, pads, dilations, dtype):
    """DeformConv (2-D) from its text: tap (i, j) of output (p, q) samples x, zero-padded by pads,
    at (p s_h + i d_h + dy, q s_w + j d_w + dx), bilinearly, 0 outside the padded input, times the
    mask; channel c takes the offsets and mask of offset group c // (C / offset_group); then a
    grouped convolution of those samples with w, plus the bias."""
    import torch

    n, c = x.shape[:2]
    oc, _, kh, kw = w.shape
    xp = torch.nn.functional.pad(x.double(), (pads[1], pads[3], pads[0], pads[2]))
    hp, wp = xp.shape[2:]
    oh = (hp - (kh - 1) * dilations[0] - 1) // strides[0] + 1
    ow = (wp - (kw - 1) * dilations[1] - 1) // strides[1] + 1
    off = torch.from_numpy(deform_offsets(seed, n, offset_groups, (kh, kw), (oh, ow), strides, dilations, (hp, wp)))
    off = off.reshape(n, offset_groups, kh, kw, 2, oh, ow)
    m = mask.double().reshape(n, offset_groups, kh, kw, oh, ow) if mask is not None else None
    per = c // offset_groups
    cols = torch.zeros((n, c, kh, kw, oh, ow), dtype=torch.float64)

    def at(img, yy, xx):  # img (channels, hp, wp): 0 outside the padded input
        if yy < 0 or yy > hp - 1 or xx < 0 or xx > wp - 1:
            return torch.zeros(img.shape[0], dtype=torch.float64)
        y0, x0 = int(np.floor(yy)), int(np.floor(xx))
        y1, x1 = min(y0 + 1, hp - 1), min(x0 + 1, wp - 1)
        ly, lx = yy - y0, xx - x0
        return ((1 - ly) * (1 - lx) * img[:, y0, x0] + (1 - ly) * lx * img[:, y0, x1]
                + ly * (1 - lx) * img[:, y1, x0] + ly * lx * img[:, y1, x1])

    for b in range(n):
        for g in range(offset_groups):
            img = xp[b, g * per:(g + 1) * per]
            for i in range(kh):
                for j in range(kw):
                    for p in range(oh):
                        for q in range(ow):
                            dy, dx = off[b, g, i, j, 0, p, q].item(), off[b, g, i, j, 1, p, q].item()
                            v = at(img, p * strides[0] + i * dilations[0] + dy, q * strides[1] + j * dilations[1] + dx)
                            cols[b, g * per:(g + 1) * per, i, j, p, q] = v * (m[b, g, i, j, p, q] if m is not None else 1)
    cg, og = c // groups, oc // groups
    out = torch.cat([torch.einsum("bckhpq,ockh->bopq", cols[:, k * cg:(k + 1) * cg], w.double()[k * og:(k + 1) * og])
                     for k in range(groups)], 1)
    if bias is not None:
        out = out + bias.double().reshape(1, -1, 1, 1)
    return out.to(dtype)


class DeformConv(DrawsWithNotes, OpSpec):
    """2-D deformable convolution (opset 19; bfloat16 from 22): weight (oC, C / group, kH, kW),
    offsets a constant (deform_offsets: drawn from a seed, so the graph stays small), bias and
    mask omitted or given, strides, pads, dilations, group and offset_group, kernel_shape spelled
    or inferred. The text does not order a tap's two offsets: they are read in axis order
    (H, then W), as its N-D shape (k1 ... kn * n) suggests."""

    name, onnx_ops, exportable, min_rank, max_rank = "DeformConv", ("DeformConv",), False, 4, 4
    dtypes = frozenset(HALF_SINGLE_DOUBLE | {DType.bfloat16})

    def draw_operands(self, b, x, note):
        c = b.choices
        n, ch, h, w = x.type.shape
        groups = c.choice([g for g in (1, 2, 3) if ch % g == 0])
        offset_groups = c.choice([g for g in (1, 2, 3) if ch % g == 0])
        oc = groups * c.integer(1, 2)
        kernel = [c.integer(1, min(3, s + 2)) for s in (h, w)]
        strides = [c.integer(1, 2) for _ in kernel]
        dil = [c.integer(1, 2) if k > 1 else 1 for k in kernel]
        pads = [c.integer(0, 1) for _ in range(4)]
        out = [(s + pads[i] + pads[i + 2] - (k - 1) * d - 1) // st + 1
               for i, (s, k, d, st) in enumerate(zip((h, w), kernel, dil, strides))]
        if min(out) < 1:
            raise Rejected("DeformConv: kernel larger than the padded input")
        dt = x.type.dtype
        ops = [x, b.operand(TensorType(dt, (oc, ch // groups, *kernel)), weight=c.boolean(0.7))]
        note.bias, note.mask = c.boolean(0.5), c.boolean(0.5)
        if note.bias:
            ops.append(b.operand(TensorType(dt, (oc,)), weight=c.boolean(0.7)))
        if note.mask:
            ops.append(b.operand(TensorType(dt, (n, offset_groups * kernel[0] * kernel[1], *out))))
        note.geometry = {"group": groups, "offset_group": offset_groups, "kernel": kernel, "strides": strides,
                         "dilations": dil, "pads": pads, "out": out}
        return ops

    def draw_attrs(self, b, types, note):
        c = b.choices
        return {**note.geometry, "bias": note.bias, "mask": note.mask, "seed": c.integer(0, 2 ** 31 - 1),
                "spell_kernel": c.boolean(0.5)}

    def requires(self, types, attrs):
        x, w = types[0], types[1]
        if w.shape != (w.shape[0], x.shape[1] // attrs["group"], *attrs["kernel"]) or w.shape[0] % attrs["group"]:
            return "DeformConv: weight (oC, C / group, *kernel)"
        if x.shape[1] % attrs["group"] or x.shape[1] % attrs["offset_group"]:
            return "DeformConv: channels divisible by group and offset_group"
        p = attrs["pads"]
        out = [(n + p[i] + p[i + 2] - (k - 1) * d - 1) // st + 1
               for i, (n, k, d, st) in enumerate(zip(x.shape[2:], attrs["kernel"], attrs["dilations"], attrs["strides"]))]
        if out != list(attrs["out"]):
            return "DeformConv: the output size follows from the input's"
        bias, mask = self._optional(attrs, types)
        if bias is not None and bias.shape != (w.shape[0],):
            return "DeformConv: bias (oC,)"
        kh, kw = attrs["kernel"]
        if mask is not None and mask.shape != (x.shape[0], attrs["offset_group"] * kh * kw, *attrs["out"]):
            return "DeformConv: mask (N, offset_group kH kW, oH, oW)"
        return None

    def opset_floor(self, types, attrs):
        return 22 if types[0].dtype == DType.bfloat16 else self.first_opset

    def infer(self, types, attrs):
        x, w = types[0], types[1]
        return [x.with_shape((x.shape[0], w.shape[0], *attrs["out"]))]

    def _optional(self, attrs, a):
        rest = list(a[2:])
        return [rest.pop(0) if attrs[k] else None for k in ("bias", "mask")]

    def torch(self, ctx, attrs, a):
        bias, mask = self._optional(attrs, a)
        return (f"__import__('fuzzer.ops.onnx_rest', fromlist=['deform_conv']).deform_conv({a[0]}, {a[1]}, {bias}, "
                f"{mask}, {attrs['seed']}, {attrs['group']}, {attrs['offset_group']}, {py(attrs['strides'])}, "
                f"{py(attrs['pads'])}, {py(attrs['dilations'])}, {a[0]}.dtype)")

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        n, _, h, w = x.shape
        padded = (h + attrs["pads"][0] + attrs["pads"][2], w + attrs["pads"][1] + attrs["pads"][3])
        off = deform_offsets(attrs["seed"], n, attrs["offset_group"], attrs["kernel"], attrs["out"], attrs["strides"],
                             attrs["dilations"], padded)
        bias, mask = self._optional(attrs, a)
        ins = [a[0], a[1], ctx.const(off, x.dtype), bias or "", mask or ""]
        while ins[-1] == "":
            ins.pop()
        ctx.widen("DeformConv", ins, outs, strides=attrs["strides"], pads=attrs["pads"] if any(attrs["pads"]) else None,
                  dilations=attrs["dilations"], group=attrs["group"], offset_group=attrs["offset_group"],
                  kernel_shape=attrs["kernel"] if attrs["spell_kernel"] else None)


# -- Multinomial, at degenerate distributions --------------------------------------------------
class Multinomial(OpSpec):
    """Multinomial over log-probabilities that leave one outcome per row: OneHot(ArgMax(x), values
    [-inf, 0]) gives each row log-probability 0 (probability 1) at x's first row maximum and -inf
    (probability 0) elsewhere, so every one of the sample_size draws is that index, whatever the
    generator: the one random-op output that is judged (as in fuzzer.ops.onnx_new). The
    log-probabilities' dtype (float16, float, double; bfloat16 from 22), the output dtype (int32
    by default, or int64, spelled or not), sample_size (omitted: 1) and seed are drawn."""

    name, onnx_ops, exportable, min_rank, max_rank = "Multinomial", ("ArgMax", "OneHot", "Cast", "Multinomial"), False, 2, 2
    dtypes = frozenset({DType.float32, DType.float64})

    def sample_attrs(self, b, types):
        c = b.choices
        # mostly float32, the one input type ORT 1.32 has a kernel for (Multinomial-7 only: none
        # from 22, where bfloat16 comes in)
        logits = "float32" if c.boolean(0.6) else c.choice(["float16", "float64", "bfloat16"])
        return {"logits": logits,
                "dtype": c.choice([None, "int32", "int64"]), "sample_size": c.choice([None, 1, 2, 3, 5]),
                "seed": c.choice([None, 0.0, 1.5, 1234.0])}

    def opset_floor(self, types, attrs):
        return 22 if attrs["logits"] == "bfloat16" else self.first_opset

    def infer(self, types, attrs):
        x = types[0]
        return [TensorType(DType(attrs["dtype"] or "int32"), (x.shape[0], attrs["sample_size"] or 1))]

    def torch(self, ctx, attrs, a):
        n = attrs["sample_size"] or 1
        return f"torch.argmax({a[0]}, dim=1, keepdim=True).expand(-1, {n}).to(torch.{attrs['dtype'] or 'int32'})"

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        lt = DType(attrs["logits"])
        index = ctx.node("ArgMax", [a[0]], 1, axis=1, keepdims=0)[0]
        # OneHot in float32, then a Cast: ORT's OneHot kernels take float32 values (not float16 or
        # double), and its schema no bfloat16
        values = ctx.const(np.asarray([-np.inf, 0.0], dtype=np.float32), exact=True)
        logits = ctx.node("OneHot", [index, ctx.const(np.asarray(x.shape[1], dtype=np.int64)), values], 1, axis=1)[0]
        if lt != DType.float32:
            logits = ctx.node("Cast", [logits], 1, to=onnx_elem_type(lt))[0]
        kw = {"dtype": ctx.elem(DType(attrs["dtype"])) if attrs["dtype"] else None,
              "sample_size": attrs["sample_size"], "seed": attrs["seed"]}
        ctx.node("Multinomial", [logits], outs, **kw)
