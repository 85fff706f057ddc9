"""softmax and log_softmax over any dim (negative too), with the optional dtype= keyword."""
from __future__ import annotations

from typing import ClassVar

from fuzzer.ir import FLOATS, DType
from fuzzer.ops.base import OpSpec


class SoftmaxLike(OpSpec):
    """fn(x, dim=d[, dtype=t]); dtype= casts the input before the op (float32 -> float64 is the
    common use, a downcast is legal too). A rank-0 input takes dim 0 or -1."""

    fn: ClassVar[str]
    dtypes = FLOATS

    def sample_attrs(self, b, types):
        c = b.choices
        rank = types[0].rank
        d = c.integer(0, max(rank, 1) - 1)
        attrs: dict = {"dim": d - max(rank, 1) if c.boolean(0.5) else d}
        if c.boolean(0.3):
            dtype = types[0].dtype
            # widening to float64 is the form models use; any other float is valid as well
            wide = DType.float64 if dtype != DType.float64 and DType.float64 in b.config.dtypes else None
            others = sorted((FLOATS & b.config.dtypes) - {dtype}, key=str)
            if wide is not None and c.boolean(0.7):
                attrs["dtype"] = wide
            elif others:
                attrs["dtype"] = c.choice(others)
        return attrs

    def infer(self, types, attrs):
        x = types[0]
        return [x.with_dtype(attrs["dtype"]) if attrs.get("dtype") is not None else x]

    def torch(self, ctx, attrs, a):
        kw = f", dtype={ctx.dtype(attrs['dtype'])}" if attrs.get("dtype") is not None else ""
        return f"{self.fn}({a[0]}, dim={attrs['dim']!r}{kw})"


class Softmax(SoftmaxLike):
    name, fn, onnx_ops = "softmax", "F.softmax", ("Softmax",)


class LogSoftmax(SoftmaxLike):
    name, fn, onnx_ops = "log_softmax", "F.log_softmax", ("LogSoftmax",)
