"""ONNX-only signal ops: the window functions (HannWindow, HammingWindow, BlackmanWindow), DFT
and STFT.

Truths from the operator texts: a window is the generalized cosine sum
a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N) with the coefficients its ONNX function body
spells (Hann 0.5/0.5/0, Hamming 25/46 and 21/46, Blackman 0.42/0.5/0.08), N the size when
periodic, size - 1 when symmetric; DFT is the unnormalized forward sum and the 1/N inverse,
the signal zero-padded or cut to dft_length; STFT frames the signal by frame_step, multiplies
each frame by the window (all ones when omitted) and takes its DFT. torch.fft computes them in
float64 (complex128).
MelWeightMatrix is not here: its text fixes the mel formula and the triangles' peak value,
but not how the triangle edges land on the discrete DFT bins, so no truth follows from it.
"""
from __future__ import annotations

from typing import ClassVar

from fuzzer.ir import DType, TensorType
from fuzzer.ops.base import OpSpec, py
from fuzzer.ops.dtypes import FLOATS_BUT_BFLOAT16
from fuzzer.ops.lowering import Lit, cast, compute_dtype


class Window(OpSpec):
    """x * (1 + window(n)) along x's last axis (n = its length); the window's size is an int32
    or int64 scalar input, periodic or symmetric, made directly in x's dtype (output_datatype).

    The 1 keeps the result well conditioned: ONNX defines a window by a function body that
    computes in float32 whatever output_datatype is, so a window of doubles is float32-exact
    only, and where its terms cancel to 0 (Blackman's ends: 0.42 - 0.5 + 0.08) it is a float32
    rounding residue (1e-8) that no relative tolerance on the bare window could judge."""

    onnx_ops: ClassVar[tuple[str, ...]]
    coefficients: ClassVar[tuple[float, float, float]]
    exportable, min_rank, min_opset = False, 1, 17
    dtypes = FLOATS_BUT_BFLOAT16

    def sample_attrs(self, b, types):
        c = b.choices
        n = types[0].shape[-1]
        # a symmetric window of size 1 divides by size - 1 = 0
        return {"periodic": 1 if n == 1 else c.integer(0, 1), "size_dtype": c.choice(["int64", "int32"])}

    def infer(self, types, attrs):
        return [types[0]]

    def torch(self, ctx, attrs, a):
        x = a[0]
        a0, a1, a2 = (py(v) for v in self.coefficients)
        big_n = f"({x}.shape[-1] - {1 - attrs['periodic']})"
        angle = f"(2 * torch.pi * torch.arange({x}.shape[-1], dtype=torch.float64) / {big_n})"
        return f"{x} * (1 + {a0} - {a1} * torch.cos({angle}) + {a2} * torch.cos(2 * {angle})).to({x}.dtype)"

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        size = ctx.scalar(x.shape[-1], DType(attrs["size_dtype"]))
        window = ctx.node(self.onnx_ops[0], [size], 1, periodic=attrs["periodic"], output_datatype=ctx.elem(x.dtype))[0]
        ctx.types[window] = TensorType(x.dtype, (x.shape[-1],))
        ctx.widen("Mul", [a[0], ctx.widen("Add", [window, Lit(1)], 1)[0]], outs)


class HannWindow(Window):
    name, onnx_ops, coefficients = "HannWindow", ("HannWindow", "Add", "Mul"), (0.5, 0.5, 0.0)


class HammingWindow(Window):
    name, onnx_ops, coefficients = "HammingWindow", ("HammingWindow", "Add", "Mul"), (25 / 46, 21 / 46, 0.0)


class BlackmanWindow(Window):
    name, onnx_ops, coefficients = "BlackmanWindow", ("BlackmanWindow", "Add", "Mul"), (0.42, 0.5, 0.08)


def _signal(ctx, names: list[str]) -> str:
    """x (and y) as the ONNX signal layout: a trailing dim of 1 (real) or 2 (x real, y imaginary)."""
    parts = [ctx.node("Unsqueeze", [n, ctx.ints([-1])])[0] for n in names]
    return parts[0] if len(parts) == 1 else ctx.node("Concat", parts, 1, axis=-1)[0]


