"""ONNX-only sequence and optional ops, between tensors: the IR holds only tensors, so each spec
starts from a tensor, builds a sequence (SplitToSequence, SequenceConstruct, SequenceEmpty) or an
optional inside its own lowering, works on it (SequenceInsert, SequenceErase, SequenceAt,
SequenceMap, SequenceLength; OptionalHasElement, OptionalGetElement) and ends in a tensor
(ConcatFromSequence, a length, an element).

Every torch truth is written from the ONNX operator text: sequence positions may be negative
(counted from the end), an insert without a position appends, an erase without one drops the
last element, SplitToSequence without `split` makes pieces of length 1 (squeezed unless
keepdims=1), ConcatFromSequence with new_axis=1 stacks.
"""
from __future__ import annotations

from fuzzer.errors import Rejected
from fuzzer.ir import DType, TensorType
from fuzzer.ops.base import DrawsWithNotes, OpSpec, py
from fuzzer.ops.dtypes import ALL_BUT_INT16_AND_BFLOAT16
from fuzzer.ops.onnx_math import axis_of

#: what the sequence ops take: every tensor type but bfloat16 (and int16, which ORT lacks kernels for)
SEQ_DTYPES = ALL_BUT_INT16_AND_BFLOAT16


def _parts(b, n: int) -> list[int]:
    """n split into 1 to 4 positive lengths."""
    c = b.choices
    pool = list(range(1, n))
    cuts = sorted(pool.pop(c.integer(0, len(pool) - 1)) for _ in range(min(c.integer(0, 3), len(pool))))
    edges = [0, *cuts, n]
    return [e - s for s, e in zip(edges, edges[1:])]


