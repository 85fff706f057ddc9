"""Rewrite motifs of ONNX Runtime's graph transformers: the float fusions (level 1 and 2).

Each spec builds, as one IR node, the subgraph one ORT transformer rewrites, from
ORT's own list (onnxruntime/core/optimizer/graph_transformer_utils.cc) and the
preconditions in each transformer's source: op versions, dtypes (most CPU fusions
take float32 only), constant operands with exact values, a single consumer of every
intermediate. A draw keeps them all about 3 times in 4 (attrs["fires"]); otherwise
it breaks one, named in attrs["broken"]:
  dtype      x is a dtype the fusion does not take (float64, float16, an integer)
  input      an operand the rule needs constant is a graph input
  value      a constant differs from the value the pattern matches (0.5 -> 0.25)
  tap        an intermediate has a second consumer (it is also an output of the node)
  order      the operands of a commutative op swapped where the rule looks at one slot only
  attr       an attribute outside what the rule accepts (an axis, a perm, an alpha)
  shape      an operand shape the rule refuses (a bias that is not 1-D)
On the firing side the shapes, operand orders, axis spellings and constant values the
rule accepts vary too.

`rewrites` names the transformers as ORT's session log does ("GraphTransformer X
modified: 1"); the firing test (tests/unit/test_motif_firing_ort.py) builds each
motif alone as a direct ONNX model at each of `ort_opsets` and checks that the log
names every one of them. Every torch lowering is the float64 truth of the unfused
subgraph, written from the ONNX definitions; `exportable = False`: no torch exporter
emits these patterns as written.
"""
from __future__ import annotations

import math
from typing import Any, ClassVar

from fuzzer.ir import CONST, DType, TensorType, Value, broadcast_shapes
from fuzzer.ops.base import OpSpec, py
from fuzzer.ops.motif import FIRES, Motif

F32 = DType.float32
#: the constants of the erf and tanh forms of Gelu, as ORT's fusions compare them
SQRT2 = math.sqrt(2.0)
TANH_GELU = 0.7978845834732056
CUBIC = 0.044715


class OrtMotif(Motif, OpSpec):
    """A motif of one ORT transformer. Subclasses define pattern(b, x, broken) -> (operands,
    attrs), infer, torch and onnx; the draw here decides the side of the guard."""

    exportable = False
    weight = 0.3
    #: the dtypes of x with which the rewrite fires; others in `dtypes` break the dtype guard
    fire_dtypes: ClassVar[frozenset[DType]] = frozenset({F32})
    #: the guards a non-firing draw may break besides x's dtype (see the module docstring)
    guards: ClassVar[tuple[str, ...]] = ()
    #: the opsets at which the firing test builds a firing instance (the rules in `rewrites`
    #: are those the log names at one of them: a level-1 and a level-2 variant by opset)
    ort_opsets: ClassVar[tuple[int, ...]] = (13,)

    def draw(self, b, x: Value) -> tuple[list[Value], dict[str, Any]]:
        c = b.choices
        if x.type.dtype not in self.fire_dtypes:
            broken = "dtype"
        elif not self.guards or c.boolean(0.75):
            broken = ""
        else:
            broken = c.choice(list(self.guards))
        ops, attrs = self.pattern(b, x, broken)
        broken = attrs.pop("broken", broken)  # a pattern may find the guard unbreakable for x
        return ops, {**attrs, FIRES: not broken, "broken": broken}

    def pattern(self, b, x: Value, broken: str) -> tuple[list[Value], dict[str, Any]]:
        raise NotImplementedError(type(self).__name__)

    def tapped(self, attrs, main: TensorType, tap: TensorType) -> list[TensorType]:
        """The outputs: main, and the tapped intermediate when the draw broke 'tap'."""
        return [main, tap] if attrs.get("broken") == "tap" else [main]


def operand(b, t: TensorType, constant: bool, domain=None) -> Value:
    """A constant of type t, or a new graph input when the draw wants the operand not constant."""
    return b.const(t, domain) if constant else b.new_input(t, domain)


def outs_of(ctx, outs: list[str], attrs) -> tuple[str, str | None]:
    """(the main output name, the tap name or None)."""
    return outs[0], (outs[1] if attrs.get("broken") == "tap" else None)


def emit_tail(ctx, op: str, inputs: list[str], out: str, tap: str | None, **kw) -> None:
    """The last node of a pattern whose input[0] is the intermediate that a tap copies out."""
    if tap is not None:
        ctx.node("Identity", [inputs[0]], [tap])
    ctx.node(op, inputs, [out], **kw)


