"""Normalization ops: batch/layer/group/instance norm, F.normalize and local response norm.

Each draws its statistics and affine parameters as weights (module buffers, ONNX
initializers), so exporters see the shapes a trained model has. The direct ONNX
lowerings use the dedicated ONNX op where its semantics match torch exactly at
every opset, and a ReduceMean decomposition where they do not (GroupNormalization
changed meaning between opsets 18 and 21; LayerNormalization exists only from 17).
"""
from __future__ import annotations

from fuzzer.errors import Rejected
from fuzzer.ir import FLOATS, DType, TensorType
from fuzzer.ops.base import DrawsWithNotes, OpSpec, py, same_type
from fuzzer.ops import lowering

EPS = (1e-5, 1e-3, 0.1)
#: running variances and the like stay clear of zero so the normalized values stay tame
POSITIVE = (0.1, 2.0)


def reduce(ctx, op: str, x: str, axes, keepdims: bool = True, outs=1, *, dtype=None) -> list[str]:
    """fuzzer.ops.lowering.reduce keeping the dims by default, as the norms want them."""
    return lowering.reduce(ctx, op, x, [int(a) for a in axes], keepdims, outs, dtype=dtype)


def standardize(ctx, x: str, axes, eps: float, dtype) -> str:
    """(x - mean) / sqrt(var + eps) over axes, the biased variance torch's norms use."""
    mean = reduce(ctx, "ReduceMean", x, axes)[0]
    d = ctx.node("Sub", [x, mean])[0]
    var = reduce(ctx, "ReduceMean", ctx.node("Mul", [d, d])[0], axes)[0]
    std = ctx.node("Sqrt", [ctx.node("Add", [var, ctx.scalar(eps, dtype)])[0]])[0]
    return ctx.node("Div", [d, std])[0]


def channel_shaped(ctx, v: str, rank: int) -> str:
    """A (C,) vector reshaped to broadcast over dim 1 of a rank-`rank` (N, C, ...) tensor."""
    return ctx.node("Unsqueeze", [v, ctx.ints(range(1, rank - 1))])[0] if rank > 2 else v


def affine_operands(b, dtype, shape, p: float = 0.6):
    """Optional weight and bias of `shape`; returns (operands, which) with which in
    {"", "w", "b", "wb"} naming the ones present."""
    which = b.choices.choice(["", "w", "b", "wb", "wb"]) if b.choices.boolean(p) else ""
    return [b.operand(TensorType(dtype, shape), weight=True) for _ in which], which


def affine_args(attrs, args: list[str]) -> tuple[str, str]:
    """The torch spelling of weight and bias from the operand names after the fixed ones."""
    which, rest = attrs.get("affine", ""), list(args)
    w = rest.pop(0) if "w" in which else "None"
    bias = rest.pop(0) if "b" in which else "None"
    return w, bias


def onnx_affine(ctx, y: str, attrs, args: list[str], outs, shape_fn=lambda v: v) -> None:
    """y * weight + bias with whichever are present, writing outs."""
    which, rest = attrs.get("affine", ""), list(args)
    steps = []
    if "w" in which:
        steps.append(("Mul", shape_fn(rest.pop(0))))
    if "b" in which:
        steps.append(("Add", shape_fn(rest.pop(0))))
    if not steps:
        ctx.node("Identity", [y], outs)
        return
    for i, (op, v) in enumerate(steps):
        y = ctx.node(op, [y, v], outs if i == len(steps) - 1 else 1)[0]


class NormOp(OpSpec):
    dtypes = frozenset(FLOATS)
    infer = staticmethod(same_type)


