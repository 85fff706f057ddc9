"""Rewrite motifs of ONNX Runtime's activation and normalization fusions: Gelu (erf and tanh forms),
QuickGelu, BiasGelu, LayerNorm, SimplifiedLayerNorm (RMS), SkipLayerNorm, Gemm + activation.

The guards a draw may break are those of fuzzer.ops.motifs_ort; the truths are the
unfused subgraphs in float64. A Gelu or LayerNorm subgraph becomes ONNX's own op in
level 1 when the model's opset has it (Gelu 20, LayerNormalization 17: GeluFusionL1,
LayerNormFusionL1) and com.microsoft's in level 2 below that (GeluFusionL2,
LayerNormFusionL2); those motifs are tested at one opset of each kind.
"""
from __future__ import annotations

from typing import ClassVar

from fuzzer.ir import DType, TensorType
from fuzzer.ops.base import py
from fuzzer.ops.motifs_ort import (ACTIVATIONS, CUBIC, F32, SQRT2, TANH_GELU, OrtMotif, activation_onnx,
                                   activation_src, draw_activation, outs_of)


def reduce_mean(ctx, x: str, axes: list[int], out=1) -> str:
    """ReduceMean keeping dims, with axes as an attribute before opset 18 and an input from 18."""
    if ctx.opset >= 18:
        return ctx.node("ReduceMean", [x, ctx.ints(axes)], out, keepdims=1)[0]
    return ctx.node("ReduceMean", [x], out, axes=list(axes), keepdims=1)[0]


def commuted(pair: list[str], swap: bool) -> list[str]:
    return pair[::-1] if swap else pair


# -- Gelu family ----------------------------------------------------------------------------
class Gelu(OrtMotif):
    """x * 0.5 * (1 + erf(x / sqrt(2))), in either association and operand order -> Gelu
    (GeluFusionL1 at opset 20+, com.microsoft Gelu by GeluFusionL2 below). Broken: the divisor
    not sqrt(2) (value), the 0.5 a graph input (input), tap."""

    name = "motif_ort_gelu"
    rewrites = (("onnxruntime", "GeluFusionL1"), ("onnxruntime", "GeluFusionL2"))
    # ORT has no float64 Erf kernel, and fuses float16 at one level only
    dtypes = frozenset({F32})
    guards = ("value", "input", "tap")
    ort_opsets = (13, 20)

    def pattern(self, b, x, broken):
        c = b.choices
        ops = [x]
        if broken == "input":
            ops.append(b.new_input(TensorType(x.type.dtype, ()), domain=(0.25, 0.75)))
        return ops, {"div": 1.5 if broken == "value" else SQRT2, "half_first": c.boolean(0.5),
                     "swap": [c.boolean(0.5) for _ in range(3)]}

    def infer(self, types, attrs):
        return self.tapped(attrs, types[0], types[0])

    def torch(self, ctx, attrs, a):
        half = a[1] if len(a) > 1 else "0.5"
        e = f"torch.erf({a[0]} / {py(attrs['div'])})"
        body = f"({a[0]} * {half} * (1 + e), e)" if attrs.get("broken") == "tap" else f"{a[0]} * {half} * (1 + e)"
        return f"(lambda e: {body})({e})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        dt = ctx.types[a[0]].dtype
        x, sw = a[0], attrs["swap"]
        half = a[1] if len(a) > 1 else ctx.scalar(0.5, dt)
        d = ctx.node("Div", [x, ctx.scalar(attrs["div"], dt)], 1)[0]
        e = ctx.node("Erf", [d], [tap] if tap else 1)[0]
        one = ctx.node("Add", commuted([e, ctx.scalar(1.0, dt)], sw[0]), 1)[0]
        if attrs["half_first"]:
            h = ctx.node("Mul", commuted([x, half], sw[1]), 1)[0]
            ctx.node("Mul", commuted([h, one], sw[2]), [out])
        else:
            m = ctx.node("Mul", commuted([x, one], sw[1]), 1)[0]
            ctx.node("Mul", commuted([m, half], sw[2]), [out])


