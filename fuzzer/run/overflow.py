"""Is a truth judgeable? The overflow guard, per dtype and per op.

The float64 truth runs the graph's integer ops in their own dtypes, so it wraps where they
overflow, and it runs every float op in float64, so it stays finite where the graph's own
float16 or float32 would not. Neither is a result any runtime owes us. A draw is unjudgeable
(the inputs are redrawn; a graph with no judgeable draw is discarded) when:

- a float value is not finite in float64;
- an op's float16, bfloat16 or float32 output lies beyond that dtype's largest finite value;
- an op's signed integer result leaves its dtype's range (int8, int16, int32: the op computed
  again with those operands widened to int64 gives another value; int64: computed again in
  float64, the result lies beyond 2**63 or far from the int64 one). Signed overflow is undefined
  in C and C++, which the kernels are written in, and ONNX defines no wrap for Add, Mul, Sum,
  MatMul, CumSum, Abs or Neg, so a runtime may wrap, saturate or compute wider.
  Unsigned (uint8) arithmetic is judged as it wraps: modulo 2**8 is C's own rule for it, and
  what numpy and torch do.
- an op with arithmetic hidden inside it (a variance squares, celu divides by alpha, softmax
  and attention scale and exponentiate, a matmul sums products) takes a float operand near its
  dtype's limit (beyond the square root of its largest finite value; float16: beyond 65504 / 8):
  the op may overflow inside where torch's own formula does not, and the ONNX spec's formula
  often does (the reference evaluator's Celu, a float32 ReduceSumSquare). Ops whose result is
  one of their operands' values, or one IEEE operation on them (PASSIVE: moves, selections,
  comparisons, clamps, casts, add/sub/mul/div), are judged on any finite value. Likewise an op
  dividing by a norm or variance it computes (TINY_SENSITIVE) is not judged on tiny values
  (below the square root of the smallest normal one; float16: its subnormals), whose squares
  underflow inside (an Lp norm of the smallest normal float32 is 0);
- a Cast (or CastLike) from a float type to an integer type meets a value whose integer part
  is out of that type's range: the ONNX Cast spec calls that undefined. A Cast between integer
  types is judged as it wraps: the spec defines it ("discard higher bits").

So int64 values far beyond 2**31 are judged wherever no op overflows on them: gathered,
compared, concatenated, cast to float or to int32 (a Cast wraps by the spec).

Where the widened recomputation cannot run (an op that takes its int64 operands only as
indices, or a bitwise op on floats) no overflow is looked for: such ops move or mask values
and do not make them grow. An op whose lowering casts its result back to a narrow dtype itself
(einsum on int32 through int64) is not caught: its truth wraps as the lowering says.
"""
from __future__ import annotations

import functools

import numpy as np

from fuzzer.ir import DType, Graph
from fuzzer.ops import get_spec

NARROW_SIGNED = (DType.int8, DType.int16, DType.int32)
#: ops with no hidden intermediate: each output element is an operand's value, a comparison or
#: selection of them, or one IEEE operation on them (its overflow shows in the op's own output)
PASSIVE = frozenset("""
    abs neg sign relu relu6 hardtanh clamp clamp_max clamp_min threshold hardshrink softshrink Shrink
    ThresholdedRelu leaky_relu maximum minimum Max Min amax amin aminmax max_dim min_dim argmax argmin
    onnx.ArgMax onnx.ArgMin argsort sort topk onnx.TopK unique nonzero cast CastLike ceil floor trunc round frac
    eq ne lt le gt ge IsInf IsNaN where masked_fill cat chunk split slice flip roll permute transpose
    reshape flatten squeeze unsqueeze expand onnx.Expand repeat tile onnx.Tile onnx.Pad pad gather
    gather_nd GatherElements index_select take_along_dim embedding scatter pixel_shuffle pixel_unshuffle
    channel_shuffle DepthToSpace SpaceToDepth Compress ReverseSequence tril triu Trilu Shape Size
    EyeLike OneHot max_pool1d max_pool2d adaptive_max_pool1d adaptive_max_pool2d add sub mul div
""".split())
#: ops that divide by a magnitude they compute (a norm, a variance): a tiny operand's square
#: underflows there, and the quotient goes to 0 or inf where the exact one is finite. Elsewhere a
#: tiny value only moves results by about itself, far inside every tolerance
TINY_SENSITIVE = frozenset("""
    normalize LpNormalization cosine_similarity layer_norm group_norm instance_norm
    MeanVarianceNormalization local_response_norm LRN std std_mean var var_mean
""".split())
#: how far (relative) an int64 result may sit from its float64 recomputation: float rounding
#: of a few dozen operations, far below the 2**64 a wrap moves a value by
INT64_SLACK = 2.0**-40


