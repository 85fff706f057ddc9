"""Helpers for `onnx` lowerings: computing in a dtype the ONNX schema accepts.

The IR's dtype tables follow torch, and ONNX schemas accept fewer types at
older opsets (Relu has no ints before 14, Div no int8 before 14, most ops no
bfloat16 before 13 or even 22). Rather than hand-writing one table per op and
opset, the schema registry that ships with onnx is asked which types an op
accepts at the target opset; an unaccepted dtype is cast to the nearest wider
one the op accepts, and the result cast back. Widening is exact for the values
a case holds (ints in float64 up to 2**53, float16/bfloat16 in float32), so the
lowered model computes what torch does.

No op specs live here (the registry scans this module and finds none).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from fuzzer.errors import OlderFormMissing
from fuzzer.ir import DType

#: the dtypes tried, in order, when an op does not accept a dtype at an opset
WIDER: dict[DType, tuple[DType, ...]] = {
    DType.float16: (DType.float32, DType.float64),
    DType.bfloat16: (DType.float32, DType.float64),
    DType.float32: (DType.float64,),
    DType.float64: (DType.float32,),  # last resort; no op used here needs it
    DType.int8: (DType.int16, DType.int32, DType.int64, DType.float32, DType.float64),
    DType.uint8: (DType.int16, DType.int32, DType.int64, DType.float32, DType.float64),
    DType.int16: (DType.int32, DType.int64, DType.float32, DType.float64),
    DType.int32: (DType.int64, DType.float64),
    DType.int64: (DType.float64,),
    DType.bool: (DType.int32, DType.int64, DType.float32),
}

_TYPE_STR = {
    DType.float16: "tensor(float16)", DType.bfloat16: "tensor(bfloat16)", DType.float32: "tensor(float)",
    DType.float64: "tensor(double)", DType.int8: "tensor(int8)", DType.uint8: "tensor(uint8)",
    DType.int16: "tensor(int16)", DType.int32: "tensor(int32)", DType.int64: "tensor(int64)",
    DType.bool: "tensor(bool)",
}


def onnx_elem_type(dtype: DType) -> int:
    from onnx import TensorProto

    return {
        DType.float16: TensorProto.FLOAT16,
        DType.bfloat16: TensorProto.BFLOAT16,
        DType.float32: TensorProto.FLOAT,
        DType.float64: TensorProto.DOUBLE,
        DType.int8: TensorProto.INT8,
        DType.uint8: TensorProto.UINT8,
        DType.int16: TensorProto.INT16,
        DType.int32: TensorProto.INT32,
        DType.int64: TensorProto.INT64,
        DType.bool: TensorProto.BOOL,
    }[DType(dtype)]


def newest_opset() -> int:
    """The newest default-domain opset the installed onnx defines."""
    try:
        import onnx.defs

        return onnx.defs.onnx_opset_version()
    except Exception:  # onnx missing: the plugins say they are unavailable, ops cannot lower anyway
        return 21


def type_str(dtype: DType) -> str:
    """The schema's spelling of a tensor dtype: "tensor(float)", "tensor(bfloat16)", ..."""
    return _TYPE_STR[DType(dtype)]


def _schema(op: str, opset: int):
    """The schema of op in force at opset; NotImplementedError when the op does not exist yet
    (a model at that opset cannot hold it: fuzzer.materialize.onnx_model.lowest_opset)."""
    import onnx.defs

    try:
        return onnx.defs.get_schema(op, opset, "")
    except onnx.defs.SchemaError:
        raise OlderFormMissing(f"{op} does not exist at opset {opset}") from None


@lru_cache(maxsize=None)
def type_constraints(op: str, opset: int) -> dict[str, frozenset[str]]:
    """Type parameter -> the type strings ONNX op (default domain) allows for it at opset."""
    import onnx.defs

    schema = _schema(op, opset)
    return {c.type_param_str: frozenset(c.allowed_type_strs) for c in schema.type_constraints}