# -- MatMul family ---------------------------------------------------------------------
class MatMulAdd(OrtMotif):
    """MatMul(x, W) + bias -> Gemm (MatMulAddFusion): W 2-D; for a 3-D x (fused through
    Reshapes) a 1-D bias only. Broken: a 3-D x with a bias of rank 2 or more (shape), tap,
    integer or float64 x (dtype)."""

    name = "motif_ort_matmul_add"
    rewrites = (("onnxruntime", "MatMulAddFusion"),)
    dtypes = frozenset({F32, DType.float64, DType.int32, DType.int64})
    min_rank, max_rank = 2, 3
    guards = ("shape", "tap")

    def pattern(self, b, x, broken):
        c = b.choices
        k = x.type.shape[-1]
        n = c.integer(1, 6)
        w = b.operand(TensorType(x.type.dtype, (k, n)), weight=c.boolean(0.7))
        out = x.type.shape[:-1] + (n,)
        if x.type.rank == 2:  # Gemm takes any C broadcasting to its output: no shape to refuse
            broken = "tap" if broken == "shape" else broken
            bshape = c.choice([(n,), (1, n), out])
        else:  # a 3-D MatMul becomes Reshape-Gemm-Reshape, with a 1-D bias only
            bshape = c.choice([(1, n), out]) if broken == "shape" else (n,)
        bias = b.operand(TensorType(x.type.dtype, bshape), weight=c.boolean(0.6))
        return [x, w, bias], {"bias_first": c.boolean(0.3), "broken": broken}

    def infer(self, types, attrs):
        out = types[0].with_shape(types[0].shape[:-1] + (types[1].shape[-1],))
        return self.tapped(attrs, out, out)

    def torch(self, ctx, attrs, a):
        mm = f"torch.matmul({a[0]}, {a[1]})"
        if attrs.get("broken") == "tap":
            return f"(lambda m: (m + {a[2]}, m))({mm})"
        return f"{mm} + {a[2]}"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        m = ctx.node("MatMul", a[:2], 1)[0]
        emit_tail(ctx, "Add", [a[2], m] if attrs["bias_first"] else [m, a[2]], out, tap)


class MatMulScale(OrtMotif):
    """MatMul with a scalar Mul on one operand or on its result -> com.microsoft FusedMatMul
    (MatMulScaleFusion). Broken: the scale a graph input (input), a per-column scale (shape),
    float64 x (dtype)."""

    name = "motif_ort_matmul_scale"
    rewrites = (("onnxruntime", "MatMulScaleFusion"),)
    dtypes = frozenset({F32, DType.float64})
    min_rank, max_rank = 2, 4
    guards = ("input", "shape")

    def pattern(self, b, x, broken):
        c = b.choices
        k = x.type.shape[-1]
        n = c.integer(1, 6)
        where = c.choice(["a", "b", "out"])
        # a scaled constant W would be folded before the fusion looks
        w = b.operand(TensorType(x.type.dtype, (k, n)), weight=where != "b" and c.boolean(0.5), reuse=0.0)
        if where == "b" and w.producer().op_type == CONST:
            w = b.new_input(w.type)
        sshape = c.choice([(), (1,)])
        if broken == "shape":
            sshape = (k,) if where == "a" else (n,)
            if sshape == (1,):  # k or n is 1: a per-column scale is a scalar, so break another guard
                broken = "input"
        s = operand(b, TensorType(x.type.dtype, sshape), broken != "input", domain=(0.25, 2.0))
        return [x, w, s], {"where": where, "scale_first": c.boolean(0.5), "broken": broken}

    def infer(self, types, attrs):
        x, w, s = types
        out = x.shape[:-1] + (w.shape[-1],)
        if attrs["where"] == "out":
            out = broadcast_shapes(out, s.shape)
        elif attrs["where"] == "a":
            xs = broadcast_shapes(x.shape, s.shape)
            out = xs[:-1] + (w.shape[-1],)
        else:
            ws = broadcast_shapes(w.shape, s.shape)
            out = broadcast_shapes(x.shape[:-2], ws[:-2]) + (x.shape[-2], ws[-1])
        return [x.with_shape(out)]

    def torch(self, ctx, attrs, a):
        x, w, s = a
        where = attrs["where"]
        if where == "a":
            return f"torch.matmul({x} * {s}, {w})"
        if where == "b":
            return f"torch.matmul({x}, {w} * {s})"
        return f"torch.matmul({x}, {w}) * {s}"

    def onnx(self, ctx, attrs, a, outs):
        x, w, s = a
        where = attrs["where"]

        def mul(v):
            return ctx.node("Mul", [s, v] if attrs["scale_first"] else [v, s], 1)[0]

        if where == "a":
            ctx.node("MatMul", [mul(x), w], outs)
        elif where == "b":
            ctx.node("MatMul", [x, mul(w)], outs)
        else:
            m = ctx.node("MatMul", [x, w], 1)[0]
            ctx.node("Mul", [s, m] if attrs["scale_first"] else [m, s], outs)