def _float_max(dtype: DType) -> float:
    return float(_finfo(dtype).max)


def unjudgeable(graph: Graph, values: dict, consts: dict) -> str | None:
    """Why the truth traced into values ({value name: tensor}, every input and op output) is not
    a result to judge against, or None when it is. consts: {value name: tensor} of the constants."""
    import torch

    for name, t in values.items():
        if isinstance(t, torch.Tensor) and t.is_floating_point() and not torch.isfinite(t).all():
            return f"{name} is not finite"
    for node in graph.op_nodes:
        outs = [values.get(v.name) for v in node.outputs]
        for v, t in zip(node.outputs, outs):
            dt = v.type.dtype
            if dt in (DType.float16, DType.bfloat16, DType.float32) and isinstance(t, torch.Tensor) and t.numel():
                if t.is_floating_point() and t.abs().max().item() > _float_max(dt):
                    return f"{node.op_type} overflows {dt.value}"
        args = [values[v.name] if v.name in values else consts.get(v.name) for v in node.inputs]
        if any(not isinstance(a, torch.Tensor) for a in args):
            continue
        why = _near_limit(node, args) or _cast_out_of_range(node, args) or _int_overflow(node, args, outs)
        if why:
            return why
    return None


def _finfo(dtype: DType):
    if dtype == DType.bfloat16:
        import ml_dtypes

        return ml_dtypes.finfo(ml_dtypes.bfloat16)
    return np.finfo(dtype.numpy)


def judged_range(dtype: DType) -> tuple[float, float]:
    """(low, high): the nonzero float magnitudes an op with hidden arithmetic is judged on. Past
    high a square or a scaled exponent inside it overflows; below low a square underflows to 0 (a
    norm of the smallest normal float32 is 0 in float32, and x / norm then 0, not +-1). The
    square roots of the dtype's largest and smallest normal values; float16, whose kernels mostly
    compute in float32, only stays away from its largest values and its subnormals."""
    f = _finfo(dtype)
    top, tiny = float(f.max), float(f.tiny)
    if dtype == DType.float16:
        return tiny, top / 8
    return tiny ** 0.5, top ** 0.5


def _near_limit(node, args) -> str | None:
    if node.op_type in PASSIVE and not (node.op_type == "round" and node.attrs.get("decimals")):
        return None
    for v, a in zip(node.inputs, args):
        dt = v.type.dtype
        if not (dt.is_float and a.is_floating_point() and a.numel()):
            continue
        low, high = judged_range(dt)
        mag = a.abs()
        if mag.max().item() > high:
            return f"{node.op_type} takes {dt.value} values near the dtype's limit (it may overflow inside)"
        if node.op_type in TINY_SENSITIVE and ((mag > 0) & (mag < low)).any():
            return f"{node.op_type} takes tiny {dt.value} values (a square inside it may underflow)"
    return None


@functools.lru_cache(maxsize=None)
def _is_cast(op_type: str) -> bool:
    """Whether the op spec is one ONNX Cast or CastLike of its first operand to its output's type,
    whose float-to-int conversion the Cast spec leaves undefined out of range: the cast specs, and
    onnxoptimizer's nop-cast motif, whose broken form casts to another dtype (review 22's uint8 of
    -1.88)."""
    try:
        return tuple(get_spec(op_type).onnx_ops) in (("Cast",), ("CastLike",))
    except KeyError:  # an op no spec names (a plugin's, not installed here) is no cast
        return False


