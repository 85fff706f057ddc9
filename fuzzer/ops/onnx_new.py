"""ONNX-only specs for ops exporters never emit or emit in one form: every Reduce op with its
axes input and noop_with_empty_axes, CumProd, BitCast, TensorScatter, Swish, SwiGLU,
RMSNormalization, Dropout in its deterministic modes, and the random ops at degenerate
distributions.

Random ops have no comparable truth in general (their text says so: "may not produce the same
values in different implementations"). A degenerate distribution is the exception, and the
only one drawn here: Bernoulli of probabilities that are exactly 0 or 1, uniform draws with
low == high, normal draws with scale 0. Each of those has exactly one possible output, so
shape, dtype and value are all judged.

Truths are written from the operator texts (onnx.defs.get_schema(op).doc), in float64.
"""
from __future__ import annotations

from fuzzer.errors import Rejected
from fuzzer.ir import FLOATS, DType, TensorType
from fuzzer.ops.base import DrawsWithNotes, OpSpec, py, same_type
from fuzzer.ops.dtypes import FLOATS_BUT_BFLOAT16
from fuzzer.ops.lowering import Lit
from fuzzer.ops.onnx_math import axis_of

# -- every Reduce op, axes as an input, noop_with_empty_axes ----------------------------
#: op -> (torch truth of a reduction over dims (a tuple) of t, truth of the no-op form)
REDUCERS = {
    "ReduceSum": ("torch.sum({x}, {d}, keepdim={k}, dtype={x}.dtype)", "{x}.clone()"),
    "ReduceMean": ("torch.mean({x}, {d}, keepdim={k})", "{x}.clone()"),
    "ReduceProd": ("", "{x}.clone()"),  # reduce_prod: torch.prod takes one dim
    "ReduceMax": ("torch.amax({x}, {d}, keepdim={k})", "{x}.clone()"),
    "ReduceMin": ("torch.amin({x}, {d}, keepdim={k})", "{x}.clone()"),
    "ReduceL1": ("torch.sum(torch.abs({x}), {d}, keepdim={k}, dtype={x}.dtype)", "torch.abs({x})"),
    "ReduceL2": ("torch.sqrt(torch.sum({x} * {x}, {d}, keepdim={k}))", "torch.sqrt({x} * {x})"),
    "ReduceSumSquare": ("torch.sum({x} * {x}, {d}, keepdim={k}, dtype={x}.dtype)", "{x} * {x}"),
    "ReduceLogSumExp": ("torch.logsumexp({x}, {d}, keepdim={k})", "torch.log(torch.exp({x}))"),
    "ReduceLogSum": ("torch.log(torch.sum({x}, {d}, keepdim={k}))", "torch.log({x})"),
}
#: the reductions whose integer results are exact and defined (no mean, no log or sqrt)
INT_REDUCERS = ("ReduceSum", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceSumSquare")


class OnnxReduce(OpSpec):
    """Any ReduceX over drawn axes (negative, unordered), spelled as an input where the opset
    has one (ReduceSum from 13, the others from 18) or as the attribute; or over no axes at
    all: omitted or empty, with noop_with_empty_axes 0 (every axis) or 1 (no reduction, but a
    composite op still does its other steps: ReduceLogSum gives log x, ReduceL1 |x|);
    keepdims 0 or 1. ReduceLogSum takes x in [0.5, 8] (a sum of positives)."""

    name, exportable = "onnx.Reduce", False
    onnx_ops = tuple(REDUCERS)
    dtypes = frozenset(FLOATS_BUT_BFLOAT16 | {DType.int32, DType.int64})

    def sample_attrs(self, b, types):
        c = b.choices
        x = types[0]
        ops = INT_REDUCERS if x.dtype.is_int else tuple(op for op in REDUCERS if op != "ReduceLogSum")
        op = c.choice(ops)
        form = c.choice(["axes", "axes", "axes", "omitted", "empty"]) if x.rank else c.choice(["omitted", "empty"])
        attrs = {"op": op, "keepdims": c.integer(0, 1), "form": form, "noop": c.integer(0, 1) if form != "axes" else 0,
                 "spell_noop": c.boolean(0.5)}
        if form == "axes":
            axes = []
            for _ in range(c.integer(1, x.rank)):
                d = axis_of(b, x.rank)
                if d % x.rank not in [a % x.rank for a in axes]:
                    axes.append(d)
            attrs["axes"] = axes
        return attrs

    def infer(self, types, attrs):
        x = types[0]
        if attrs["form"] != "axes":
            if attrs["noop"]:
                return [x]
            return [x.with_shape((1,) * x.rank if attrs["keepdims"] else ())]
        dims = {d % x.rank for d in attrs["axes"]}
        s = [1 if i in dims else n for i, n in enumerate(x.shape) if attrs["keepdims"] or i not in dims]
        return [x.with_shape(tuple(s))]

    def torch(self, ctx, attrs, a):
        x = a[0]
        reduce, noop = REDUCERS[attrs["op"]]
        if attrs["form"] != "axes" and attrs["noop"]:
            return noop.format(x=x)
        dims = tuple(attrs["axes"]) if attrs["form"] == "axes" else f"tuple(range({x}.dim()))"
        if attrs["op"] == "ReduceProd":
            dims = py(dims) if attrs["form"] == "axes" else dims
            return f"__import__('fuzzer.ops.onnx_new', fromlist=['reduce_prod']).reduce_prod({x}, {dims}, {bool(attrs['keepdims'])})"
        return reduce.format(x=x, d=py(dims) if attrs["form"] == "axes" else dims, k=bool(attrs["keepdims"]))

    def onnx(self, ctx, attrs, a, outs):
        op, form = attrs["op"], attrs["form"]
        as_input = op == "ReduceSum" or ctx.opset >= 18
        kw = {"keepdims": attrs["keepdims"]}
        if form == "axes":
            if as_input:
                ctx.node(op, [a[0], ctx.ints(attrs["axes"])], outs, **kw)
            else:
                ctx.node(op, a, outs, axes=list(attrs["axes"]), **kw)
            return
        if attrs["noop"] and not as_input:
            # no noop_with_empty_axes before 18 (but ReduceSum's 13): the no-op form's truth, by
            # the op's own non-reducing steps, is what the older opset must compute
            _noop_steps(ctx, op, a[0], outs)
            return
        if as_input:
            kw["noop_with_empty_axes"] = attrs["noop"] if attrs["noop"] or attrs["spell_noop"] else None
        ins = [a[0], ctx.ints([])] if form == "empty" and as_input else [a[0]]
        ctx.node(op, ins, outs, **kw)


def _noop_steps(ctx, op: str, x: str, outs) -> None:
    """What ReduceX over no axes computes, without the Reduce op (older opsets cannot say it)."""
    if op == "ReduceSumSquare":
        ctx.node("Mul", [x, x], outs)
    elif op in ("ReduceL1", "ReduceL2"):
        ctx.node("Abs", [x], outs)
    elif op == "ReduceLogSum":
        ctx.node("Log", [x], outs)
    else:
        ctx.node("Identity", [x], outs)


def reduce_prod(t, dims, keepdim: bool):
    """The product of t over dims (torch.prod takes one dim at a time), in t's dtype (integer
    products wrap as the fixed-width arithmetic of the model does)."""
    import torch

    dims = sorted({d % t.dim() for d in dims}) if t.dim() else []
    out = t
    for d in reversed(dims):
        out = torch.prod(out, d, keepdim=True)
    out = out.to(t.dtype)
    if not keepdim:
        out = out.reshape([n for i, n in enumerate(t.shape) if i not in dims])
    return out


class OnnxReduceLogSum(OnnxReduce):
    """ReduceLogSum alone, over x in [0.5, 8], where its sums are positive."""

    name, onnx_ops, domain = "onnx.ReduceLogSum", ("ReduceLogSum",), (0.5, 8.0)
    dtypes = FLOATS_BUT_BFLOAT16

    def sample_attrs(self, b, types):
        attrs = super().sample_attrs(b, types)
        attrs["op"] = "ReduceLogSum"
        return attrs


# -- scans and bit casts -------------------------------------------------------------
class CumProd(OpSpec):
    """Running product along an axis (a 0-d int32/int64 input); exclusive starts at 1,
    reverse runs from the end."""

    name, onnx_ops, exportable, min_rank, min_opset = "CumProd", ("CumProd",), False, 1, 26
    dtypes = frozenset(FLOATS | {DType.int32, DType.int64})

    def sample_attrs(self, b, types):
        c = b.choices
        return {"axis": axis_of(b, types[0].rank), "exclusive": c.integer(0, 1), "reverse": c.integer(0, 1),
                "axis_dtype": c.choice(["int64", "int32"])}

    infer = staticmethod(same_type)

    def torch(self, ctx, attrs, a):
        x, d = a[0], attrs["axis"]
        src = f"torch.flip({x}, ({d},))" if attrs["reverse"] else x
        expr = f"torch.cumprod({src}, {d}, dtype={x}.dtype)"
        if attrs["exclusive"]:
            expr = (f"torch.cat([torch.ones_like({src}.narrow({d}, 0, 1)), "
                    f"{expr}.narrow({d}, 0, {src}.shape[{d}] - 1)], {d})")
        return f"torch.flip({expr}, ({d},))" if attrs["reverse"] else expr

    def onnx(self, ctx, attrs, a, outs):
        axis = ctx.scalar(attrs["axis"], DType(attrs["axis_dtype"]))
        ctx.widen("CumProd", [a[0], axis], outs, keep=(1,), exclusive=attrs["exclusive"], reverse=attrs["reverse"])


#: same-width reinterpretations whose every bit pattern reads back as a number: a float's bits
#: as an integer, int8 <-> uint8, bool as a byte
BITCASTS = {
    DType.float32: (DType.int32,), DType.float64: (DType.int64,), DType.float16: (DType.bfloat16,),
    DType.int8: (DType.uint8,), DType.uint8: (DType.int8,), DType.bool: (DType.int8, DType.uint8),
    DType.int32: (DType.float32,), DType.int64: (DType.float64,),
}


class BitCast(OpSpec):
    """x's bits read as another dtype of the same width (little endian), then, in the round-trip
    form, back again (exactly x). An integer's bits read as a float may be a NaN or a
    denormal, so ints reach floats only in the round trip."""

    name, onnx_ops, exportable, min_opset = "BitCast", ("BitCast",), False, 26
    dtypes = frozenset(BITCASTS)

    def sample_attrs(self, b, types):
        c = b.choices
        src = types[0].dtype
        to = c.choice(BITCASTS[src])
        trip = src.is_int and to.is_float or c.boolean(0.4)
        return {"src": src, "to": to, "round_trip": trip}

    def infer(self, types, attrs):
        return [types[0] if attrs["round_trip"] else types[0].with_dtype(attrs["to"])]

    def torch(self, ctx, attrs, a):
        x = a[0]
        if attrs["round_trip"]:
            return f"{x}.clone()"
        src = f"torch.{DType(attrs['src']).value}"
        # a float truth is float64: the model's own dtype is recovered before its bits are read
        return f"{x}.to({src}).view(torch.{DType(attrs['to']).value})"

    def onnx(self, ctx, attrs, a, outs):
        from fuzzer.ops.lowering import onnx_elem_type

        src, to = DType(attrs["src"]), DType(attrs["to"])
        x = a[0]
        if ctx.dtype(src) != src:  # truth mode renders floats as double: bit widths follow the model
            raise NotImplementedError("BitCast reads a float's own bits: no float64 rendering")
        if attrs["round_trip"]:
            mid = ctx.node("BitCast", [x], 1, to=onnx_elem_type(to))[0]
            ctx.node("BitCast", [mid], outs, to=onnx_elem_type(src))
            return
        ctx.node("BitCast", [x], outs, to=onnx_elem_type(to))


class TensorScatter(DrawsWithNotes, OpSpec):
    """A KV-cache write: update (the cache's shape but sequence_length <= max_sequence_length
    along axis) written into the cache x at write_indices[batch] (omitted: 0), linear (the write
    fits) or circular (positions wrap modulo max_sequence_length)."""

    name, onnx_ops, exportable, min_rank, max_rank, min_opset = "TensorScatter", ("TensorScatter",), False, 2, 4, 24
    dtypes = frozenset(FLOATS | {DType.int8, DType.uint8, DType.int32, DType.int64, DType.bool})

    def draw_operands(self, b, x, note):
        c = b.choices
        t = x.type
        note.axis = c.integer(1, t.rank - 1)
        m = t.shape[note.axis]
        length = c.integer(1, m)
        s = list(t.shape)
        s[note.axis] = length
        note.mode = c.choice(["linear", "circular"])
        note.writes = None
        ops = [x, b.operand(TensorType(t.dtype, tuple(s)))]
        if c.boolean(0.7):
            hi = m - length if note.mode == "linear" else m + 2
            note.writes = [c.integer(0, hi) for _ in range(t.shape[0])]
            ops.append(b.int_const(note.writes, DType.int64))
        return ops

    def draw_attrs(self, b, types, note):
        r = types[0].rank
        axis = note.axis - r if b.choices.boolean(0.5) else note.axis
        return {"axis": axis, "mode": note.mode, "spell_mode": note.mode == "circular" or b.choices.boolean(0.5),
                "spell_axis": axis != -2 or b.choices.boolean(0.5)}

    def requires(self, types, attrs):
        x, u = types[0], types[1]
        d = attrs["axis"] % x.rank
        if x.rank != u.rank or any(p != q for i, (p, q) in enumerate(zip(x.shape, u.shape)) if i != d) or u.shape[d] > x.shape[d]:
            return "TensorScatter: the update must match the cache but along the sequence axis"
        return None

    infer = staticmethod(same_type)

    def torch(self, ctx, attrs, a):
        x, u = a[0], a[1]
        d = attrs["axis"]
        start = f"{a[2]}[b]" if len(a) == 3 else "0"
        pos = f"({start} + torch.arange({u}.shape[{d}]))"
        if attrs["mode"] == "circular":
            pos = f"({pos} % {x}.shape[{d}])"
        # the batch element's own axis is d - 1 once the batch dim is indexed away (d > 0 always)
        return (f"torch.stack([{x}[b].index_copy(({d}) % {x}.dim() - 1, {pos}, {u}[b]) "
                f"for b in range({x}.shape[0])])")

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("TensorScatter", a, outs, axis=attrs["axis"] if attrs["spell_axis"] else None,
                 mode=attrs["mode"] if attrs["spell_mode"] else None)


# -- activations and normalization ---------------------------------------------------------
class Swish(OpSpec):
    """x * sigmoid(alpha * x)."""

    name, onnx_ops, exportable, min_opset = "Swish", ("Swish",), False, 24
    dtypes = FLOATS

    def sample_attrs(self, b, types):
        return {"alpha": b.choices.choice([None, 1.0, 0.5, 1.702, -1.0])}

    infer = staticmethod(same_type)

    def torch(self, ctx, attrs, a):
        alpha = 1.0 if attrs["alpha"] is None else attrs["alpha"]
        return f"{a[0]} * torch.sigmoid({py(float(alpha))} * {a[0]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Swish", a, outs, alpha=attrs["alpha"])