class BatchNorm(DrawsWithNotes, NormOp):
    """F.batch_norm in eval mode: running mean/var consts, optional weight and bias, eps, momentum."""

    name, onnx_ops = "batch_norm", ("BatchNormalization",)
    min_rank, max_rank = 2, 5
    # from BatchNormalization-7 (its spatial=1 default is the per-channel form built here); the
    # ONNX reference evaluator's own BatchNormalization before 14 is wrong (onnx 1.23: batch
    # statistics at 9-13, a tuple at 7-8), a finding about it, so tests judge those on ORT

    def draw_operands(self, b, x, note):
        dtype, c = x.type.dtype, (x.type.shape[1],)
        mean = b.operand(TensorType(dtype, c), weight=True)
        var = b.operand(TensorType(dtype, c), weight=True, domain=POSITIVE)
        # the spec is a singleton and a build runs start to end on one thread, so operands()
        # can leave sample_attrs() the note of which optional operands it drew
        extra, note.which = affine_operands(b, dtype, c)
        return [x, mean, var, *extra]

    def draw_attrs(self, b, types, note):
        attrs = {"affine": note.which, "eps": b.choices.choice(EPS)}
        if b.choices.boolean(0.3):
            attrs["momentum"] = b.choices.choice([0.1, 0.5])
        return attrs

    def torch(self, ctx, attrs, a):
        w, bias = affine_args(attrs, a[3:])
        mom = f", momentum={py(attrs['momentum'])}" if "momentum" in attrs else ""
        return f"F.batch_norm({a[0]}, {a[1]}, {a[2]}, {w}, {bias}, training=False{mom}, eps={py(attrs['eps'])})"

    def onnx(self, ctx, attrs, a, outs):
        t = ctx.types[a[1]]
        w, bias = affine_args(attrs, a[3:])
        import numpy as np

        w = ctx.const(np.ones(t.shape), t.dtype) if w == "None" else w
        bias = ctx.const(np.zeros(t.shape), t.dtype) if bias == "None" else bias
        ctx.node("BatchNormalization", [a[0], w, bias, a[1], a[2]], outs, epsilon=float(attrs["eps"]))


class LayerNorm(DrawsWithNotes, NormOp):
    """F.layer_norm over the trailing 1..k dims, optional elementwise weight and bias."""

    name, onnx_ops = "layer_norm", ("LayerNormalization", "ReduceMean")
    min_rank = 1

    def draw_operands(self, b, x, note):
        k = b.choices.integer(1, min(3, x.type.rank))
        norm_shape = x.type.shape[x.type.rank - k:]
        extra, note.which = affine_operands(b, x.type.dtype, norm_shape)
        note.k = k
        return [x, *extra]

    def draw_attrs(self, b, types, note):
        x = types[0]
        return {"normalized_shape": list(x.shape[x.rank - note.k:]), "affine": note.which,
                "eps": b.choices.choice(EPS)}

    def torch(self, ctx, attrs, a):
        w, bias = affine_args(attrs, a[1:])
        return f"F.layer_norm({a[0]}, {py(attrs['normalized_shape'])}, {w}, {bias}, eps={py(attrs['eps'])})"

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        k = len(attrs["normalized_shape"])
        if ctx.opset >= 17:
            import numpy as np

            shape = x.shape[x.rank - k:]
            w, bias = affine_args(attrs, a[1:])
            w = ctx.const(np.ones(shape), x.dtype) if w == "None" else w
            inputs = [a[0], w] + ([] if bias == "None" else [bias])
            ctx.node("LayerNormalization", inputs, outs, axis=-k, epsilon=float(attrs["eps"]))
            return
        y = standardize(ctx, a[0], range(x.rank - k, x.rank), attrs["eps"], x.dtype)
        onnx_affine(ctx, y, attrs, a[1:], outs)


