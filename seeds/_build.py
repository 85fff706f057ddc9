"""A small builder for hand-written seed graphs.

Seeds are built from the same op specs the generator draws from: every node's
output types come from the spec's own `infer`, and attrs are written in the
exact form the spec's `sample_attrs` produces, so a seed is as valid as a
generated graph and mutation can treat it like one. Weights come from a fixed
numpy seed, so a seed graph is the same on every machine.
"""
from __future__ import annotations

import numpy as np

from fuzzer.ir import DType, Graph, TensorType, Value
from fuzzer.ops import MAX_NUMEL, get_spec

F32 = DType.float32


class SeedBuilder:
    def __init__(self, seed: int) -> None:
        self.graph = Graph()
        self.rng = np.random.default_rng(seed)

    def input(self, *shape: int, dtype: DType = F32, domain=None) -> Value:
        return self.graph.add_input(TensorType(dtype, shape), domain=domain)

    def weight(self, *shape: int, scale: float | None = None) -> Value:
        """A float32 parameter with a fan-in scaled spread, as initialized layers have."""
        if scale is None:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else int(shape[0])
            scale = 1.0 / np.sqrt(max(fan_in, 1))
        return self.graph.add_const(self.rng.uniform(-scale, scale, size=shape).astype(np.float32), F32)

    def const(self, array, dtype: DType = F32) -> Value:
        return self.graph.add_const(np.asarray(array, dtype=dtype.numpy), dtype)

    def op(self, name: str, *inputs: Value, **attrs) -> Value:
        """One node of op `name`; returns its first output."""
        return self.op_multi(name, *inputs, **attrs)[0]

    def op_multi(self, name: str, *inputs: Value, **attrs) -> list[Value]:
        spec = get_spec(name)
        outs = spec.infer([v.type for v in inputs], attrs)
        for t in outs:
            if t.numel > MAX_NUMEL:
                raise ValueError(f"seed op {name}: output {t} exceeds MAX_NUMEL")
        return self.graph.add_node(name, list(inputs), attrs, outs).outputs

    # -- blocks shared by several seeds -------------------------------------
    def conv(self, x: Value, cout: int, k: int, *, stride: int = 1, padding: int = 0, groups: int = 1,
             bias: bool = True) -> Value:
        cin = x.type.shape[1]
        w = self.weight(cout, cin // groups, k, k)
        args = [x, w] + ([self.weight(cout)] if bias else [])
        attrs: dict = {"padding": padding, "stride": stride}
        if groups != 1:
            attrs["groups"] = groups
        return self.op("conv2d", *args, **attrs)

    def has(self, name: str) -> bool:
        try:
            get_spec(name)
            return True
        except KeyError:
            return False

    def layer_norm(self, x: Value, eps: float = 1e-5) -> Value:
        """F.layer_norm over the last dim with an elementwise weight and bias."""
        d = x.type.shape[-1]
        w = self.const(1.0 + 0.1 * self.rng.standard_normal(d))
        b = self.const(0.1 * self.rng.standard_normal(d))
        return self.op("layer_norm", x, w, b, normalized_shape=[d], affine="wb", eps=eps)

    def batch_norm(self, x: Value, eps: float = 1e-5) -> Value:
        """F.batch_norm in inference mode, with running statistics and an affine weight and bias."""
        c = x.type.shape[1]
        mean = self.const(0.1 * self.rng.standard_normal(c))
        var = self.const(self.rng.uniform(0.5, 1.5, c))
        gamma = self.const(1.0 + 0.1 * self.rng.standard_normal(c))
        beta = self.const(0.1 * self.rng.standard_normal(c))
        return self.op("batch_norm", x, mean, var, gamma, beta, affine="wb", eps=eps)

    def finish(self, *outputs: Value) -> Graph:
        self.graph.outputs = list(outputs)
        return self.graph