class SwiGLU(OpSpec):
    """Swish_alpha(gate) * value, gate and value of one shape (no broadcasting)."""

    name, onnx_ops, exportable, min_opset = "SwiGLU", ("SwiGLU",), False, 28
    dtypes = FLOATS

    def operands(self, b, x):
        return [x, b.operand(x.type)]

    def sample_attrs(self, b, types):
        return {"alpha": b.choices.choice([None, 1.0, 1.702, 0.5])}

    def requires(self, types, attrs):
        return None if types[0] == types[1] else "SwiGLU: gate and value of one type"

    infer = staticmethod(same_type)

    def torch(self, ctx, attrs, a):
        alpha = 1.0 if attrs["alpha"] is None else attrs["alpha"]
        return f"{a[0]} * torch.sigmoid({py(float(alpha))} * {a[0]}) * {a[1]}"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("SwiGLU", a, outs, alpha=attrs["alpha"])


class RMSNormalization(OpSpec):
    """x / sqrt(mean(x^2 over axes [axis, rank)) + epsilon) * scale, scale broadcasting to the
    normalized shape (a suffix of it, 1s allowed); axis possibly negative."""

    name, onnx_ops, exportable, min_rank, min_opset = "RMSNormalization", ("RMSNormalization",), False, 1, 23
    dtypes = FLOATS

    def operands(self, b, x):
        c = b.choices
        t = x.type
        axis = c.integer(0, t.rank - 1)
        tail = t.shape[axis:]
        keep = c.integer(1, len(tail))
        shape = tuple(n if c.boolean(0.7) else 1 for n in tail[len(tail) - keep:])
        return [x, b.operand(TensorType(t.dtype, shape))]

    def sample_attrs(self, b, types):
        c = b.choices
        x, scale = types
        # the axis the scale was drawn for is no later than rank - scale.rank
        axis = c.integer(0, x.rank - scale.rank)
        return {"axis": axis - x.rank if c.boolean(0.4) else axis, "epsilon": c.choice([None, 1e-5, 0.1, 1.0]),
                "stash": c.choice([None, 1])}

    def requires(self, types, attrs):
        x, scale = types
        return None if scale.rank <= x.rank - attrs["axis"] % x.rank else "RMSNormalization: scale longer than the normalized shape"

    infer = staticmethod(same_type)

    def torch(self, ctx, attrs, a):
        x, scale = a
        eps = 1e-5 if attrs["epsilon"] is None else attrs["epsilon"]
        dims = f"tuple(range({attrs['axis']} % {x}.dim(), {x}.dim()))"
        return f"{x} / torch.sqrt(({x} * {x}).mean({dims}, keepdim=True) + {py(float(eps))}) * {scale}"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("RMSNormalization", a, outs, axis=attrs["axis"], epsilon=attrs["epsilon"], stash_type=attrs["stash"])


