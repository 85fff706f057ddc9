"""Recurrent layers as torch functions with explicit weights: torch.lstm, torch.gru,
torch.rnn_tanh, torch.rnn_relu (aten's own signatures: input, hx, params, has_biases,
num_layers, dropout, train, bidirectional, batch_first).

1-2 layers, one or two directions, batch_first or not, with or without biases, initial
state given or zeros. The direct ONNX lowering is one LSTM/GRU/RNN node per layer, which
needs torch's gate blocks reordered: LSTM i,f,g,o -> ONNX i,o,f,c; GRU r,z,n -> ONNX z,r,h
(with linear_before_reset=1, which is torch's GRU). The weights are graph values, so the
reordering is a Gather over their rows rather than a permuted initializer.
"""
from __future__ import annotations

from typing import ClassVar

from fuzzer.ir import DType, TensorType
from fuzzer.ops.base import DrawsWithNotes, OpSpec

#: weights stay small so 1-2 layers of gates do not saturate into flat, uninformative outputs
WEIGHT_DOMAIN = (-0.6, 0.6)


class Recurrent(DrawsWithNotes, OpSpec):
    fn: ClassVar[str]
    onnx_op: ClassVar[str]
    gates: ClassVar[int]
    #: torch's gate blocks in ONNX's order
    gate_order: ClassVar[tuple[int, ...]]
    has_cell: ClassVar[bool] = False
    dtypes = frozenset({DType.float32, DType.float64})
    min_rank = max_rank = 3

    def draw_operands(self, b, x, note):
        c = b.choices
        dtype = x.type.dtype
        cfg = {"hidden": c.integer(1, 5), "num_layers": c.choice([1, 1, 2]), "bidirectional": c.boolean(0.4),
               "has_biases": c.boolean(0.7), "batch_first": c.boolean(0.4), "h0": c.boolean(0.5)}
        H, L, D = cfg["hidden"], cfg["num_layers"], 2 if cfg["bidirectional"] else 1
        batch = x.type.shape[0 if cfg["batch_first"] else 1]
        ops = [x]
        if cfg["h0"]:
            for _ in range(2 if self.has_cell else 1):
                ops.append(b.operand(TensorType(dtype, (L * D, batch, H))))
        size_in = x.type.shape[2]
        G = self.gates * H
        for layer in range(L):
            for _ in range(D):
                ops.append(b.operand(TensorType(dtype, (G, size_in if layer == 0 else D * H)), weight=True, domain=WEIGHT_DOMAIN))
                ops.append(b.operand(TensorType(dtype, (G, H)), weight=True, domain=WEIGHT_DOMAIN))
                if cfg["has_biases"]:
                    ops.append(b.operand(TensorType(dtype, (G,)), weight=True, domain=WEIGHT_DOMAIN))
                    ops.append(b.operand(TensorType(dtype, (G,)), weight=True, domain=WEIGHT_DOMAIN))
        # the spec is a singleton and one build runs start to end, so the drawn layout can
        # wait here for sample_attrs
        note.cfg = cfg
        return ops

    def draw_attrs(self, b, types, note):
        return dict(note.cfg)

    def infer(self, types, attrs):
        x = types[0]
        D = 2 if attrs["bidirectional"] else 1
        H = attrs["hidden"]
        batch = x.shape[0 if attrs["batch_first"] else 1]
        out = x.with_shape(x.shape[:2] + (D * H,))
        state = x.with_shape((attrs["num_layers"] * D, batch, H))
        return [out, state, state] if self.has_cell else [out, state]

    def requires(self, types, attrs):
        """Every state and weight has the shape draw_operands gave it for these attrs and x."""
        x = types[0]
        H, L = attrs["hidden"], attrs["num_layers"]
        D = 2 if attrs["bidirectional"] else 1
        batch = x.shape[0 if attrs["batch_first"] else 1]
        want = [(L * D, batch, H)] * ((2 if self.has_cell else 1) if attrs["h0"] else 0)
        G = self.gates * H
        for layer in range(L):
            for _ in range(D):
                want += [(G, x.shape[2] if layer == 0 else D * H), (G, H)]
                want += [(G,), (G,)] if attrs["has_biases"] else []
        got = [t.shape for t in types[1:]]
        if got != want:
            return f"{self.name}: states and weights {got}, the layout {attrs} needs {want}"
        if any(t.dtype != x.dtype for t in types[1:]):
            return f"{self.name}: states and weights must have the input's dtype {x.dtype}"
        return None

    def split(self, attrs, a):
        """(x, [h0, c0] or [], weights) from the operand names."""
        n_state = (2 if self.has_cell else 1) if attrs["h0"] else 0
        return a[0], a[1:1 + n_state], a[1 + n_state:]

    def torch(self, ctx, attrs, a):
        x, state, weights = self.split(attrs, a)
        D = 2 if attrs["bidirectional"] else 1
        if not state:
            batch = f"{x}.shape[{0 if attrs['batch_first'] else 1}]"
            zeros = f"torch.zeros({attrs['num_layers'] * D}, {batch}, {attrs['hidden']}, dtype={x}.dtype)"
            state = [zeros] * (2 if self.has_cell else 1)
        hx = f"({state[0]}, {state[1]})" if self.has_cell else state[0]
        return (f"{self.fn}({x}, {hx}, [{', '.join(weights)}], {attrs['has_biases']!r}, {attrs['num_layers']}, "
                f"0.0, False, {attrs['bidirectional']!r}, {attrs['batch_first']!r})")

    def reorder(self, ctx, w: str, H: int) -> str:
        rows = [g * H + i for g in self.gate_order for i in range(H)]
        if rows == list(range(len(rows))):
            return w
        return ctx.node("Gather", [w, ctx.ints(rows)], axis=0)[0]

    def onnx(self, ctx, attrs, a, outs):
        x, state, weights = self.split(attrs, a)
        H, L = attrs["hidden"], attrs["num_layers"]
        D = 2 if attrs["bidirectional"] else 1
        t = ctx.types[x]
        seq, batch = (t.shape[1], t.shape[0]) if attrs["batch_first"] else t.shape[:2]
        per = 4 if attrs["has_biases"] else 2
        y = ctx.node("Transpose", [x], perm=[1, 0, 2])[0] if attrs["batch_first"] else x
        finals: list[list[str]] = [[] for _ in range(2 if self.has_cell else 1)]
        for layer in range(L):
            W, R, B = [], [], []
            for d in range(D):
                ws = weights[(layer * D + d) * per:(layer * D + d + 1) * per]
                W.append(ctx.node("Unsqueeze", [self.reorder(ctx, ws[0], H), ctx.ints([0])])[0])
                R.append(ctx.node("Unsqueeze", [self.reorder(ctx, ws[1], H), ctx.ints([0])])[0])
                if attrs["has_biases"]:
                    both = ctx.node("Concat", [self.reorder(ctx, ws[2], H), self.reorder(ctx, ws[3], H)], axis=0)[0]
                    B.append(ctx.node("Unsqueeze", [both, ctx.ints([0])])[0])
            stack = lambda vs: vs[0] if len(vs) == 1 else ctx.node("Concat", vs, axis=0)[0]  # noqa: E731
            inputs = [y, stack(W), stack(R), stack(B) if B else "", ""]
            for s in state:
                inputs.append(ctx.node("Slice", [s, ctx.ints([layer * D]), ctx.ints([(layer + 1) * D]), ctx.ints([0])])[0])
            while inputs[-1] == "":
                inputs.pop()
            kw = {"hidden_size": H, "direction": "bidirectional" if D == 2 else "forward"}
            if self.onnx_op == "GRU":
                kw["linear_before_reset"] = 1
            if self.onnx_op == "RNN":
                kw["activations"] = [self.activation] * D
            results = ctx.node(self.onnx_op, inputs, 3 if self.has_cell else 2, **kw)
            # Y is (seq, D, batch, H); torch's output is (seq, batch, D*H)
            y = ctx.node("Transpose", [results[0]], perm=[0, 2, 1, 3])[0]
            y = ctx.node("Reshape", [y, ctx.ints([seq, batch, D * H])])[0]
            for i, f in enumerate(finals):
                f.append(results[1 + i])
        if attrs["batch_first"]:
            ctx.node("Transpose", [y], [outs[0]], perm=[1, 0, 2])
        else:
            ctx.node("Identity", [y], [outs[0]])
        for f, out in zip(finals, outs[1:]):
            if len(f) == 1:
                ctx.node("Identity", f, [out])
            else:
                ctx.node("Concat", f, [out], axis=0)