def _cast_out_of_range(node, args) -> str | None:
    if not _is_cast(node.op_type) or not args or not args[0].is_floating_point():
        return None
    to = node.outputs[0].type.dtype
    if not to.is_int:
        return None
    info = np.iinfo(to.numpy)
    x = args[0].double().trunc()
    if x.numel() and (x.min().item() < info.min or x.max().item() > info.max):
        return f"{node.op_type} of a float out of {to.value}'s range (undefined in ONNX)"
    return None


def _int_overflow(node, args, outs) -> str | None:
    """Does this op's exact integer result leave a signed output dtype's range?"""
    import torch

    int_outs = [i for i, v in enumerate(node.outputs) if v.type.dtype in (*NARROW_SIGNED, DType.int64)]
    if not int_outs or _is_cast(node.op_type):
        return None
    spec = get_spec(node.op_type)
    if spec.control_flow:
        return None
    dtypes = [DType(str(a.dtype).removeprefix("torch.")) if a.dtype != torch.bool else DType.bool for a in args]
    if any(d in NARROW_SIGNED for d in dtypes):
        wide = _recompute(spec, node, [a.long() if d in NARROW_SIGNED else a for a, d in zip(args, dtypes)])
        if wide is None:
            return None
        for i in int_outs:
            t, r = outs[i], wide[i] if i < len(wide) else None
            if not isinstance(t, torch.Tensor) or not isinstance(r, torch.Tensor):
                continue
            if t.dtype != torch.int64 and r.dtype == torch.int64 and r.shape == t.shape and not torch.equal(t.long(), r):
                return f"{node.op_type} overflows {node.outputs[i].type.dtype.value}"
        return None
    longs = [i for i, d in enumerate(dtypes) if d == DType.int64]
    if not longs or not any(node.outputs[i].type.dtype == DType.int64 for i in int_outs):
        return None
    # int64: computed again in float64, with every int64 operand as a float, else with all but one
    # (the one the op takes as indices)
    for keep in (None, *longs):
        floats = [a.double() if i in longs and i != keep else a for i, a in enumerate(args)]
        wide = _recompute(spec, node, floats)
        if wide is None:
            continue
        scale = max([float(a.abs().max().item()) for a in floats if a.is_floating_point() and a.numel()] + [0.0])
        for i in int_outs:
            t, r = outs[i], wide[i] if i < len(wide) else None
            if not isinstance(t, torch.Tensor) or not isinstance(r, torch.Tensor) or t.dtype != torch.int64:
                continue
            if not r.is_floating_point() or r.shape != t.shape or not r.numel():
                continue
            if not torch.isfinite(r).all() or r.abs().max().item() > 2.0**63:
                return f"{node.op_type} overflows int64"
            off = (r - t.double()).abs() - INT64_SLACK * (scale + r.abs())
            if off.max().item() > 1.0:
                return f"{node.op_type} overflows int64"
        return None
    return None


def _recompute(spec, node, args) -> list | None:
    """The node's torch lowering (its truth source) on args; None when it cannot run on them."""
    import torch
    import torch.nn.functional as F

    from fuzzer.materialize.torch_source import TorchSourceContext

    names = [f"_arg{i}" for i in range(len(args))]
    try:
        expr = spec.torch(TorchSourceContext(truth=True), node.attrs, names)
        with torch.no_grad():
            out = eval(expr, {"torch": torch, "F": F, **dict(zip(names, args))})  # noqa: S307 - our own lowering
    except Exception:  # the op takes these operands only as they were (indices, bitwise on ints)
        return None
    return list(out) if isinstance(out, (tuple, list)) else [out]


__all__ = ["unjudgeable"]