class MatMulTranspose(OrtMotif):
    """Transpose swapping the last two dims of a MatMul operand -> FusedMatMul with transA/transB
    (MatmulTransposeFusion), float32 or float64. Broken: a perm that moves a batch dim too
    (attr), tap."""

    name = "motif_ort_matmul_transpose"
    rewrites = (("onnxruntime", "MatmulTransposeFusion"),)
    dtypes = fire_dtypes = frozenset({F32, DType.float64})
    min_rank, max_rank = 2, 4
    guards = ("attr", "tap")

    def pattern(self, b, x, broken):
        c = b.choices
        r = x.type.rank
        if broken == "attr" and r < 3:
            broken = ""
        side = c.choice(["a", "b"])
        perm = list(range(r - 2)) + [r - 1, r - 2]
        if broken == "attr":  # a batch dim moves too: [1, 0, 2] for rank 3, [1, 0, ..., r-1, r-2] above
            perm = [1, 0, 2] if r == 3 else [1, 0] + list(range(2, r - 2)) + [r - 1, r - 2]
        tshape = tuple(x.type.shape[p] for p in perm)  # x transposed
        n = c.integer(1, 5)
        if side == "a":  # x is transposed, then multiplied by w
            w = b.operand(TensorType(x.type.dtype, tshape[:-2] + (tshape[-1], n)), weight=c.boolean(0.3))
        else:  # x is the right operand after its transpose: w @ x^T
            w = b.operand(TensorType(x.type.dtype, tshape[:-2] + (n, tshape[-2])), weight=c.boolean(0.3))
        return [x, w], {"side": side, "perm": perm, "broken": broken}

    def infer(self, types, attrs):
        x, w = types
        t = tuple(x.shape[p] for p in attrs["perm"])
        out = t[:-1] + (w.shape[-1],) if attrs["side"] == "a" else w.shape[:-1] + (t[-1],)
        return self.tapped(attrs, x.with_shape(out), x.with_shape(t))

    def torch(self, ctx, attrs, a):
        t = f"{a[0]}.permute{py(tuple(attrs['perm']))}"
        mm = f"torch.matmul(t, {a[1]})" if attrs["side"] == "a" else f"torch.matmul({a[1]}, t)"
        body = f"({mm}, t)" if attrs.get("broken") == "tap" else mm
        return f"(lambda t: {body})({t})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        t = ctx.node("Transpose", [a[0]], [tap] if tap else 1, perm=list(attrs["perm"]))[0]
        ctx.node("MatMul", [t, a[1]] if attrs["side"] == "a" else [a[1], t], [out])


