"""ViT patch embedding: a patch-sized strided conv, flattened to tokens, a class token
prepended, learned position embeddings added, then LayerNorm."""
from __future__ import annotations

from fuzzer.ir import Graph
from seeds._build import SeedBuilder

PATCH, DIM = 4, 16


def patch_embedding() -> Graph:
    s = SeedBuilder(601)
    x = s.input(1, 3, 16, 16)
    p = s.conv(x, DIM, PATCH, stride=PATCH)                  # (1, DIM, 4, 4)
    tokens = s.op("transpose", s.op("flatten", p, start_dim=2), dim0=1, dim1=2)  # (1, 16, DIM)
    cls = s.weight(1, 1, DIM, scale=0.02)
    tokens = s.op("cat", cls, tokens, dim=1)                  # (1, 17, DIM)
    tokens = s.op("add", tokens, s.weight(1, tokens.type.shape[1], DIM, scale=0.02))
    return s.finish(s.layer_norm(tokens))