class GroupNorm(DrawsWithNotes, NormOp):
    """F.group_norm(x, num_groups, weight, bias, eps) with num_groups dividing C."""

    name, onnx_ops = "group_norm", ("GroupNormalization", "ReduceMean", "Reshape")
    min_rank, max_rank = 2, 5

    def draw_operands(self, b, x, note):
        extra, note.which = affine_operands(b, x.type.dtype, (x.type.shape[1],))
        return [x, *extra]

    def draw_attrs(self, b, types, note):
        shape = types[0].shape
        rest = 1
        for s in shape[2:]:
            rest *= s
        c = shape[1]
        # torch refuses when each group's statistics would cover a single element
        options = [d for d in range(1, c + 1) if c % d == 0 and shape[0] * c // d * rest > 1]
        if not options:
            raise Rejected("group_norm: every grouping leaves one element per group")
        groups = b.choices.choice(options)
        return {"num_groups": groups, "affine": note.which, "eps": b.choices.choice(EPS)}

    def torch(self, ctx, attrs, a):
        w, bias = affine_args(attrs, a[1:])
        return f"F.group_norm({a[0]}, {attrs['num_groups']}, {w}, {bias}, eps={py(attrs['eps'])})"

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        if ctx.opset >= 21:
            # GroupNormalization's scale and bias are per channel from 21 (per group at 18-20,
            # which torch has no spelling of), so it is emitted only from 21
            import numpy as np

            c = (x.shape[1],)
            w, bias = affine_args(attrs, a[1:])
            w = ctx.const(np.ones(c), x.dtype) if w == "None" else w
            bias = ctx.const(np.zeros(c), x.dtype) if bias == "None" else bias
            ctx.node("GroupNormalization", [a[0], w, bias], outs, epsilon=float(attrs["eps"]),
                     num_groups=int(attrs["num_groups"]))
            return
        g = ctx.node("Reshape", [a[0], ctx.ints([x.shape[0], attrs["num_groups"], -1])])[0]
        y = standardize(ctx, g, [2], attrs["eps"], x.dtype)
        y = ctx.node("Reshape", [y, ctx.ints(x.shape)])[0]
        onnx_affine(ctx, y, attrs, a[1:], outs, lambda v: channel_shaped(ctx, v, x.rank))


class InstanceNorm(DrawsWithNotes, NormOp):
    """F.instance_norm(x, weight=, bias=, eps=) using input statistics, with or without affine."""

    name, onnx_ops = "instance_norm", ("InstanceNormalization",)
    min_rank, max_rank = 3, 5

    def accepts(self, t):
        # torch refuses statistics over a single spatial element
        return super().accepts(t) and t.numel // (t.shape[0] * t.shape[1]) > 1

    def draw_operands(self, b, x, note):
        extra, note.which = affine_operands(b, x.type.dtype, (x.type.shape[1],))
        return [x, *extra]

    def draw_attrs(self, b, types, note):
        return {"affine": note.which, "eps": b.choices.choice(EPS)}

    def torch(self, ctx, attrs, a):
        w, bias = affine_args(attrs, a[1:])
        return f"F.instance_norm({a[0]}, weight={w}, bias={bias}, eps={py(attrs['eps'])})"

    def onnx(self, ctx, attrs, a, outs):
        import numpy as np

        x = ctx.types[a[0]]
        c, dtype = (x.shape[1],), x.dtype
        if dtype == DType.bfloat16:  # InstanceNormalization has no bfloat16
            y = standardize(ctx, a[0], range(2, x.rank), attrs["eps"], dtype)
            onnx_affine(ctx, y, attrs, a[1:], outs, lambda v: channel_shaped(ctx, v, x.rank))
            return
        w, bias = affine_args(attrs, a[1:])
        w = ctx.const(np.ones(c), dtype) if w == "None" else w
        bias = ctx.const(np.zeros(c), dtype) if bias == "None" else bias
        ctx.node("InstanceNormalization", [a[0], w, bias], outs, epsilon=float(attrs["eps"]))


class Normalize(NormOp):
    """F.normalize(x, p, dim, eps): x / max(||x||_p, eps) along dim, p in {1, 2}."""

    name, onnx_ops = "normalize", ("ReduceL2", "ReduceL1", "Max", "Div")
    min_rank = 1

    def sample_attrs(self, b, types):
        c = b.choices
        r = types[0].rank
        d = c.integer(0, r - 1)
        return {"p": c.choice([1.0, 2.0, 2.0]), "dim": d - r if c.boolean(0.5) else d, "eps": c.choice([1e-12, 1e-3])}

    def torch(self, ctx, attrs, a):
        return f"F.normalize({a[0]}, p={py(attrs['p'])}, dim={attrs['dim']}, eps={py(attrs['eps'])})"

    def onnx(self, ctx, attrs, a, outs):
        dtype = ctx.types[a[0]].dtype
        op = "ReduceL1" if attrs["p"] == 1.0 else "ReduceL2"
        n = reduce(ctx, op, a[0], [attrs["dim"]])[0]
        n = ctx.node("Max", [n, ctx.scalar(attrs["eps"], dtype)])[0]
        ctx.node("Div", [a[0], n], outs)


class LocalResponseNorm(NormOp):
    """F.local_response_norm(x, size, alpha, beta, k) across channels (dim 1).

    torch's window for channel c is [c - size//2, c + (size-1)//2]; ONNX LRN's is
    [c - (size-1)//2, c + size//2]. They agree for odd sizes only, so an even size
    is lowered as its own decomposition (padded squares summed over shifted slices).
    So is any rank but 4: the ONNX spec allows (N, C, D1..Dk), but ORT's and the reference
    evaluator's LRN both take 4-D inputs only (onnxruntime 1.32, onnx 1.23).

    The reference evaluator's LRN (onnx 1.23) loops over the batch dim where it means
    channels: the lowering meta-test judges LRN models on onnxruntime instead, and the
    campaign's onnx-reference runtime will report that bug.
    """

    NATIVE_LRN = True

    name, onnx_ops = "local_response_norm", ("LRN",)
    min_rank, max_rank = 3, 5
    # torch computes it through avg_pool3d for rank >= 4, which has no float16/bfloat16 CPU
    # kernel: the ground truth itself would fail
    dtypes = frozenset({DType.float32, DType.float64})

    def sample_attrs(self, b, types):
        c = b.choices
        return {"size": c.integer(1, 5), "alpha": c.choice([1e-4, 0.1, 1.0]),
                "beta": c.choice([0.75, 0.5, 1.0]), "k": c.choice([1.0, 2.0])}

    def torch(self, ctx, attrs, a):
        return (f"F.local_response_norm({a[0]}, {attrs['size']}, alpha={py(attrs['alpha'])}, "
                f"beta={py(attrs['beta'])}, k={py(attrs['k'])})")

    def onnx(self, ctx, attrs, a, outs):
        size, x = attrs["size"], ctx.types[a[0]]
        if self.NATIVE_LRN and size % 2 and x.rank == 4:
            ctx.node("LRN", [a[0]], outs, size=size, alpha=float(attrs["alpha"]),
                     beta=float(attrs["beta"]), bias=float(attrs["k"]))
            return
        sq = ctx.node("Mul", [a[0], a[0]])[0]
        pads = [0] * (2 * x.rank)
        pads[1], pads[x.rank + 1] = size // 2, (size - 1) // 2
        padded = ctx.node("Pad", [sq, ctx.ints(pads)])[0]
        c = x.shape[1]
        total = None
        for i in range(size):
            part = ctx.node("Slice", [padded, ctx.ints([i]), ctx.ints([i + c]), ctx.ints([1])])[0]
            total = part if total is None else ctx.node("Add", [total, part])[0]
        div = ctx.node("Mul", [total, ctx.scalar(attrs["alpha"] / size, x.dtype)])[0]
        div = ctx.node("Add", [div, ctx.scalar(attrs["k"], x.dtype)])[0]
        div = ctx.node("Pow", [div, ctx.scalar(attrs["beta"], x.dtype)])[0]
        ctx.node("Div", [a[0], div], outs)
