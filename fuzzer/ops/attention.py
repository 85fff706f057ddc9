"""Attention: F.scaled_dot_product_attention (masks, causal, scale, grouped-query heads) and
F.multi_head_attention_forward (self- or cross-attention with packed in-projection weights).

The direct ONNX lowerings are the MatMul/Softmax decomposition every opset has, which is
also what torch exporters emit before opset 23's Attention.

A boolean mask is a constant with at least one True in every row: a row masked out
entirely is a softmax over nothing, NaN in torch, and no runtime can be held to that.
"""
from __future__ import annotations

import math

import numpy as np

from fuzzer.choices import rng_for
from fuzzer.ir import FLOATS, DType, TensorType
from fuzzer.ops.base import DrawsWithNotes, OpSpec, py
from fuzzer.ops.lowering import Lit



def last_two_swapped(rank: int) -> list[int]:
    return list(range(rank - 2)) + [rank - 1, rank - 2]


class ScaledDotProductAttention(DrawsWithNotes, OpSpec):
    """F.scaled_dot_product_attention(q, k, v, attn_mask, is_causal, scale, enable_gqa)."""

    name, onnx_ops = "scaled_dot_product_attention", ("Attention", "MatMul", "Softmax", "Where")
    dtypes = FLOATS
    min_rank, max_rank = 3, 4

    def draw_operands(self, b, q, note):
        c = b.choices
        dtype, shape = q.type.dtype, q.type.shape
        *batch, L, E = shape
        S, Ev = c.integer(1, 6), c.choice([E, c.integer(1, 6)])
        kv_batch = list(batch)
        note.gqa = False
        if len(batch) == 2 and c.boolean(0.3):
            groups = [g for g in range(2, batch[1] + 1) if batch[1] % g == 0]
            if groups:
                kv_batch[1] = batch[1] // c.choice(groups)
                note.gqa = True
        k = b.operand(TensorType(dtype, tuple(kv_batch) + (S, E)))
        v = b.operand(TensorType(dtype, tuple(kv_batch) + (S, Ev)))
        note.mask = c.choice(["none", "none", "bool", "float", "causal"])
        ops = [q, k, v]
        if note.mask in ("bool", "float"):
            full = tuple(batch) + (L, S)
            mshape = full[c.integer(0, len(full) - 2):]
            mshape = tuple(1 if i < len(mshape) - 2 and c.boolean(0.5) else s for i, s in enumerate(mshape))
            if note.mask == "bool":
                m = rng_for(c).random(mshape) < 0.7
                m[..., 0] = True  # no row masked out entirely
                ops.append(b.graph.add_const(np.ascontiguousarray(m), DType.bool))
            else:
                ops.append(b.operand(TensorType(dtype, mshape)))
        return ops

    def draw_attrs(self, b, types, note):
        c = b.choices
        attrs: dict = {}
        if note.mask == "causal":
            attrs["is_causal"] = True
        if c.boolean(0.4):
            attrs["scale"] = c.choice([0.125, 0.5, 1.0, 2.0])
        if note.gqa:
            attrs["enable_gqa"] = True
        return attrs

    def infer(self, types, attrs):
        q, v = types[0], types[2]
        return [q.with_shape(q.shape[:-1] + v.shape[-1:])]

    def torch(self, ctx, attrs, a):
        kw = f", attn_mask={a[3]}" if len(a) == 4 else ""
        kw += "".join(f", {k}={py(attrs[k])}" for k in ("is_causal", "scale", "enable_gqa") if k in attrs)
        return f"F.scaled_dot_product_attention({a[0]}, {a[1]}, {a[2]}{kw})"

    def onnx(self, ctx, attrs, a, outs):
        q, k = ctx.types[a[0]], ctx.types[a[1]]
        rank, L, E, S = q.rank, q.shape[-2], q.shape[-1], k.shape[-2]
        if ctx.opset >= 23 and rank == 4:
            # opset 23's Attention takes torch's (B, H, L, E) layout, masks, causal, scale and
            # grouped heads as they are
            ctx.node("Attention", list(a), outs, is_causal=1 if attrs.get("is_causal") else None,
                     scale=float(attrs["scale"]) if "scale" in attrs else None)
            return
        key, value = a[1], a[2]
        if q.rank == 4 and k.shape[1] != q.shape[1]:
            # grouped heads: query head h reads key/value head h // group (repeat_interleave)
            group = q.shape[1] // k.shape[1]
            heads = ctx.ints([h // group for h in range(q.shape[1])])
            key = ctx.node("Gather", [key, heads], axis=1)[0]
            value = ctx.node("Gather", [value, heads], axis=1)[0]
        kt = ctx.node("Transpose", [key], perm=last_two_swapped(rank))[0]
        scores = ctx.node("MatMul", [a[0], kt])[0]
        scale = attrs.get("scale", 1.0 / math.sqrt(E))
        scores = ctx.node("Mul", [scores, ctx.scalar(scale, q.dtype)])[0]
        # Where takes bfloat16 only from opset 16: ctx.widen computes older ones in float32
        if attrs.get("is_causal"):
            keep = ctx.const(np.tril(np.ones((L, S), dtype=bool)))
            scores = ctx.widen("Where", [keep, scores, Lit(-np.inf)], 1, q.dtype, keep=(0,), index=1)[0]
        if len(a) == 4:
            if ctx.types[a[3]].dtype == DType.bool:
                scores = ctx.widen("Where", [a[3], scores, Lit(-np.inf)], 1, q.dtype, keep=(0,), index=1)[0]
            else:
                scores = ctx.node("Add", [scores, a[3]])[0]
        attn = ctx.node("Softmax", [scores], axis=-1)[0]
        ctx.node("MatMul", [attn, value], outs)


class MultiHeadAttention(DrawsWithNotes, OpSpec):
    """F.multi_head_attention_forward(query, key, value, E, num_heads, in_proj_weight,
    in_proj_bias, None, None, False, 0.0, out_proj_weight, out_proj_bias, training=False,
    need_weights=False)[0]: x is (L, N, E) or unbatched (L, E); key = value = x
    (self-attention) or a second (S, N, E) operand (cross-attention)."""

    name, onnx_ops = "multi_head_attention", ("MatMul", "Transpose", "Reshape", "Softmax")
    dtypes = frozenset({DType.float32, DType.float64})
    min_rank, max_rank = 2, 3

    def draw_operands(self, b, x, note):
        c = b.choices
        dtype, shape = x.type.dtype, x.type.shape
        E = shape[-1]
        ops = [x]
        note.cross = c.boolean(0.4)
        if note.cross:
            ops.append(b.operand(TensorType(dtype, (c.integer(1, 6),) + shape[1:])))
        note.bias = c.boolean(0.7)
        ops.append(b.operand(TensorType(dtype, (3 * E, E)), weight=True))
        if note.bias:
            ops.append(b.operand(TensorType(dtype, (3 * E,)), weight=True))
        ops.append(b.operand(TensorType(dtype, (E, E)), weight=True))
        if note.bias:
            ops.append(b.operand(TensorType(dtype, (E,)), weight=True))
        return ops

    def draw_attrs(self, b, types, note):
        E = types[0].shape[-1]
        heads = b.choices.choice([h for h in range(1, E + 1) if E % h == 0])
        return {"num_heads": heads, "cross": note.cross, "bias": note.bias}

    def infer(self, types, attrs):
        return [types[0]]

    def split(self, attrs, a):
        """(query, key/value, in_w, in_b, out_w, out_b) names, None for an absent bias."""
        rest = list(a)
        x = rest.pop(0)
        mem = rest.pop(0) if attrs["cross"] else x
        in_w = rest.pop(0)
        in_b = rest.pop(0) if attrs["bias"] else None
        out_w = rest.pop(0)
        out_b = rest.pop(0) if attrs["bias"] else None
        return x, mem, in_w, in_b, out_w, out_b

    def torch(self, ctx, attrs, a):
        x, mem, in_w, in_b, out_w, out_b = self.split(attrs, a)
        E = f"{x}.shape[-1]"
        return (f"F.multi_head_attention_forward({x}, {mem}, {mem}, {E}, {attrs['num_heads']}, {in_w}, "
                f"{in_b}, None, None, False, 0.0, {out_w}, {out_b}, training=False, need_weights=False)[0]")

    def onnx(self, ctx, attrs, a, outs):
        x, mem, in_w, in_b, out_w, out_b = self.split(attrs, a)
        t = ctx.types[x]
        E, H = t.shape[-1], attrs["num_heads"]
        Dh = E // H
        unbatched = t.rank == 2
        if unbatched:
            x = ctx.node("Unsqueeze", [x, ctx.ints([1])])[0]
            mem = x if mem == a[0] else ctx.node("Unsqueeze", [mem, ctx.ints([1])])[0]
        L = t.shape[0]
        N = 1 if unbatched else t.shape[1]
        S = ctx.types[a[1]].shape[0] if attrs["cross"] else L

        def project(src, i, length):
            w = ctx.node("Slice", [in_w, ctx.ints([i * E]), ctx.ints([(i + 1) * E]), ctx.ints([0])])[0]
            y = ctx.node("MatMul", [src, ctx.node("Transpose", [w], perm=[1, 0])[0]])[0]
            if in_b is not None:
                bias = ctx.node("Slice", [in_b, ctx.ints([i * E]), ctx.ints([(i + 1) * E]), ctx.ints([0])])[0]
                y = ctx.node("Add", [y, bias])[0]
            # (len, N, E) -> (N*H, len, Dh), torch's head layout
            y = ctx.node("Reshape", [y, ctx.ints([length, N * H, Dh])])[0]
            return ctx.node("Transpose", [y], perm=[1, 0, 2])[0]

        q, k, v = project(x, 0, L), project(mem, 1, S), project(mem, 2, S)
        scores = ctx.node("MatMul", [q, ctx.node("Transpose", [k], perm=[0, 2, 1])[0]])[0]
        scores = ctx.node("Mul", [scores, ctx.scalar(1.0 / math.sqrt(Dh), t.dtype)])[0]
        y = ctx.node("MatMul", [ctx.node("Softmax", [scores], axis=-1)[0], v])[0]
        y = ctx.node("Reshape", [ctx.node("Transpose", [y], perm=[1, 0, 2])[0], ctx.ints([L, N, E])])[0]
        y = ctx.node("MatMul", [y, ctx.node("Transpose", [out_w], perm=[1, 0])[0]])[0]
        if out_b is not None:
            y = ctx.node("Add", [y, out_b])[0]
        if unbatched:
            ctx.node("Squeeze", [y, ctx.ints([1])], outs)
        else:
            ctx.node("Identity", [y], outs)