class BiasGelu(OrtMotif):
    """Add(x, bias along the last dim) -> erf Gelu -> com.microsoft BiasGelu (GeluFusionL2, then
    BiasGeluFusion). Broken: a bias of x's full shape (shape), tap on the Add."""

    name = "motif_ort_bias_gelu"
    rewrites = (("onnxruntime", "GeluFusionL2"), ("onnxruntime", "BiasGeluFusion"))
    dtypes = frozenset({F32})
    min_rank = 2
    guards = ("shape", "tap")

    def pattern(self, b, x, broken):
        c = b.choices
        shape = x.type.shape if broken == "shape" else x.type.shape[-1:]
        if broken == "shape" and x.type.numel == x.type.shape[-1]:
            broken = "tap"
            shape = x.type.shape[-1:]
        bias = b.operand(TensorType(x.type.dtype, shape), weight=c.boolean(0.7))
        return [x, bias], {"swap": c.boolean(0.5), "broken": broken}

    def infer(self, types, attrs):
        return self.tapped(attrs, types[0], types[0])

    def torch(self, ctx, attrs, a):
        g = f"z * 0.5 * (1 + torch.erf(z / {py(SQRT2)}))"
        return f"(lambda z: {'(' + g + ', z)' if attrs.get('broken') == 'tap' else g})({a[0]} + {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        dt = ctx.types[a[0]].dtype
        z = ctx.node("Add", commuted(a[:2], attrs["swap"]), [tap] if tap else 1)[0]
        e = ctx.node("Erf", [ctx.node("Div", [z, ctx.scalar(SQRT2, dt)], 1)[0]], 1)[0]
        m = ctx.node("Mul", [z, ctx.node("Add", [e, ctx.scalar(1.0, dt)], 1)[0]], 1)[0]
        ctx.node("Mul", [m, ctx.scalar(0.5, dt)], [out])


class FastGelu(OrtMotif):
    """The tanh form, 0.5x(1 + tanh(0.79788(x + 0.044715x^3))), written with x*x*x or Pow(x, 3),
    then a bias Add (the fusion leaves a subgraph whose last Mul is a graph output alone) ->
    com.microsoft FastGelu (FastGeluFusion, float32 on CPU; the Pow form up to Pow-13).
    Broken: the cubic coefficient 0.05 (value), tap, float16 or float64 x (dtype)."""

    name = "motif_ort_fast_gelu"
    rewrites = (("onnxruntime", "FastGeluFusion"),)
    dtypes = frozenset({F32, DType.float16, DType.float64})
    guards = ("value", "tap")

    def pattern(self, b, x, broken):
        c = b.choices
        bias = b.operand(TensorType(x.type.dtype, x.type.shape[-1:] if x.type.rank else ()), weight=True)
        return [x, bias], {"pow": c.boolean(0.5), "k": 0.05 if broken == "value" else CUBIC}

    def infer(self, types, attrs):
        return self.tapped(attrs, types[0], types[0])

    def torch(self, ctx, attrs, a):
        x = a[0]
        t = f"torch.tanh({py(TANH_GELU)} * ({x} + {py(attrs['k'])} * {x} * {x} * {x}))"
        g = f"0.5 * {x} * (1 + t) + {a[1]}"
        return f"(lambda t: {'(' + g + ', t)' if attrs.get('broken') == 'tap' else g})({t})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        x, dt = a[0], ctx.types[a[0]].dtype
        k = attrs["k"]
        if attrs["pow"]:
            p = ctx.node("Pow", [x, ctx.scalar(3.0, dt)], 1)[0]
            m1 = ctx.node("Mul", [p, ctx.scalar(0.044714998453855515 if k == CUBIC else k, dt)], 1)[0]
            inner = ctx.node("Mul", [ctx.node("Add", [x, m1], 1)[0], ctx.scalar(TANH_GELU, dt)], 1)[0]
        else:
            m1 = ctx.node("Mul", [x, ctx.scalar(k, dt)], 1)[0]
            a1 = ctx.node("Add", [ctx.node("Mul", [m1, x], 1)[0], ctx.scalar(1.0, dt)], 1)[0]
            inner = ctx.node("Mul", [a1, ctx.node("Mul", [x, ctx.scalar(TANH_GELU, dt)], 1)[0]], 1)[0]
        t = ctx.node("Tanh", [inner], [tap] if tap else 1)[0]
        a2 = ctx.node("Add", [t, ctx.scalar(1.0, dt)], 1)[0]
        m5 = ctx.node("Mul", [a2, ctx.node("Mul", [x, ctx.scalar(0.5, dt)], 1)[0]], 1)[0]
        ctx.node("Add", [m5, a[1]], [out])


