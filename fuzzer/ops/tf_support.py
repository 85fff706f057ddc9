"""Helpers for `tf` lowerings shared by several op modules.

Everything TensorFlow is reached through the lowering context (`ctx.tf`), so
this module, like the whole op layer, imports no framework. The IR follows
torch: its layout is NCHW, and TF's CPU convolution and pooling kernels take
NHWC only, so those lowerings transpose around the TF op, as TF model authors'
code does (and as tf2onnx must then see through).

No op specs live here (the registry scans this module and finds none).
"""
from __future__ import annotations

from typing import ClassVar


def trunc(tf, q):
    """q rounded toward zero (tf2onnx has no handler for TF's truncating ops)."""
    return tf.where(q < 0, tf.math.ceil(q), tf.math.floor(q))


def channels_last(tf, x, nd: int):
    return tf.transpose(x, [0, *range(2, nd + 2), 1])


def channels_first(tf, x, nd: int):
    return tf.transpose(x, [0, nd + 1, *range(1, nd + 1)])


def batched(tf, x, nd: int, fn):
    """fn on an (N, C, *spatial) tensor; an unbatched (C, *spatial) one gets a batch of 1."""
    if x.shape.rank == nd + 1:
        return tf.squeeze(fn(tf.expand_dims(x, 0)), 0)
    return fn(x)


def clamp(ctx, x, lo, hi):
    """torch.clamp: min(max(x, lo), hi), so every element becomes hi when lo > hi; either bound
    may be None."""
    tf = ctx.tf

    def fn(x):
        if lo is not None:
            x = tf.math.maximum(x, tf.cast(lo, x.dtype))
        if hi is not None:
            x = tf.math.minimum(x, tf.cast(hi, x.dtype))
        return x

    return ctx.widen(fn, x)




class TfFunction:
    """Mixin (listed first among the bases) for an op that is one TensorFlow function of its
    operands: tf_fn, its dotted path under the tf module ("math.sin", "nn.selu"), computed in
    float32 for 16-bit floats and, where tf_ints is set, in int64 for int8/int16/uint8."""

    tf_fn: ClassVar[str]
    tf_ints: ClassVar[bool] = False

    def tf(self, ctx, attrs, a, types):
        fn = ctx.tf
        for part in self.tf_fn.split("."):
            fn = getattr(fn, part)
        return ctx.widen(fn, *a, ints=self.tf_ints)


__all__ = ["TfFunction", "batched", "channels_first", "channels_last", "clamp", "trunc"]
