"""UNet encoder and decoder stages: double conv then 2x2 max-pool going down; a stride-2
transposed conv (or, in the lighter variant, bilinear upsampling and a 1x1 conv) going up,
concatenated with the skip connection, then a double conv."""
from __future__ import annotations

from fuzzer.ir import Graph
from seeds._build import SeedBuilder


def double_conv(s: SeedBuilder, x, cout: int):
    y = s.op("relu", s.batch_norm(s.conv(x, cout, 3, padding=1, bias=False)))
    return s.op("relu", s.batch_norm(s.conv(y, cout, 3, padding=1, bias=False)))


def down() -> Graph:
    s = SeedBuilder(501)
    x = s.input(1, 4, 8, 8)
    skip = double_conv(s, x, 8)
    pooled = s.op("max_pool2d", skip, kernel_size=2, stride=2)
    return s.finish(pooled, skip)


def up() -> Graph:
    s = SeedBuilder(502)
    low = s.input(1, 16, 4, 4)
    skip = s.input(1, 8, 8, 8)
    upsampled = s.op("conv_transpose2d", low, s.weight(16, 8, 2, 2), s.weight(8), stride=2)
    merged = s.op("cat", skip, upsampled, dim=1)
    return s.finish(double_conv(s, merged, 8))


def up_bilinear() -> Graph:
    s = SeedBuilder(503)
    low = s.input(1, 16, 4, 4)
    skip = s.input(1, 8, 8, 8)
    upsampled = s.op("interpolate", low, mode="bilinear", scale_factor=2.0, align_corners=False)
    upsampled = s.conv(upsampled, 8, 1)
    merged = s.op("cat", skip, upsampled, dim=1)
    return s.finish(double_conv(s, merged, 8))