class QuickGelu(OrtMotif):
    """x * Sigmoid(alpha * x) (alpha 1.702, or 1 spelled as x * Sigmoid(x)) -> com.microsoft QuickGelu
    (QuickGeluFusion). Broken: alpha a graph input (input), tap on the Sigmoid, float64 (dtype)."""

    name = "motif_ort_quick_gelu"
    rewrites = (("onnxruntime", "QuickGeluFusion"),)
    dtypes = frozenset({F32, DType.float16, DType.float64})
    fire_dtypes = frozenset({F32, DType.float16})
    guards = ("input", "tap")

    def pattern(self, b, x, broken):
        c = b.choices
        ops = [x]
        if broken == "input":
            ops.append(b.new_input(TensorType(x.type.dtype, ()), domain=(1.0, 2.0)))
        return ops, {"alpha": c.choice([1.702, 1.0, 0.5, 2.0]), "swap": c.boolean(0.5)}

    def infer(self, types, attrs):
        return self.tapped(attrs, types[0], types[0])

    def torch(self, ctx, attrs, a):
        alpha = a[1] if len(a) > 1 else py(attrs["alpha"])
        s = f"torch.sigmoid({a[0]} * {alpha})"
        return f"(lambda s: {'(' + a[0] + ' * s, s)' if attrs.get('broken') == 'tap' else a[0] + ' * s'})({s})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        x = a[0]
        if len(a) > 1:
            z = ctx.node("Mul", [x, a[1]], 1)[0]
        elif attrs["alpha"] == 1.0:
            z = x
        else:
            z = ctx.node("Mul", [x, ctx.scalar(attrs["alpha"], ctx.types[x].dtype)], 1)[0]
        s = ctx.node("Sigmoid", [z], [tap] if tap else 1)[0]
        ctx.node("Mul", commuted([x, s], attrs["swap"]), [out])


# -- layer norms ---------------------------------------------------------------------------
def _ln_src(x: str, eps: float, power: float, simplified: bool, gamma: str, beta: str | None, axis: int) -> str:
    d = "v" if simplified else f"(v - v.mean({axis}, keepdim=True))"
    var = f"({d} ** {py(power)}).mean({axis}, keepdim=True)"
    y = f"{d} / torch.sqrt({var} + {py(eps)}) * {gamma}" + (f" + {beta}" if beta else "")
    return f"(lambda v: {y})({x})"


