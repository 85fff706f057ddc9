"""MobileNetV2 inverted residual: 1x1 expand, depthwise 3x3, linear 1x1 project, identity add."""
from __future__ import annotations

from fuzzer.ir import Graph
from seeds._build import SeedBuilder


def inverted_residual() -> Graph:
    s = SeedBuilder(201)
    x = s.input(1, 8, 8, 8)
    y = s.op("relu6", s.batch_norm(s.conv(x, 24, 1, bias=False)))
    y = s.op("relu6", s.batch_norm(s.conv(y, 24, 3, padding=1, groups=24, bias=False)))
    y = s.batch_norm(s.conv(y, 8, 1, bias=False))  # the projection is linear: no activation
    return s.finish(s.op("add", x, y))
