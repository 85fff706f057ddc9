"""ResNet residual blocks (He et al.): the basic block and the bottleneck with a projection shortcut."""
from __future__ import annotations

from fuzzer.ir import Graph
from seeds._build import SeedBuilder


def basic() -> Graph:
    """conv3x3-BN-ReLU-conv3x3-BN, plus the identity, then ReLU."""
    s = SeedBuilder(101)
    x = s.input(1, 8, 8, 8)
    y = s.op("relu", s.batch_norm(s.conv(x, 8, 3, padding=1, bias=False)))
    y = s.batch_norm(s.conv(y, 8, 3, padding=1, bias=False))
    return s.finish(s.op("relu", s.op("add", y, x)))


def bottleneck() -> Graph:
    """1x1 reduce, strided 3x3, 1x1 expand; the shortcut is a strided 1x1 projection."""
    s = SeedBuilder(102)
    x = s.input(1, 8, 8, 8)
    y = s.op("relu", s.batch_norm(s.conv(x, 4, 1, bias=False)))
    y = s.op("relu", s.batch_norm(s.conv(y, 4, 3, stride=2, padding=1, bias=False)))
    y = s.batch_norm(s.conv(y, 16, 1, bias=False))
    shortcut = s.batch_norm(s.conv(x, 16, 1, stride=2, bias=False))
    return s.finish(s.op("relu", s.op("add", y, shortcut)))