class LayerNorm(OrtMotif):
    """The LayerNorm subgraph over the last axis (ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt,
    Div, Mul gamma, Add beta) -> LayerNormalization (LayerNormFusionL1 at opset 17+, com.microsoft's
    by LayerNormFusionL2 below). Broken: a reduction over another axis (attr), Pow 3 (value),
    tap on the mean, float64 x (dtype)."""

    name = "motif_ort_layer_norm"
    rewrites = (("onnxruntime", "LayerNormFusionL1"), ("onnxruntime", "LayerNormFusionL2"))
    # float16 fuses at level 1 only (LayerNormalization-17), so it is left out: it would be
    # on both sides of the guard by opset
    dtypes = frozenset({F32, DType.float64})
    min_rank = 2
    guards = ("attr", "value", "tap")
    ort_opsets = (13, 17)
    simplified: ClassVar[bool] = False

    def pattern(self, b, x, broken):
        c = b.choices
        r = x.type.rank
        axis = r - 1
        if broken == "attr":
            axis = c.integer(0, r - 2)
        spelled = axis - r if c.boolean(0.5) else axis
        n = x.type.shape[axis]
        shape = (n,) + (1,) * (r - 1 - axis)
        gamma = b.operand(TensorType(x.type.dtype, shape), weight=True)
        ops = [x, gamma]
        if not self.simplified:  # without the beta Add the subgraph is not matched
            ops.append(b.operand(TensorType(x.type.dtype, shape), weight=True))
        return ops, {"axis": spelled, "eps": c.choice([1e-5, 1e-6, 1e-12, 1e-3]),
                     "power": 3.0 if broken == "value" else 2.0}

    def infer(self, types, attrs):
        return self.tapped(attrs, types[0], types[0].with_shape(
            tuple(1 if i == attrs["axis"] % types[0].rank else d for i, d in enumerate(types[0].shape))))

    def torch(self, ctx, attrs, a):
        y = _ln_src(a[0], attrs["eps"], attrs["power"], self.simplified, a[1], a[2] if len(a) > 2 else None, attrs["axis"])
        if attrs.get("broken") == "tap":
            return f"({y}, {a[0]}.mean({attrs['axis']}, keepdim=True))"
        return y

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        x, dt, ax = a[0], ctx.types[a[0]].dtype, [attrs["axis"]]
        if self.simplified:
            d = x
        else:
            m = reduce_mean(ctx, x, ax)
            if tap:
                ctx.node("Identity", [m], [tap])
            d = ctx.node("Sub", [x, m], 1)[0]
        p = ctx.node("Pow", [d, ctx.scalar(attrs["power"], dt)], 1)[0]
        v = reduce_mean(ctx, p, ax, [tap] if tap and self.simplified else 1)
        s = ctx.node("Sqrt", [ctx.node("Add", [v, ctx.scalar(attrs["eps"], dt)], 1)[0]], 1)[0]
        n = ctx.node("Div", [d, s], 1)[0]
        if len(a) > 2:
            ctx.node("Add", [ctx.node("Mul", [n, a[1]], 1)[0], a[2]], [out])
        else:
            ctx.node("Mul", [n, a[1]], [out])


class SimplifiedLayerNorm(LayerNorm):
    """x / sqrt(mean(x^2) + eps) * gamma over the last axis -> SimplifiedLayerNormalization
    (SimplifiedLayerNormFusion). Broken as LayerNorm; the tap is on the mean of squares."""

    name = "motif_ort_simplified_layer_norm"
    rewrites = (("onnxruntime", "SimplifiedLayerNormFusion"),)
    ort_opsets = (13,)
    simplified = True

    def torch(self, ctx, attrs, a):
        y = _ln_src(a[0], attrs["eps"], attrs["power"], True, a[1], None, attrs["axis"])
        if attrs.get("broken") == "tap":
            return f"({y}, ({a[0]} ** {py(attrs['power'])}).mean({attrs['axis']}, keepdim=True))"
        return y