class DFT(OpSpec):
    """The DFT of x (real) or x + iy (complex) along one of x's axes, forward or inverse,
    full or one-sided (forward of a real signal only), dft_length omitted, longer (zero
    padding) or shorter (cut) than the axis. Output: x's shape with that axis resized and a
    trailing dim of 2 (real, imaginary). From opset 20 the axis is an input (int32 or int64,
    possibly negative, or omitted: the last signal axis); before, an attribute."""

    name, onnx_ops, exportable, min_rank, max_rank, min_opset = "DFT", ("Unsqueeze", "DFT"), False, 1, 4, 17
    dtypes = frozenset({DType.float32, DType.float64, DType.float16})

    def operands(self, b, x):
        return [x, b.operand(x.type)] if b.choices.boolean(0.4) else [x]

    def sample_attrs(self, b, types):
        c = b.choices
        x = types[0]
        axis = c.integer(0, x.rank - 1)
        n = x.shape[axis]
        inverse = c.integer(0, 1)
        onesided = 1 if len(types) == 1 and not inverse and c.boolean(0.4) else 0
        length = c.choice([None, None, max(1, n - 1), n + c.integer(1, 3)])
        return {"axis": axis, "negative_axis": c.boolean(0.4), "omit_axis": axis == x.rank - 1 and c.boolean(0.5),
                "inverse": inverse, "onesided": onesided, "length": length,
                "index_dtype": c.choice(["int64", "int32"])}

    def infer(self, types, attrs):
        x = types[0]
        m = attrs["length"] or x.shape[attrs["axis"]]
        s = list(x.shape)
        s[attrs["axis"]] = m // 2 + 1 if attrs["onesided"] else m
        return [x.with_shape((*s, 2))]

    def torch(self, ctx, attrs, a):
        signal = f"torch.complex({a[0]}.double(), {a[1]}.double())" if len(a) == 2 else f"{a[0]}.double()"
        fn = "ifft" if attrs["inverse"] else ("rfft" if attrs["onesided"] else "fft")
        spectrum = f"torch.fft.{fn}({signal}, n={attrs['length']}, dim={attrs['axis']})"
        return f"torch.view_as_real({spectrum}.to(torch.complex128).resolve_conj()).to({a[0]}.dtype)"

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        ct = compute_dtype(ctx, x.dtype, "DFT")
        signal = _signal(ctx, [cast(ctx, n, x.dtype, ct) for n in a])
        rank = x.rank + 1
        axis = attrs["axis"] - rank if attrs["negative_axis"] else attrs["axis"]
        length = ctx.scalar(attrs["length"], DType(attrs["index_dtype"])) if attrs["length"] else ""
        kw = dict(inverse=attrs["inverse"], onesided=attrs["onesided"])
        out = outs[0] if ct == ctx.dtype(x.dtype) else ctx.fresh("dft")
        if ctx.opset >= 20:
            axis_in = [] if attrs["omit_axis"] else [ctx.scalar(axis, DType.int64)]  # always int64
            ins = [signal, length, *axis_in] if axis_in else ([signal, length] if length else [signal])
            ctx.node("DFT", ins, [out], **kw)
        else:
            ctx.node("DFT", [signal, length] if length else [signal], [out], axis=attrs["axis"], **kw)
        if out != outs[0]:
            ctx.node("Cast", [out], outs, to=ctx.elem(x.dtype))


class STFT(OpSpec):
    """The short-time Fourier transform of a real batch of signals x [batch, length]: frames of
    frame_length every frame_step samples, each times a window (a second operand, or omitted:
    all ones), each transformed, one-sided or full. frame_length is given, or omitted when the
    window gives it (or, with neither, the whole signal). Output [batch, frames, bins, 2]."""

    name, onnx_ops, exportable, min_rank, max_rank, min_opset = "STFT", ("Unsqueeze", "STFT"), False, 2, 2, 17
    dtypes = frozenset({DType.float32, DType.float64, DType.float16})

    def operands(self, b, x):
        c = b.choices
        n = x.type.shape[1]
        length = c.integer(1, n)
        if c.boolean(0.6):
            return [x, b.operand(TensorType(x.type.dtype, (length,)))]
        return [x]

    def sample_attrs(self, b, types):
        c = b.choices
        n = types[0].shape[1]
        if len(types) == 2:
            length = types[1].shape[0]
            spell = c.boolean(0.5)
        else:
            spell = c.boolean(0.7)
            length = c.integer(1, n) if spell else n
        return {"frame_length": length, "spell_length": spell, "frame_step": c.integer(1, 3),
                "onesided": c.integer(0, 1), "index_dtype": c.choice(["int64", "int32"])}

    def infer(self, types, attrs):
        batch, n = types[0].shape
        length = attrs["frame_length"]
        frames = (n - length) // attrs["frame_step"] + 1
        bins = length // 2 + 1 if attrs["onesided"] else length
        return [types[0].with_shape((batch, frames, bins, 2))]

    def torch(self, ctx, attrs, a):
        x, length = a[0], attrs["frame_length"]
        frames = f"{x}.double().unfold(1, {length}, {attrs['frame_step']})"
        if len(a) == 2:
            frames = f"({frames} * {a[1]}.double())"
        fn = "rfft" if attrs["onesided"] else "fft"
        return f"torch.view_as_real(torch.fft.{fn}({frames}, dim=-1)).to({x}.dtype)"

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        ct = compute_dtype(ctx, x.dtype, "STFT")
        signal = _signal(ctx, [cast(ctx, a[0], x.dtype, ct)])
        idt = DType(attrs["index_dtype"])
        ins = [signal, ctx.scalar(attrs["frame_step"], idt)]
        ins.append(cast(ctx, a[1], x.dtype, ct) if len(a) == 2 else "")
        if attrs["spell_length"]:
            ins.append(ctx.scalar(attrs["frame_length"], idt))
        while ins[-1] == "":
            ins.pop()
        out = outs[0] if ct == ctx.dtype(x.dtype) else ctx.fresh("stft")
        ctx.node("STFT", ins, [out], onesided=attrs["onesided"])
        if out != outs[0]:
            ctx.node("Cast", [out], outs, to=ctx.elem(x.dtype))
