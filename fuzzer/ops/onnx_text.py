"""ONNX-only string ops, between integer tensors: the IR holds no strings, so each spec casts
its integers to their decimal text (Cast to STRING, exact for every integer), runs the string
op on that, and ends in a tensor again (Cast back from STRING, a bool match, an int64 count).

The truths are Python's own string semantics over the same decimal text (str.split,
re.fullmatch, concatenation), as the ONNX operator texts define these ops; no runtime is asked.
"""
from __future__ import annotations

import re

import numpy as np

from fuzzer.ir import DType, TensorType, broadcast_shapes
from fuzzer.ops.base import OpSpec, broadcast_partner, same_type
from fuzzer.ops.dtypes import TEXT_INTS



def _text(ctx, name: str) -> str:
    from onnx import TensorProto

    return ctx.node("Cast", [name], 1, to=TensorProto.STRING)[0]


def split_counts(x, delimiter: str, maxsplit: int | None):
    """How many pieces str.split cuts each integer's decimal text into (the truth of
    StringSplit's second output); an empty delimiter splits on runs of whitespace."""
    import torch

    def count(v: int) -> int:
        text = str(int(v))
        if maxsplit is None:
            return len(text.split(delimiter or None))
        return len(text.split(delimiter or None, maxsplit))

    flat = [count(v) for v in x.reshape(-1).tolist()]
    return torch.tensor(flat, dtype=torch.int64).reshape(x.shape)


def full_matches(x, pattern: str):
    """Whether each integer's decimal text matches pattern as a whole (re.fullmatch)."""
    import torch

    flat = [re.fullmatch(pattern, str(int(v))) is not None for v in x.reshape(-1).tolist()]
    return torch.tensor(flat, dtype=torch.bool).reshape(x.shape)


def _call(fn: str) -> str:
    return f"__import__('fuzzer.ops.onnx_text', fromlist=['{fn}']).{fn}"


class StringConcat(OpSpec):
    """The decimal texts of x and of a digit y (0..9) joined, read back as int64: -3 and 5 give
    "-35", 0 and 5 give "05" (5)."""

    name, onnx_ops, exportable, min_opset = "StringConcat", ("Cast", "StringConcat"), False, 20
    dtypes = TEXT_INTS
    # keeps x * 10 + 9 inside every dtype of the result (int64) and the text short
    domain = (-100000.0, 100000.0)

    def operands(self, b, x):
        return [x, b.operand(TensorType(x.type.dtype, broadcast_partner(b, x.type.shape)), domain=(0.0, 9.0))]

    def infer(self, types, attrs):
        return [TensorType(DType.int64, broadcast_shapes(types[0].shape, types[1].shape))]

    def torch(self, ctx, attrs, a):
        x, y = f"{a[0]}.long()", f"{a[1]}.long()"
        return f"torch.where({x} < 0, {x} * 10 - {y}, {x} * 10 + {y})"

    def onnx(self, ctx, attrs, a, outs):
        from onnx import TensorProto

        joined = ctx.node("StringConcat", [_text(ctx, a[0]), _text(ctx, a[1])])[0]
        ctx.node("Cast", [joined], outs, to=TensorProto.INT64)


#: patterns over an integer's decimal text, each with its truth
PATTERNS = (r"-\d+", r"\d", r"-?[0-4]", r"\d*[02468]", r"[1-9]\d*0", r"(-|)1\d?")


class RegexFullMatch(OpSpec):
    """Whether an integer's decimal text matches a pattern (RE2 syntax, which these share with
    Python's re) as a whole."""

    name, onnx_ops, exportable, min_opset = "RegexFullMatch", ("Cast", "RegexFullMatch"), False, 20
    dtypes = TEXT_INTS

    def sample_attrs(self, b, types):
        return {"pattern": b.choices.choice(PATTERNS)}

    def infer(self, types, attrs):
        return [types[0].with_dtype(DType.bool)]

    def torch(self, ctx, attrs, a):
        return f"{_call('full_matches')}({a[0]}, {attrs['pattern']!r})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("RegexFullMatch", [_text(ctx, a[0])], outs, pattern=attrs["pattern"])


class StringSplit(OpSpec):
    """How many substrings an integer's decimal text splits into at a delimiter ("-", "0", "1",
    or empty: runs of whitespace), with maxsplit left out or drawn; the substrings themselves
    (a tensor whose last dim is the largest count) stay inside the model."""

    name, onnx_ops, exportable, min_opset = "StringSplit", ("Cast", "StringSplit"), False, 20
    dtypes = TEXT_INTS

    def sample_attrs(self, b, types):
        c = b.choices
        return {"delimiter": c.choice(["-", "0", "1", ""]), "maxsplit": c.choice([None, None, 1, 2])}

    def infer(self, types, attrs):
        return [types[0].with_dtype(DType.int64)]

    def torch(self, ctx, attrs, a):
        return f"{_call('split_counts')}({a[0]}, {attrs['delimiter']!r}, {attrs['maxsplit']!r})"

    def onnx(self, ctx, attrs, a, outs):
        pieces = ctx.fresh("pieces")
        ctx.node("StringSplit", [_text(ctx, a[0])], [pieces, outs[0]], delimiter=attrs["delimiter"] or None,
                 maxsplit=attrs["maxsplit"])


class StringNormalizer(OpSpec):
    """Case change (LOWER, UPPER, NONE) of decimal texts, with stop words that never occur in
    one (letters, a "+" sign), case-sensitive or not, read back as integers: x again. Only
    [C] and [1, C] inputs are allowed. locale "C" is always spelled: ORT's default locale
    (en_US.UTF-8) needs a language pack this machine may not have."""

    name, onnx_ops, exportable, min_rank, max_rank = "StringNormalizer", ("Cast", "StringNormalizer"), False, 1, 2
    dtypes = TEXT_INTS

    def accepts(self, t):
        return super().accepts(t) and (t.rank == 1 or t.shape[0] == 1)

    def sample_attrs(self, b, types):
        c = b.choices
        return {"case_change_action": c.choice(["LOWER", "UPPER", "NONE"]), "is_case_sensitive": c.integer(0, 1),
                "stopwords": c.choice([[], ["a", "The"], ["+1", "x"]])}

    infer = staticmethod(same_type)

    def torch(self, ctx, attrs, a):
        return f"{a[0]}.clone()"

    def onnx(self, ctx, attrs, a, outs):
        normal = ctx.node("StringNormalizer", [_text(ctx, a[0])], 1, case_change_action=attrs["case_change_action"],
                          is_case_sensitive=attrs["is_case_sensitive"], stopwords=attrs["stopwords"] or None, locale="C")[0]
        ctx.node("Cast", [normal], outs, to=ctx.elem(ctx.types[a[0]].dtype))
