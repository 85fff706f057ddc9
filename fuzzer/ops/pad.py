"""F.pad in its four modes: constant (any value, negative pads crop), reflect, replicate and
circular. torch lists pads from the last dim backwards, (left, right) per dim; ONNX Pad wants
every dim's begins, then every dim's ends: `onnx_pads` converts."""
from __future__ import annotations

from fuzzer.ir import DType
from fuzzer.ops.base import OpSpec, py
from fuzzer.ops.dtypes import NUMERIC
from fuzzer.ops.lowering import Lit



def onnx_pads(pad, rank: int) -> tuple[list[int], list[int]]:
    """(begins, ends) per dim of a rank-`rank` tensor from torch's pad list."""
    begins, ends = [0] * rank, [0] * rank
    for i in range(len(pad) // 2):
        d = rank - 1 - i
        begins[d], ends[d] = int(pad[2 * i]), int(pad[2 * i + 1])
    return begins, ends


class Pad(OpSpec):
    """F.pad(x, pad, mode, value). reflect/replicate/circular pad the last 1-3 dims of a
    tensor with one or two more (batch, channel) dims, as torch requires."""

    name, onnx_ops = "pad", ("Pad", "Slice", "Concat")
    dtypes = NUMERIC

    def sample_attrs(self, b, types):
        c = b.choices
        x = types[0]
        modes = ["constant"]
        if x.dtype.is_float and x.rank >= 2:
            modes += ["reflect", "replicate", "circular"]
        mode = c.choice(modes)
        if mode == "constant":
            k = c.integer(0 if x.rank == 0 else 1, x.rank)
        else:
            k = c.integer(max(1, x.rank - 2), min(3, x.rank - 1))
        pad = []
        for i in range(k):
            size = x.shape[x.rank - 1 - i]
            if mode == "constant":
                left = c.integer(-(size - 1), 3) if c.boolean(0.3) else c.integer(0, 3)
                right = c.integer(-(size - 1 + min(left, 0)), 3)  # together they leave >= 1 element
            else:
                hi = {"reflect": size - 1, "replicate": 3, "circular": size}[mode]
                left, right = c.integer(0, min(hi, 3)), c.integer(0, min(hi, 3))
            pad += [left, right]
        attrs: dict = {"pad": pad}
        if mode != "constant" or c.boolean(0.3):
            attrs["mode"] = mode
        if mode == "constant" and c.boolean(0.6):
            attrs["value"] = (c.integer(0 if x.dtype == DType.uint8 else -3, 3) if x.dtype.is_int
                              else c.choice([-1.5, 0.5, 2.0, -1e4]))
        return attrs

    def infer(self, types, attrs):
        x = types[0]
        begins, ends = onnx_pads(attrs["pad"], x.rank)
        return [x.with_shape(tuple(s + p + q for s, p, q in zip(x.shape, begins, ends)))]

    def torch(self, ctx, attrs, a):
        kw = "".join(f", {k}={py(attrs[k])}" for k in ("mode", "value") if k in attrs)
        return f"F.pad({a[0]}, {py(list(attrs['pad']))}{kw})"

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        mode = attrs.get("mode", "constant")
        begins, ends = onnx_pads(attrs["pad"], x.rank)
        pads = ctx.ints(begins + ends)
        if x.rank == 0:
            # nothing to pad; ORT and the reference evaluator both fail on a rank-0 Pad
            # (onnxruntime 1.32, onnx 1.23), which ONNX allows with empty pads
            ctx.node("Identity", [a[0]], outs)
        elif mode == "constant":
            value = Lit(attrs.get("value", 0))
            src = a[0]
            if min(begins + ends) < 0:
                # negative pads crop; ONNX Pad allows them but the reference evaluator rejects
                # them (onnx 1.23), so the crop is a Slice here (exported models still carry them)
                starts = [max(0, -p) for p in begins]
                stops = [s - max(0, -q) for s, q in zip(x.shape, ends)]
                src = ctx.node("Slice", [src, ctx.ints(starts), ctx.ints(stops)])[0]
                pads = ctx.ints([max(0, p) for p in begins + ends])
            ctx.widen("Pad", [src, pads, value], outs, x.dtype, keep=(1,), mode="constant")  # Pad takes ints from 11
        elif mode in ("reflect", "replicate"):
            ctx.widen("Pad", [a[0], pads], outs, keep=(1,), mode="reflect" if mode == "reflect" else "edge")
        elif ctx.opset >= 19:
            ctx.node("Pad", [a[0], pads], outs, mode="wrap")
        else:  # circular before Pad's wrap mode: the wrapped-around pieces concatenated on
            y = a[0]
            dims = [d for d in range(x.rank) if begins[d] or ends[d]]
            for i, d in enumerate(dims):
                parts = []
                if begins[d]:
                    parts.append(ctx.node("Slice", [y, ctx.ints([-begins[d]]), ctx.ints([x.shape[d]]), ctx.ints([d])])[0])
                parts.append(y)
                if ends[d]:
                    parts.append(ctx.node("Slice", [y, ctx.ints([0]), ctx.ints([ends[d]]), ctx.ints([d])])[0])
                y = ctx.node("Concat", parts, outs if i == len(dims) - 1 else 1, axis=d)[0]
            if not dims:
                ctx.node("Identity", [y], outs)