class Dropout(OpSpec):
    """Dropout in its deterministic forms: training_mode omitted or false (the ratio, if
    given, is ignored), or true with ratio 0 (scale 1 / (1 - 0) = 1, nothing dropped).
    Output x, and optionally the mask, all True."""

    name, onnx_ops, exportable = "onnx.Dropout", ("Dropout",), False
    dtypes = FLOATS
    #: ratio and training_mode are inputs, and the mask bool, from 12 (Dropout-7's mask is a float)
    min_opset = 12

    def sample_attrs(self, b, types):
        c = b.choices
        mode = c.choice(["omitted", "false", "true"])
        ratio = 0.0 if mode == "true" else c.choice([None, 0.0, 0.5, 0.25])
        return {"training": mode, "ratio": ratio, "mask": c.boolean(0.5), "seed": c.choice([None, 0, 7])}

    def infer(self, types, attrs):
        return [types[0]] + ([types[0].with_dtype(DType.bool)] if attrs["mask"] else [])

    def torch(self, ctx, attrs, a):
        if attrs["mask"]:
            return f"({a[0]}.clone(), torch.ones_like({a[0]}, dtype=torch.bool))"
        return f"{a[0]}.clone()"

    def onnx(self, ctx, attrs, a, outs):
        from fuzzer.ops.lowering import compute_dtype

        x = ctx.types[a[0]]
        ins = [a[0]]
        ratio_type = compute_dtype(ctx, x.dtype, "Dropout", index=1) if x.dtype != DType.bfloat16 else DType.float32
        ins.append(ctx.scalar(attrs["ratio"], ratio_type) if attrs["ratio"] is not None else "")
        if attrs["training"] != "omitted":
            ins.append(ctx.scalar(attrs["training"] == "true", DType.bool))
        while ins[-1] == "":
            ins.pop()
        ctx.node("Dropout", ins, outs, seed=attrs["seed"])