@lru_cache(maxsize=None)
def accepts(op: str, opset: int, dtype: DType, index: int | None = None) -> bool:
    """Whether ONNX op (default domain) at opset takes dtype as its input `index`; None means
    its first input of a polymorphic type (Where's first takes only bool: its data comes next)."""
    import onnx.defs

    schema = _schema(op, opset)
    allowed = type_constraints(op, opset)
    if index is None:
        index = next((i for i, f in enumerate(schema.inputs) if len(allowed.get(f.type_str, ())) > 1), 0)
    formal = schema.inputs[min(index, len(schema.inputs) - 1)]
    return type_str(dtype) in allowed.get(formal.type_str, {formal.type_str})


def compute_dtype(ctx, dtype: DType, *ops: str, index: int | None = None) -> DType:
    """The dtype to compute ops in for an IR value of dtype: dtype itself when every op takes
    it (as its input `index`) at ctx.opset, else the first of WIDER[dtype] that they all take."""
    dtype = ctx.dtype(dtype)
    for cand in (dtype, *WIDER[dtype]):
        if all(accepts(op, ctx.opset, cand, index) for op in ops):
            return cand
    raise OlderFormMissing(f"no dtype near {dtype} is accepted by {', '.join(ops)} at opset {ctx.opset}")


def cast(ctx, name: str, src: DType, dst: DType) -> str:
    """name cast from src to dst (the same name when they agree)."""
    src, dst = ctx.dtype(src), ctx.dtype(dst)
    if src == dst:
        return name
    return ctx.node("Cast", [name], 1, to=ctx.elem(dst))[0]


class Lit:
    """A literal operand of OnnxContext.widen: a 0-d (or n-d) initializer in the compute dtype."""

    def __init__(self, value: Any) -> None:
        self.value = value


def target(ctx, ct: DType, dtype: DType, out: str) -> str:
    """The name a lowering computing in ct writes its last node to: out itself when ct is
    out's dtype, else a fresh name that close() casts into out."""
    return out if ctx.dtype(ct) == ctx.dtype(dtype) else ctx.fresh("wide")


def close(ctx, name: str, ct: DType, dtype: DType, out: str) -> None:
    """Cast name (computed in ct) into out (of dtype), unless target() already named it out."""
    if name != out:
        ctx.node("Cast", [name], [out], to=ctx.elem(dtype))


# -- ops whose operands moved from attributes to inputs --------------------------------
# A lowering writes these in their newest form (axes as an input); the materializer rewrites a
# node into the form of the op version in force at the target opset (axes as an attribute
# before ReduceSum 13 and the other reductions 18, Squeeze/Unsqueeze 13): see
# fuzzer.materialize.opset_forms.
def reduce(ctx, op: str, x: str, axes, keepdims: bool, outs=1, *, dtype: DType | None = None, **attrs) -> list[str]:
    """ReduceX(x) over axes (None: every axis); with x's dtype given, computed in a dtype the op
    takes at ctx.opset (ReduceMin and ReduceMax take int8 from 12), cast back."""
    ins = [x] if axes is None else [x, ctx.ints(axes)]
    if dtype is None:
        return ctx.node(op, ins, outs, keepdims=int(keepdims), **attrs)
    return ctx.widen(op, ins, outs, dtype, keep=(1,), keepdims=int(keepdims), **attrs)


def unsqueeze(ctx, x: str, axes, outs=1) -> list[str]:
    return ctx.node("Unsqueeze", [x, ctx.ints(axes)], outs)


def squeeze(ctx, x: str, axes, outs=1) -> list[str]:
    return ctx.node("Squeeze", [x, ctx.ints(axes)], outs)


__all__ = ["Lit", "WIDER", "accepts", "onnx_elem_type", "type_constraints", "type_str", "cast", "close", "compute_dtype", "reduce", "squeeze", "target", "unsqueeze"]