# -- Conv family -------------------------------------------------------------------------
def conv_operands(b, x: Value, weight_const: bool = True, grouped: bool | None = None) -> tuple[list[Value], dict]:
    """A Conv weight (and maybe bias) for x (N, C, spatial...), drawn: kernel 1-3, stride 1-2,
    symmetric pads, groups 1 or C (C when grouped is True, 1 when False, drawn when None)."""
    c = b.choices
    n, ch, *sp = x.type.shape
    k = [c.integer(1, min(3, d)) for d in sp]
    if grouped is None:
        grouped = c.boolean(0.2)
    group = ch if ch > 1 and grouped else 1
    m = group * c.integer(1, 2) if group > 1 else c.integer(1, 6)
    w = operand(b, TensorType(x.type.dtype, (m, ch // group, *k)), weight_const, domain=(-1.0, 1.0))
    ops = [x, w]
    if c.boolean(0.5):
        ops.append(b.const(TensorType(x.type.dtype, (m,))))
    pads = [c.integer(0, kk - 1) for kk in k]
    strides = [c.integer(1, 2) for _ in k]
    return ops, {"pads": pads + pads, "strides": strides, "group": group, "m": m}


def conv_shape(x: TensorType, attrs) -> tuple[int, ...]:
    n, _, *sp = x.shape
    ks = attrs["kernel"]
    out = [(d + 2 * p - kk) // s + 1 for d, p, kk, s in zip(sp, attrs["pads"], ks, attrs["strides"])]
    return (n, attrs["m"], *out)


def conv_torch(attrs, x: str, w: str, bias: str | None) -> str:
    fn = {3: "F.conv1d", 4: "F.conv2d"}[len(attrs["kernel"]) + 2]
    pads = attrs["pads"][: len(attrs["kernel"])]
    return f"{fn}({x}, {w}, {bias or 'None'}, stride={py(tuple(attrs['strides']))}, padding={py(tuple(pads))}, groups={attrs['group']})"


def conv_onnx(ctx, attrs, x: str, w: str, bias: str | None, out) -> str:
    return ctx.node("Conv", [x, w] + ([bias] if bias else []), out, pads=list(attrs["pads"]),
                    strides=list(attrs["strides"]), group=attrs["group"], kernel_shape=list(attrs["kernel"]))[0]


def channel(name: str, rank: int) -> str:
    """Source text viewing a per-channel vector so it broadcasts along dim 1 of a rank-`rank` tensor."""
    return f"{name}.reshape((-1,) + (1,) * {rank - 2})"


class ConvBase(OrtMotif):
    """Conv on x (N, C, L) or (N, C, H, W), then one more op the rule folds into it."""

    # ORT has no float64 Conv kernel: a float64 motif could only be a kernel gap
    dtypes = fire_dtypes = frozenset({F32, DType.float16})
    min_rank, max_rank = 3, 4

    def accepts(self, t):
        return super().accepts(t) and min(t.shape[2:]) >= 1

    def conv(self, b, x, broken, weight_const=True, grouped=None):
        ops, attrs = conv_operands(b, x, weight_const, grouped)
        attrs["kernel"] = list(ops[1].type.shape[2:])
        attrs["has_bias"] = len(ops) == 3
        return ops, attrs

    def conv_out(self, types, attrs) -> TensorType:
        return types[0].with_shape(conv_shape(types[0], attrs))

    def conv_src(self, attrs, a) -> str:
        return conv_torch(attrs, a[0], a[1], a[2] if attrs["has_bias"] else None)

    def conv_node(self, ctx, attrs, a, out=1) -> str:
        return conv_onnx(ctx, attrs, a[0], a[1], a[2] if attrs["has_bias"] else None, out)

    def rest(self, attrs, a) -> list[str]:
        return a[3 if attrs["has_bias"] else 2:]


class ConvBN(ConvBase):
    """Conv -> BatchNormalization with constant parameters -> one Conv (ConvBNFusion, a rule of
    Level1_RuleBasedTransformer: ORT's log names the rule-based transformer, never the rule).
    Broken: the BN mean a graph input (input), the Conv weight a graph input (input), tap."""

    name = "motif_ort_conv_bn"
    rewrites = (("onnxruntime", "Level1_RuleBasedTransformer"),)
    guards = ("input", "tap")

    def pattern(self, b, x, broken):
        c = b.choices
        which = c.choice(["weight", "mean"]) if broken == "input" else ""
        ops, attrs = self.conv(b, x, broken, weight_const=which != "weight")
        t = TensorType(x.type.dtype, (attrs["m"],))
        params = [b.const(t), b.const(t), operand(b, t, which != "mean"), b.const(t, domain=(0.25, 2.0))]
        attrs["epsilon"] = c.choice([1e-5, 1e-3, 0.1])
        return ops + params, attrs

    def infer(self, types, attrs):
        out = self.conv_out(types, attrs)
        return self.tapped(attrs, out, out)

    def torch(self, ctx, attrs, a):
        s, bb, m, v = (channel(n, len(attrs["kernel"]) + 2) for n in self.rest(attrs, a))
        bn = f"(y - {m}) / torch.sqrt({v} + {py(attrs['epsilon'])}) * {s} + {bb}"
        body = f"({bn}, y)" if attrs.get("broken") == "tap" else bn
        return f"(lambda y: {body})({self.conv_src(attrs, a)})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        y = self.conv_node(ctx, attrs, a)
        emit_tail(ctx, "BatchNormalization", [y] + self.rest(attrs, a), out, tap, epsilon=attrs["epsilon"])


class ConvAffine(ConvBase):
    """Conv -> Add or Mul of a per-channel constant ((M,1,...) or (1,M,1,...)) -> one Conv
    (ConvAddFusion / ConvMulFusion, rules of Level1_RuleBasedTransformer). Broken: the constant a
    graph input (input), a constant varying along a spatial dim (shape), the constant as the
    first operand (order: the rules look at input 1 only), tap."""

    rewrites = (("onnxruntime", "Level1_RuleBasedTransformer"),)
    guards = ("input", "shape", "tap", "order")
    op: ClassVar[str]

    def pattern(self, b, x, broken):
        c = b.choices
        ops, attrs = self.conv(b, x, broken)
        out = conv_shape(x.type, attrs)
        shape = (attrs["m"],) + (1,) * (x.type.rank - 2)
        if c.boolean(0.4):
            shape = (1,) + shape
        if broken == "shape":
            if out[-1] == 1:
                broken = "input"
            else:
                shape = (attrs["m"],) + (1,) * (x.type.rank - 3) + (out[-1],)
        k = operand(b, TensorType(x.type.dtype, shape), broken != "input", domain=(0.25, 2.0))
        return ops + [k], {**attrs, "const_first": broken == "order", "broken": broken}

    def infer(self, types, attrs):
        out = self.conv_out(types, attrs)
        full = out.with_shape(broadcast_shapes(out.shape, types[-1].shape))
        return self.tapped(attrs, full, out)

    def torch(self, ctx, attrs, a):
        k = self.rest(attrs, a)[0]
        sym = "+" if self.op == "Add" else "*"
        body = f"(y {sym} {k}, y)" if attrs.get("broken") == "tap" else f"y {sym} {k}"
        return f"(lambda y: {body})({self.conv_src(attrs, a)})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        y = self.conv_node(ctx, attrs, a)
        k = self.rest(attrs, a)[0]
        if tap is not None:
            ctx.node("Identity", [y], [tap])
        ctx.node(self.op, [k, y] if attrs["const_first"] else [y, k], [out])


class ConvAdd(ConvAffine):
    name, op = "motif_ort_conv_add", "Add"


class ConvMul(ConvAffine):
    name, op = "motif_ort_conv_mul", "Mul"


#: activations ConvActivationFusion and GemmActivationFusion fold on CPU, with their torch truth
ACTIVATIONS = {
    "Relu": "torch.relu(y)",
    "Sigmoid": "torch.sigmoid(y)",
    "Tanh": "torch.tanh(y)",
    "LeakyRelu": "F.leaky_relu(y, {alpha})",
    "HardSigmoid": "torch.clamp(y * {alpha} + {beta}, 0, 1)",
    "Clip": "torch.clamp(y, {lo}, {hi})",
}


def draw_activation(b, ops: list[str]) -> dict:
    c = b.choices
    act = c.choice(ops)
    attrs = {"act": act}
    if act == "LeakyRelu":
        attrs["alpha"] = c.choice([0.01, 0.2, 1.5])
    if act == "HardSigmoid":
        attrs["alpha"], attrs["beta"] = c.choice([0.2, 0.5]), c.choice([0.5, 0.25])
    if act == "Clip":
        attrs["lo"], attrs["hi"] = c.choice([0.0, -1.0]), c.choice([1.0, 6.0])
    return attrs


def activation_src(attrs, y: str) -> str:
    fill = {k: py(float(attrs[k])) for k in ("alpha", "beta", "lo", "hi") if k in attrs}
    return "(lambda y: " + ACTIVATIONS[attrs["act"]].format(**fill) + f")({y})"


def activation_onnx(ctx, attrs, y: str, out, dtype: DType, bounds_input: bool = False, bounds=()) -> None:
    act = attrs["act"]
    if act == "LeakyRelu":
        ctx.node(act, [y], out, alpha=float(attrs["alpha"]))
    elif act == "HardSigmoid":
        ctx.node(act, [y], out, alpha=float(attrs["alpha"]), beta=float(attrs["beta"]))
    elif act == "Clip":
        lo_hi = list(bounds) if bounds_input else [ctx.scalar(attrs["lo"], dtype), ctx.scalar(attrs["hi"], dtype)]
        ctx.node("Clip", [y] + lo_hi, out)
    else:
        ctx.node(act, [y], out)


class ConvActivation(ConvBase):
    """Conv -> Relu, Sigmoid, Tanh, LeakyRelu, HardSigmoid or Clip with constant bounds -> com.microsoft
    FusedConv (ConvActivationFusion; float16 too). Broken: Clip bounds that are graph inputs
    (input), tap."""

    name = "motif_ort_conv_activation"
    rewrites = (("onnxruntime", "ConvActivationFusion"),)
    guards = ("input", "tap")

    def pattern(self, b, x, broken):
        ops, attrs = self.conv(b, x, broken)
        act = draw_activation(b, ["Clip"] if broken == "input" else list(ACTIVATIONS))
        if broken == "input":
            t = TensorType(x.type.dtype, ())
            ops += [b.new_input(t, domain=(-1.0, 0.0)), b.new_input(t, domain=(1.0, 6.0))]
        return ops, {**attrs, **act}

    def infer(self, types, attrs):
        out = self.conv_out(types, attrs)
        return self.tapped(attrs, out, out)

    def torch(self, ctx, attrs, a):
        if attrs.get("broken") == "input":
            lo, hi = self.rest(attrs, a)
            act = f"torch.minimum(torch.maximum(y, {lo}), {hi})"
        else:
            act = activation_src(attrs, "y")
        body = f"({act}, y)" if attrs.get("broken") == "tap" else act
        return f"(lambda y: {body})({self.conv_src(attrs, a)})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        y = self.conv_node(ctx, attrs, a)
        if tap is not None:
            ctx.node("Identity", [y], [tap])
        activation_onnx(ctx, attrs, y, [out], ctx.types[a[0]].dtype, attrs.get("broken") == "input", self.rest(attrs, a))


class PadConv(ConvBase):
    """Pad (constant mode, value 0, non-negative pads on spatial dims only) -> Conv -> one Conv
    with the pads added (PadFusion, a rule of Level1_RuleBasedTransformer). Broken: a pad value
    other than 0 (value), reflect mode (attr), tap."""

    name = "motif_ort_pad_conv"
    rewrites = (("onnxruntime", "Level1_RuleBasedTransformer"),)
    guards = ("value", "attr", "tap")

    def pattern(self, b, x, broken):
        c = b.choices
        r = x.type.rank
        extra = [c.integer(0, 2) for _ in range(2 * (r - 2))]
        if broken == "attr" and any(p >= d for p, d in zip(extra, x.type.shape[2:] * 2)):
            broken = "value"  # reflect pads must stay below the dim
        before, after = extra[: r - 2], extra[r - 2:]
        padded = x.type.with_shape(x.type.shape[:2] + tuple(d + p + q for d, p, q in zip(x.type.shape[2:], before, after)))
        ops, attrs = conv_operands(b, x)
        ops[0] = x
        attrs["kernel"] = [min(k, d) for k, d in zip(ops[1].type.shape[2:], padded.shape[2:])]
        attrs["has_bias"] = len(ops) == 3
        pads = [0, 0] + before + [0, 0] + after
        value = {"value": 1.5, "attr": None, "tap": None, "": None}.get(broken)
        if not broken and c.boolean(0.3):
            value = 0.0  # the default spelled out
        return ops, {**attrs, "pad": pads, "mode": "reflect" if broken == "attr" else "constant",
                     "value": value, "broken": broken}

    def infer(self, types, attrs):
        r = types[0].rank
        pads = attrs["pad"]
        padded = types[0].with_shape(tuple(d + pads[i] + pads[i + r] for i, d in enumerate(types[0].shape)))
        return self.tapped(attrs, padded.with_shape(conv_shape(padded, attrs)), padded)

    def torch(self, ctx, attrs, a):
        r = len(attrs["kernel"]) + 2
        pads = attrs["pad"]
        order = []
        for i in reversed(range(2, r)):
            order += [pads[i], pads[i + r]]
        mode = attrs["mode"]
        val = f", value={py(float(attrs['value']))}" if attrs["value"] is not None else ""
        padded = f"F.pad({a[0]}, {py(tuple(order))}, mode={mode!r}{val})"
        conv = conv_torch(attrs, "p", a[1], a[2] if attrs["has_bias"] else None)
        body = f"({conv}, p)" if attrs.get("broken") == "tap" else conv
        return f"(lambda p: {body})({padded})"

    def onnx(self, ctx, attrs, a, outs):
        out, tap = outs_of(ctx, outs, attrs)
        ins = [a[0], ctx.ints(attrs["pad"])]
        if attrs["value"] is not None:
            ins.append(ctx.scalar(attrs["value"], ctx.types[a[0]].dtype))
        p = ctx.node("Pad", ins, [tap] if tap else 1, mode=attrs["mode"])[0]
        conv_onnx(ctx, attrs, p, a[1], a[2] if attrs["has_bias"] else None, [out])