# -- random ops at degenerate distributions --------------------------------------------------
class Bernoulli(OpSpec):
    """Bernoulli draws from probabilities that are exactly 0 or 1 (x > 0, cast to x's dtype):
    every draw is then fixed. The output dtype is x's or a drawn one."""

    name, onnx_ops, exportable, min_opset = "Bernoulli", ("Greater", "Cast", "Bernoulli"), False, 15
    dtypes = FLOATS_BUT_BFLOAT16

    def sample_attrs(self, b, types):
        c = b.choices
        return {"dtype": c.choice([None, DType.float32, DType.int64, DType.int32, DType.bool, DType.float64]),
                "seed": c.choice([None, 1.0, 42.0])}

    def infer(self, types, attrs):
        return [types[0].with_dtype(attrs["dtype"] or types[0].dtype)]

    def torch(self, ctx, attrs, a):
        dt = ctx.dtype(attrs["dtype"]) if attrs["dtype"] else f"{a[0]}.dtype"
        return f"({a[0]} > 0).to({dt})"

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        p = ctx.node("Cast", [ctx.widen("Greater", [a[0], Lit(0)], 1, out_dtype=DType.bool)[0]], 1, to=ctx.elem(x.dtype))[0]
        ctx.node("Bernoulli", [p], outs, dtype=ctx.elem(attrs["dtype"]) if attrs["dtype"] else None, seed=attrs["seed"])