class Lstm(Recurrent):
    """torch.lstm(x, (h0, c0), params, ...) -> (output, h_n, c_n)."""

    name, fn, onnx_op, onnx_ops = "lstm", "torch.lstm", "LSTM", ("LSTM",)
    gates, gate_order, has_cell = 4, (0, 3, 1, 2), True


class Gru(Recurrent):
    """torch.gru(x, h0, params, ...) -> (output, h_n)."""

    name, fn, onnx_op, onnx_ops = "gru", "torch.gru", "GRU", ("GRU",)
    gates, gate_order = 3, (1, 0, 2)


class RnnTanh(Recurrent):
    """torch.rnn_tanh(x, h0, params, ...) -> (output, h_n)."""

    name, fn, onnx_op, onnx_ops = "rnn_tanh", "torch.rnn_tanh", "RNN", ("RNN",)
    gates, gate_order, activation = 1, (0,), "Tanh"


class RnnRelu(RnnTanh):
    """torch.rnn_relu(x, h0, params, ...) -> (output, h_n).

    The direct lowering unrolls the recurrence (at most 6 steps are drawn) instead of an RNN
    node with activations=["Relu"]: ONNX lists Relu for RNN, but the reference evaluator
    (onnx 1.23) raises "Unknown activation function 'Relu'", so that node could not be
    judged. Exported models still carry it.
    """

    name, fn, onnx_ops, activation = "rnn_relu", "torch.rnn_relu", ("RNN", "MatMul", "Relu"), "Relu"

    def onnx(self, ctx, attrs, a, outs):
        x, state, weights = self.split(attrs, a)
        H, L = attrs["hidden"], attrs["num_layers"]
        D = 2 if attrs["bidirectional"] else 1
        t = ctx.types[x]
        seq, batch = (t.shape[1], t.shape[0]) if attrs["batch_first"] else t.shape[:2]
        per = 4 if attrs["has_biases"] else 2
        y = ctx.node("Transpose", [x], perm=[1, 0, 2])[0] if attrs["batch_first"] else x
        step = lambda i: ctx.scalar(i, DType.int64)  # noqa: E731
        finals = []
        for layer in range(L):
            dirs = []
            for d in range(D):
                ws = weights[(layer * D + d) * per:(layer * D + d + 1) * per]
                w_ih = ctx.node("Transpose", [ws[0]], perm=[1, 0])[0]
                w_hh = ctx.node("Transpose", [ws[1]], perm=[1, 0])[0]
                if state:
                    h = ctx.node("Gather", [state[0], step(layer * D + d)], axis=0)[0]
                else:
                    import numpy as np

                    h = ctx.const(np.zeros((batch, H)), t.dtype)
                hs = [None] * seq
                for i in (range(seq) if d == 0 else reversed(range(seq))):
                    pre = ctx.node("Add", [ctx.node("MatMul", [ctx.node("Gather", [y, step(i)], axis=0)[0], w_ih])[0],
                                           ctx.node("MatMul", [h, w_hh])[0]])[0]
                    if attrs["has_biases"]:
                        pre = ctx.node("Add", [ctx.node("Add", [pre, ws[2]])[0], ws[3]])[0]
                    h = ctx.node("Relu", [pre])[0]
                    hs[i] = ctx.node("Unsqueeze", [h, ctx.ints([0])])[0]
                dirs.append(ctx.node("Concat", hs, axis=0)[0] if seq > 1 else hs[0])
                finals.append(ctx.node("Unsqueeze", [h, ctx.ints([0])])[0])
            y = ctx.node("Concat", dirs, axis=2)[0] if D == 2 else dirs[0]
        if attrs["batch_first"]:
            ctx.node("Transpose", [y], [outs[0]], perm=[1, 0, 2])
        else:
            ctx.node("Identity", [y], [outs[0]])
        if len(finals) == 1:
            ctx.node("Identity", finals, [outs[1]])
        else:
            ctx.node("Concat", finals, [outs[1]], axis=0)
