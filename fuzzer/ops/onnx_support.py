"""Shared helpers for the ONNX-only op specs (the fuzzer/ops/onnx_*.py modules).

Those specs are never exported from torch: their `torch` lowering is only the
float64 ground truth, written from the ONNX operator's documented semantics,
and their `onnx` lowering emits the ONNX op itself. A model may be built at
any opset from 13 (or the spec's min_opset) to the newest, and several ops
gained dtypes late (bfloat16 for Sinh at 22, float16 for IsInf at 20, ...).
Rather than drop those dtypes everywhere, `emit` asks the operator schema
whether the dtype is legal at the target opset and, when it is not, computes
in float32 between two Casts: the model stays valid at every opset and the
newer dtype is still exercised where ONNX allows it.
"""
from __future__ import annotations

from fuzzer.ir import DType
from fuzzer.ops.lowering import type_constraints, type_str


def allows(op: str, opset: int, dtype: DType, param: str = "T") -> bool:
    """Does ONNX op `op`, as defined at `opset`, accept dtype for type parameter `param`?"""
    allowed = type_constraints(op, opset)
    if param not in allowed:
        raise KeyError(f"{op} has no type parameter {param!r}")
    return type_str(dtype) in allowed[param]


def emit(ctx, op: str, args: list[str], outs: list[str], *, cast: tuple[int, ...] = (0,),
         cast_outs: tuple[int, ...] = (0,), param: str = "T", **attrs) -> None:
    """ctx.node(op, args, outs, **attrs), with the operands at positions `cast` and the
    outputs at `cast_outs` computed in float32 when op does not accept their dtype at ctx.opset.

    The dtype judged is that of args[cast[0]]. Only float dtypes are widened: an int dtype
    a schema refuses is a spec bug, which the checker then reports.
    """
    dtype = ctx.dtype(ctx.types[args[cast[0]]].dtype)
    if allows(op, ctx.opset, dtype, param) or not dtype.is_float:
        ctx.node(op, args, outs, **attrs)
        return
    f32 = ctx.elem(DType.float32)
    args = [ctx.node("Cast", [a], 1, to=f32)[0] if i in cast and a else a for i, a in enumerate(args)]
    tmp = [ctx.fresh("wide") if i in cast_outs else o for i, o in enumerate(outs)]
    ctx.node(op, args, tmp, **attrs)
    for i in cast_outs:
        ctx.node("Cast", [tmp[i]], [outs[i]], to=ctx.elem(dtype))


__all__ = ["allows", "emit"]