class SkipLayerNorm(OrtMotif):
    """Add(x, skip) -> LayerNorm subgraph over the last axis of a 3-D x, at opset 17 ->
    LayerNormalization (LayerNormFusionL1) -> com.microsoft SkipLayerNormalization
    (SkipLayerNormFusion). Broken: tap on the Add, float64 x (dtype)."""

    name = "motif_ort_skip_layer_norm"
    rewrites = (("onnxruntime", "LayerNormFusionL1"), ("onnxruntime", "SkipLayerNormFusion"))
    dtypes = frozenset({F32, DType.float64})
    min_rank = max_rank = 3
    guards = ("tap",)
    ort_opsets = (17,)

    def pattern(self, b, x, broken):
        c = b.choices
        n = x.type.shape[-1]
        skip = b.operand(x.type)
        ops = [x, skip, b.operand(TensorType(x.type.dtype, (n,)), weight=True),
               b.operand(TensorType(x.type.dtype, (n,)), weight=True)]
        return ops, {"eps": c.choice([1e-5, 1e-12]), "swap": c.boolean(0.5)}

    def infer(self, types, attrs):
        return self.tapped(attrs, types[0], types[0])

    def torch(self, ctx, attrs, a):
        y = _ln_src("z", attrs["eps"], 2.0, False, a[2], a[3], -1)
        return f"(lambda z: {'(' + y + ', z)' if attrs.get('broken') == 'tap' else y})({a[0]} + {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        dt = ctx.types[a[0]].dtype
        z = ctx.node("Add", commuted(a[:2], attrs["swap"]), [tap] if tap else 1)[0]
        m = reduce_mean(ctx, z, [-1])
        d = ctx.node("Sub", [z, m], 1)[0]
        v = reduce_mean(ctx, ctx.node("Pow", [d, ctx.scalar(2.0, dt)], 1)[0], [-1])
        s = ctx.node("Sqrt", [ctx.node("Add", [v, ctx.scalar(attrs["eps"], dt)], 1)[0]], 1)[0]
        ctx.node("Add", [ctx.node("Mul", [ctx.node("Div", [d, s], 1)[0], a[2]], 1)[0], a[3]], [out])


class GemmActivation(OrtMotif):
    """Gemm (transB drawn) -> Relu, Sigmoid, Tanh, LeakyRelu, HardSigmoid or Clip -> com.microsoft
    FusedGemm (GemmActivationFusion, float32 on CPU). Broken: tap; a Clip (attr: the fusion
    leaves Clip alone). (ORT has no float64 kernel of several of these activations, so float64
    is not drawn.)"""

    name = "motif_ort_gemm_activation"
    rewrites = (("onnxruntime", "GemmActivationFusion"),)
    dtypes = frozenset({F32})
    min_rank = max_rank = 2
    guards = ("tap", "attr")

    def pattern(self, b, x, broken):
        c = b.choices
        k, n = x.type.shape[1], c.integer(1, 6)
        trans_b = c.boolean(0.5)
        w = b.operand(TensorType(x.type.dtype, (n, k) if trans_b else (k, n)), weight=c.boolean(0.7))
        ops = [x, w]
        if c.boolean(0.7):
            ops.append(b.operand(TensorType(x.type.dtype, c.choice([(n,), (1, n)])), weight=True))
        return ops, {"trans_b": trans_b, "alpha_g": c.choice([1.0, 0.5]), **draw_activation(b, ["Clip"] if broken == "attr" else [a for a in ACTIVATIONS if a != "Clip"])}

    def infer(self, types, attrs):
        w = types[1].shape
        out = types[0].with_shape((types[0].shape[0], w[0] if attrs["trans_b"] else w[1]))
        return self.tapped(attrs, out, out)

    def torch(self, ctx, attrs, a):
        w = f"{a[1]}.T" if attrs["trans_b"] else a[1]
        y = f"{py(attrs['alpha_g'])} * torch.matmul({a[0]}, {w})" + (f" + {a[2]}" if len(a) > 2 else "")
        act = activation_src(attrs, "y")
        return f"(lambda y: {'(' + act + ', y)' if attrs.get('broken') == 'tap' else act})({y})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        y = ctx.node("Gemm", a, [tap] if tap else 1, transB=int(attrs["trans_b"]), alpha=float(attrs["alpha_g"]))[0]
        activation_onnx(ctx, attrs, y, [out], ctx.types[a[0]].dtype)