class SequenceConcat(DrawsWithNotes, OpSpec):
    """x split along an axis into a sequence (SplitToSequence with lengths, an equal-length
    scalar, or none: pieces of 1), an element erased and another tensor inserted at drawn
    (possibly negative or omitted) positions, then joined again by ConcatFromSequence along the
    same axis. attrs: axis, lengths (the split), split ("list", "scalar" or "none"), erase
    (position or None, or "last" for an omitted position), insert (position, "end" or None),
    out_len (the joined axis' length)."""

    name, onnx_ops, exportable, min_rank = "onnx.ConcatFromSequence", (
        "SplitToSequence", "SequenceErase", "SequenceInsert", "ConcatFromSequence"), False, 1
    dtypes = SEQ_DTYPES

    def draw_operands(self, b, x, note):
        c = b.choices
        t = x.type
        note.axis = axis_of(b, t.rank)
        d = note.axis % t.rank
        n = t.shape[d]
        note.split = c.choice(["list", "list", "scalar", "none"])
        if note.split == "scalar":
            size = c.integer(1, n)
            note.lengths = [size] * (n // size) + ([n % size] if n % size else [])
            note.size = size
        elif note.split == "none":
            note.lengths = [1] * n
        else:
            note.lengths = _parts(b, n)
        ops = [x]
        note.insert = None
        if c.boolean(0.6):
            extra = list(t.shape)
            extra[d] = c.integer(1, 3)
            ops.append(b.operand(TensorType(t.dtype, tuple(extra))))
        return ops

    def draw_attrs(self, b, types, note):
        c = b.choices
        lengths = list(note.lengths)
        erase = None
        if len(lengths) > 1 and c.boolean(0.5):
            k = len(lengths)
            erase = c.choice(["last", c.integer(-k, k - 1)])
            del lengths[-1 if erase == "last" else erase]
        insert = None
        if len(types) == 2:
            k = len(lengths)
            insert = c.choice(["end", c.integer(-k, k)])  # k itself: append at the end
        attrs = {"axis": note.axis, "split": note.split, "lengths": note.lengths, "erase": erase, "insert": insert}
        if note.split == "scalar":
            attrs["size"] = note.size
        return attrs

    def infer(self, types, attrs):
        x = types[0]
        d = attrs["axis"] % x.rank
        lengths = list(attrs["lengths"])
        if attrs["erase"] is not None:
            del lengths[-1 if attrs["erase"] == "last" else attrs["erase"]]
        total = sum(lengths) + (types[1].shape[d] if len(types) == 2 else 0)
        if total == 0:
            raise Rejected("ConcatFromSequence of an empty sequence")
        s = list(x.shape)
        s[d] = total
        return [x.with_shape(tuple(s))]

    def torch(self, ctx, attrs, a):
        # the joined tensor as one expression: the pieces listed in their final order
        d = attrs["axis"]
        n = len(attrs["lengths"])
        order = [f"torch.split({a[0]}, {py(tuple(attrs['lengths']))}, {d})[{i}]" for i in range(n)]
        if attrs["erase"] is not None:
            del order[-1 if attrs["erase"] == "last" else attrs["erase"]]
        if attrs["insert"] is not None:
            pos = attrs["insert"]
            k = len(order)
            if pos == "end":
                pos = k
            order.insert(pos if pos >= 0 else k + pos, a[1])
        return f"torch.cat([{', '.join(order)}], {d})"

    def onnx(self, ctx, attrs, a, outs):
        d = attrs["axis"]
        if attrs["split"] == "list":
            split = [ctx.ints(attrs["lengths"])]
        elif attrs["split"] == "scalar":
            split = [ctx.scalar(attrs["size"], DType.int64)]
        else:
            split = []
        # keepdims=1 with no split keeps the pieces' axis of length 1, so they concatenate back
        seq = ctx.node("SplitToSequence", [a[0], *split], 1, axis=d, keepdims=1 if not split else None)[0]
        if attrs["erase"] is not None:
            pos = [] if attrs["erase"] == "last" else [ctx.scalar(attrs["erase"], DType.int64)]
            seq = ctx.node("SequenceErase", [seq, *pos])[0]
        if attrs["insert"] is not None:
            pos = [] if attrs["insert"] == "end" else [ctx.scalar(attrs["insert"], DType.int32 if attrs["insert"] % 2 else DType.int64)]
            seq = ctx.node("SequenceInsert", [seq, a[1], *pos])[0]
        ctx.node("ConcatFromSequence", [seq], outs, axis=d)


class SequenceStack(OpSpec):
    """x and 1 to 3 tensors of its type gathered into a sequence (SequenceConstruct, or
    SequenceEmpty and SequenceInsert one by one), and stacked along a new axis
    (ConcatFromSequence new_axis=1; the axis may be negative, down to -rank-1), or one of them
    picked back out by SequenceAt."""

    name, onnx_ops, exportable = "onnx.SequenceConstruct", (
        "SequenceConstruct", "SequenceEmpty", "SequenceInsert", "ConcatFromSequence", "SequenceAt"), False
    dtypes = SEQ_DTYPES
    max_rank = 4

    def operands(self, b, x):
        return [x] + [b.operand(x.type) for _ in range(b.choices.integer(1, 3))]

    def sample_attrs(self, b, types):
        c = b.choices
        r = types[0].rank
        k = len(types)
        attrs = {"build": c.choice(["construct", "empty"]), "at": None}
        if c.boolean(0.3):
            attrs["at"] = c.integer(-k, k - 1)
        else:
            attrs["axis"] = c.integer(-r - 1, r)
        return attrs

    def infer(self, types, attrs):
        x = types[0]
        if attrs["at"] is not None:
            return [x]
        s = list(x.shape)
        s.insert(attrs["axis"] % (x.rank + 1), len(types))
        return [x.with_shape(tuple(s))]

    def torch(self, ctx, attrs, a):
        if attrs["at"] is not None:
            return f"{a[attrs['at']]}.clone()"
        return f"torch.stack([{', '.join(a)}], {attrs['axis']})"

    def onnx(self, ctx, attrs, a, outs):
        if attrs["build"] == "construct":
            seq = ctx.node("SequenceConstruct", a)[0]
        else:
            seq = ctx.node("SequenceEmpty", [], 1, dtype=ctx.elem(ctx.types[a[0]].dtype))[0]
            for name in a:
                seq = ctx.node("SequenceInsert", [seq, name])[0]
        if attrs["at"] is not None:
            ctx.node("SequenceAt", [seq, ctx.scalar(attrs["at"], DType.int64)], outs)
            return
        ctx.node("ConcatFromSequence", [seq], outs, axis=attrs["axis"], new_axis=1)


class SequenceLength(OpSpec):
    """The int64 number of pieces SplitToSequence cuts x into along an axis (by a scalar
    length: the last piece may be shorter)."""

    name, onnx_ops, exportable, min_rank = "onnx.SequenceLength", ("SplitToSequence", "SequenceLength"), False, 1
    dtypes = SEQ_DTYPES

    def sample_attrs(self, b, types):
        x = types[0]
        d = axis_of(b, x.rank)
        return {"axis": d, "size": b.choices.integer(1, x.shape[d])}

    def infer(self, types, attrs):
        return [TensorType(DType.int64, ())]

    def torch(self, ctx, attrs, a):
        return f"torch.tensor(len(torch.split({a[0]}, {attrs['size']}, {attrs['axis']})), dtype=torch.int64)"

    def onnx(self, ctx, attrs, a, outs):
        seq = ctx.node("SplitToSequence", [a[0], ctx.scalar(attrs["size"], DType.int64)], 1, axis=attrs["axis"])[0]
        ctx.node("SequenceLength", [seq], outs)


class SequenceMap(DrawsWithNotes, OpSpec):
    """x split into pieces (of unequal lengths), a body applied to each piece by SequenceMap,
    and the results joined again: the body multiplies the piece by a second tensor passed as
    a plain (non-sequence) input, which broadcasts against every piece, or takes its absolute
    value. The body's input declares its rank only, since the pieces differ in length."""

    name, onnx_ops, exportable, min_rank, min_opset = "onnx.SequenceMap", (
        "SplitToSequence", "SequenceMap", "ConcatFromSequence"), False, 1, 17
    dtypes = frozenset({DType.float32, DType.float64, DType.int32, DType.int64})

    def draw_operands(self, b, x, note):
        c = b.choices
        t = x.type
        note.axis = axis_of(b, t.rank)
        note.lengths = _parts(b, t.shape[note.axis % t.rank])
        if c.boolean(0.5):
            # a factor broadcasting against every piece: 1 along the split axis
            s = [1 if i == note.axis % t.rank or c.boolean(0.5) else n for i, n in enumerate(t.shape)]
            return [x, b.operand(TensorType(t.dtype, tuple(s)))]
        return [x]

    def draw_attrs(self, b, types, note):
        return {"axis": note.axis, "lengths": note.lengths}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        d = attrs["axis"]
        f = f"p * {a[1]}" if len(a) == 2 else "torch.abs(p)"
        return f"torch.cat([{f} for p in torch.split({a[0]}, {py(tuple(attrs['lengths']))}, {d})], {d})"

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        seq = ctx.node("SplitToSequence", [a[0], ctx.ints(attrs["lengths"])], 1, axis=attrs["axis"])[0]
        body_in = [("piece", x)] + ([("factor", ctx.types[a[1]])] if len(a) == 2 else [])

        def body(sub, names):
            y = sub.fresh("mapped")
            if len(names) == 2:
                sub.node("Mul", names, [y])
            else:
                sub.node("Abs", names, [y])
            return [(y, x)]

        shapes = [[None] * x.rank] + ([list(ctx.types[a[1]].shape)] if len(a) == 2 else [])
        graph = ctx.subgraph(body_in, body, name="map", input_shapes=shapes)
        # the body's output, like its input, has a length that varies from piece to piece
        graph.output[0].type.tensor_type.shape.ClearField("dim")
        for _ in range(x.rank):
            graph.output[0].type.tensor_type.shape.dim.add()
        mapped = ctx.node("SequenceMap", [seq, *a[1:]], 1, body=graph)[0]
        ctx.node("ConcatFromSequence", [mapped], outs, axis=attrs["axis"])


class OptionalElement(OpSpec):
    """x wrapped by Optional and read back by OptionalGetElement, and whether an optional holds
    an element (OptionalHasElement, a bool): the one holding x (True), an empty one made by
    Optional(type=...) (False), from opset 18 also an omitted input (False) or x itself, a plain
    tensor (True); OptionalGetElement of x itself (from 18) is x."""

    name, onnx_ops, exportable, min_opset = "onnx.Optional", ("Optional", "OptionalHasElement", "OptionalGetElement"), False, 15
    dtypes = SEQ_DTYPES

    def sample_attrs(self, b, types):
        c = b.choices
        return {"has": c.choice(["wrapped", "empty", "omitted", "tensor"]), "get": c.choice(["wrapped", "tensor"])}

    def infer(self, types, attrs):
        return [types[0], TensorType(DType.bool, ())]

    def torch(self, ctx, attrs, a):
        return f"({a[0]}.clone(), torch.tensor({attrs['has'] in ('wrapped', 'tensor')}))"

    def onnx(self, ctx, attrs, a, outs):
        from onnx import helper

        new = ctx.opset >= 18
        get, has = attrs["get"], attrs["has"]
        if ctx.opset >= 28 and ctx.dtype(ctx.types[a[0]].dtype) == DType.float16:
            # ORT 1.32 refuses an Optional-28 of float16 with a type error at load (it has no
            # Optional-28 kernel at all): the tensor forms, with the same truth, avoid the node
            get, has = "tensor", {"wrapped": "tensor", "empty": "omitted"}.get(has, has)
        if get == "tensor" and new:
            ctx.node("OptionalGetElement", [a[0]], [outs[0]])
        else:
            wrapped = ctx.node("Optional", [a[0]])[0]
            ctx.node("OptionalGetElement", [wrapped], [outs[0]])
        if has in ("omitted", "tensor") and not new:
            has = "empty" if has == "omitted" else "wrapped"
        if has == "wrapped":
            source = ctx.node("Optional", [a[0]])[0]
        elif has == "empty":
            elem = helper.make_tensor_type_proto(ctx.elem(ctx.types[a[0]].dtype), None)
            source = ctx.node("Optional", [], 1, type=elem)[0]
        elif has == "omitted":
            source = ""
        else:
            source = a[0]
        ctx.node("OptionalHasElement", [source] if source else [], [outs[1]])
