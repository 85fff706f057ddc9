"""A post-norm transformer encoder layer: multi-head self-attention and a GELU MLP,
each with a residual connection and LayerNorm."""
from __future__ import annotations

from fuzzer.ir import Graph
from seeds._build import SeedBuilder

SEQ, DIM, HEADS, HIDDEN = 6, 16, 2, 32


def attention(s: SeedBuilder, x, heads: int):
    """Multi-head self-attention over x (batch, seq, dim): heads split by reshape/permute, then
    F.scaled_dot_product_attention, heads merged, output projection."""
    b, n, d = x.type.shape
    hd = d // heads

    def split(v):
        v = s.op("reshape", v, shape=[b, n, heads, hd])
        return s.op("permute", v, dims=[0, 2, 1, 3])

    q = split(s.op("linear", x, s.weight(d, d), s.weight(d)))
    k = split(s.op("linear", x, s.weight(d, d), s.weight(d)))
    v = split(s.op("linear", x, s.weight(d, d), s.weight(d)))
    ctx = s.op("scaled_dot_product_attention", q, k, v)  # softmax(q k^T / sqrt(hd)) v
    ctx = s.op("reshape", s.op("permute", ctx, dims=[0, 2, 1, 3]), shape=[b, n, d])
    return s.op("linear", ctx, s.weight(d, d), s.weight(d))


def encoder_layer() -> Graph:
    s = SeedBuilder(301)
    x = s.input(1, SEQ, DIM)
    h = s.layer_norm(s.op("add", x, attention(s, x, HEADS)))
    ff = s.op("linear", h, s.weight(HIDDEN, DIM), s.weight(HIDDEN))
    ff = s.op("gelu", ff, approximate="none")
    ff = s.op("linear", ff, s.weight(DIM, HIDDEN), s.weight(DIM))
    return s.finish(s.layer_norm(s.op("add", h, ff)))