class RandomUniform(OpSpec):
    """x + a random tensor of x's shape whose distribution has one value: x + c exactly.
    RandomUniformLike (input x, dtype spelled or taken from x) or RandomUniform (shape and
    dtype attributes), with low == high == c."""

    name, onnx_ops, exportable = "onnx.RandomUniform", ("RandomUniformLike", "RandomUniform", "Add"), False
    dtypes = FLOATS_BUT_BFLOAT16
    ops = ("RandomUniformLike", "RandomUniform")

    def sample_attrs(self, b, types):
        c = b.choices
        return {"op": c.choice(self.ops), "value": c.choice([0.0, 1.5, -2.0]), "seed": c.choice([None, 3.0]),
                "spell_dtype": c.boolean(0.5)}

    infer = staticmethod(same_type)

    def torch(self, ctx, attrs, a):
        return f"{a[0]} + {py(float(attrs['value']))}"

    def params(self, value: float) -> dict:
        return {"low": value, "high": value}

    def onnx(self, ctx, attrs, a, outs):
        op = attrs["op"]
        x = ctx.types[a[0]]
        params = self.params(float(attrs["value"]))
        if op.endswith("Like"):
            dt = ctx.elem(x.dtype) if attrs["spell_dtype"] else None
            r = ctx.node(op, [a[0]], 1, dtype=dt, seed=attrs["seed"], **params)[0]
        else:
            from onnx import AttributeProto, helper

            r = ctx.node(op, [], 1, dtype=ctx.elem(x.dtype), seed=attrs["seed"], **params)[0]
            # made by hand: helper cannot tell the type of an empty list (a 0-d shape)
            ctx.nodes[-1].attribute.append(helper.make_attribute("shape", list(x.shape), attr_type=AttributeProto.INTS))
        ctx.node("Add", [a[0], r], outs)


class RandomNormal(RandomUniform):
    """x + a normal draw of scale 0 around c (RandomNormalLike or RandomNormal): x + c exactly.
    Drawn less often: ONNX Runtime 1.32 aborts the whole process on scale 0 (libstdc++'s
    normal_distribution asserts stddev > 0), which a campaign records once as a crash."""

    name, onnx_ops = "onnx.RandomNormal", ("RandomNormalLike", "RandomNormal", "Add")
    ops = ("RandomNormalLike", "RandomNormal")
    weight = 0.3

    def params(self, value: float) -> dict:
        return {"mean": value, "scale": 0.0}
