"""Matrix products: matmul in every rank combination, addmm, F.linear and bmm."""
from __future__ import annotations

from fuzzer.errors import Rejected
from fuzzer.ir import DType, TensorType, broadcast_shapes
from fuzzer.ops.base import OpSpec, broadcast_partner, py
from fuzzer.ops.dtypes import NUMERIC
from fuzzer.ops.lowering import cast, close, compute_dtype, target



def _dim(b) -> int:
    """A fresh contraction or output size; 1 is an edge size worth reaching often."""
    return 1 if b.choices.boolean(0.2) else b.choices.integer(2, b.config.max_dim)


def _scalar(b, dtype: DType, options_float, options_int):
    """An alpha/beta value; torch refuses float scalars for integral tensors."""
    return b.choices.choice(options_int if dtype.is_int else options_float)


class MatMul(OpSpec):
    """torch.matmul: dot (1-D x 1-D), vector-matrix, matrix-vector and batched
    products whose batch dims broadcast. x may be the left or the right operand."""

    name, onnx_ops = "matmul", ("MatMul", "Squeeze", "Unsqueeze")
    dtypes = frozenset(NUMERIC)
    min_rank, max_rank = 1, 4

    def operands(self, b, x):
        c = b.choices
        xs = x.type.shape
        left = c.boolean(0.6)
        # the partner's rank: 1 (vector) or 2..4 (matrix / batched)
        other_rank = c.choice([1, 2, 2, 3, 4])
        if len(xs) == 1:
            k = xs[0]
        else:
            k = xs[-1] if left else xs[-2]
        if other_rank == 1:
            shape = (k,)
        else:
            xbatch = xs[:-2] if len(xs) >= 2 else ()
            batch = tuple(broadcast_partner(b, xbatch)) if c.boolean(0.6) else ()
            if len(batch) == len(xbatch):
                # a partner may also carry more (leading) batch dims than x has
                extra = max(0, other_rank - 2 - len(batch))
                batch = tuple(c.integer(1, 3) for _ in range(extra)) + batch
            shape = batch + ((k, _dim(b)) if left else (_dim(b), k))
        y = b.operand(TensorType(x.type.dtype, shape))
        return [x, y] if left else [y, x]

    def infer(self, types, attrs):
        a, c = types[0].shape, types[1].shape
        if len(a) == 1 and len(c) == 1:
            shape = ()
        elif len(a) == 1:
            shape = c[:-2] + c[-1:]
        elif len(c) == 1:
            shape = a[:-1]
        else:
            shape = broadcast_shapes(a[:-2], c[:-2]) + (a[-2], c[-1])
        return [TensorType(types[0].dtype, shape)]

    def torch(self, ctx, attrs, a):
        if attrs.get("method"):
            return f"({a[0]} @ {a[1]})"
        return f"torch.matmul({a[0]}, {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        # ONNX MatMul has numpy's matmul semantics, 1-D operands included, exactly as torch
        ctx.widen("MatMul", a, outs, ctx.types[a[0]].dtype)

    def sample_attrs(self, b, types):
        # the @ operator is the form most models use; it reaches the same aten op
        return {"method": True} if b.choices.boolean(0.3) else {}

    def tf(self, ctx, attrs, a, types):
        return _tf_matmul(ctx, a[0], a[1])


class Addmm(OpSpec):
    """torch.addmm(input, mat1, mat2, beta=, alpha=) -> Gemm. x plays any of the three roles;
    input broadcasts to (n, p) from rank 0, 1 or 2."""

    name, onnx_ops = "addmm", ("Gemm", "MatMul", "Add", "Mul")
    dtypes = frozenset(NUMERIC)
    min_rank, max_rank = 0, 2

    def operands(self, b, x):
        c = b.choices
        dtype, xs = x.type.dtype, x.type.shape
        roles = ["input"] + (["mat1", "mat2"] if len(xs) == 2 else [])
        role = c.choice(roles)
        if role == "mat1":
            n, m = xs
            p = _dim(b)
        elif role == "mat2":
            m, p = xs
            n = _dim(b)
        else:
            m = _dim(b)
            n = xs[0] if len(xs) == 2 and xs[0] != 1 else _dim(b)
            p = xs[-1] if len(xs) >= 1 and xs[-1] != 1 else _dim(b)
        if role != "input":
            # the added term: full (n, p), a row (p,), a column-broadcast (n, 1), or a scalar
            form = c.choice([(n, p), (p,), (n, 1), (1, p), ()])
            inp = b.operand(TensorType(dtype, form), weight=c.boolean(0.5))
        else:
            inp = x
        mat1 = x if role == "mat1" else b.operand(TensorType(dtype, (n, m)))
        mat2 = x if role == "mat2" else b.operand(TensorType(dtype, (m, p)), weight=c.boolean(0.5))
        return [inp, mat1, mat2]

    def sample_attrs(self, b, types):
        c = b.choices
        dtype = types[0].dtype
        attrs = {}
        if c.boolean(0.6):
            attrs["beta"] = _scalar(b, dtype, [1.0, 0.0, 0.5, -1.0, 2.0], [1, 0, 2, -1])
        if c.boolean(0.6):
            attrs["alpha"] = _scalar(b, dtype, [1.0, 0.5, -2.0, 0.0], [1, 2, -1, 0])
        return attrs

    def infer(self, types, attrs):
        n, p = types[1].shape[0], types[2].shape[1]
        return [TensorType(types[1].dtype, (n, p))]

    def torch(self, ctx, attrs, a):
        kw = "".join(f", {k}={py(attrs[k])}" for k in ("beta", "alpha") if k in attrs)
        return f"torch.addmm({a[0]}, {a[1]}, {a[2]}{kw})"

    def onnx(self, ctx, attrs, a, outs):
        dt = ctx.types[a[1]].dtype
        beta, alpha = attrs.get("beta", 1), attrs.get("alpha", 1)
        if dt.is_float:  # Gemm: alpha * A @ B + beta * C, C broadcast to (n, p)
            ctx.widen("Gemm", [a[1], a[2], a[0]], outs, dt, alpha=float(alpha), beta=float(beta))
            return
        # integer Gemm takes float alpha/beta; torch keeps integer arithmetic: spell it out
        ct = compute_dtype(ctx, dt, "MatMul", "Mul", "Add")
        inp, m1, m2 = (cast(ctx, n, dt, ct) for n in a)
        prod = ctx.node("Mul", [ctx.node("MatMul", [m1, m2])[0], ctx.scalar(alpha, ct)])[0]
        y = target(ctx, ct, dt, outs[0])
        ctx.node("Add", [prod, ctx.node("Mul", [inp, ctx.scalar(beta, ct)])[0]], [y])
        close(ctx, y, ct, dt, outs[0])

    def tf(self, ctx, attrs, a, types):
        tf, beta, alpha = ctx.tf, attrs.get("beta", 1), attrs.get("alpha", 1)

        def fn(inp, m1, m2):
            prod = tf.linalg.matmul(m1, m2)
            if alpha != 1:
                prod = prod * tf.cast(alpha, prod.dtype)
            if beta == 0:
                return prod  # torch ignores input entirely when beta is 0
            if beta != 1:
                inp = inp * tf.cast(beta, inp.dtype)
            return prod + inp

        return ctx.widen(fn, *a[:3])


class Linear(OpSpec):
    """F.linear(input, weight, bias): weight (out, in) or 1-D (in,); bias (out,), a 0-d bias, or none."""

    name, onnx_ops = "linear", ("Gemm", "MatMul", "Add")
    dtypes = frozenset(NUMERIC)
    min_rank, max_rank = 1, 4

    def operands(self, b, x):
        c = b.choices
        dtype, k = x.type.dtype, x.type.shape[-1]
        if c.boolean(0.1):  # a 1-D weight gives a dot product over the last dim; no bias allowed
            return [x, b.operand(TensorType(dtype, (k,)), weight=True)]
        out = _dim(b)
        w = b.operand(TensorType(dtype, (out, k)), weight=True)
        form = c.choice(["vector", "vector", "none", "scalar"])
        if form == "none":
            return [x, w]
        bias = b.operand(TensorType(dtype, (out,) if form == "vector" else ()), weight=True)
        return [x, w, bias]

    def infer(self, types, attrs):
        x, w = types[0], types[1]
        tail = () if w.rank == 1 else (w.shape[0],)
        return [TensorType(x.dtype, x.shape[:-1] + tail)]

    def sample_attrs(self, b, types):
        # bias=None spelled out vs. left off is the same call; both forms are reached
        return {"explicit_none": True} if len(types) == 2 and b.choices.boolean(0.5) else {}

    def torch(self, ctx, attrs, a):
        if len(a) == 3:
            return f"F.linear({a[0]}, {a[1]}, {a[2]})"
        if attrs.get("explicit_none"):
            return f"F.linear({a[0]}, {a[1]}, None)"
        return f"F.linear({a[0]}, {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        dt = ctx.types[a[0]].dtype
        x_rank, w_rank = ctx.types[a[0]].rank, ctx.types[a[1]].rank
        if dt.is_float and x_rank == 2 and w_rank == 2:  # x @ W^T + b is one Gemm
            ctx.widen("Gemm", a, outs, dt, transB=1)
            return
        ct = compute_dtype(ctx, dt, "MatMul", "Add")
        x, w = cast(ctx, a[0], dt, ct), cast(ctx, a[1], dt, ct)
        if w_rank == 2:
            w = ctx.node("Transpose", [w], perm=[1, 0])[0]
        y = target(ctx, ct, dt, outs[0])
        if len(a) == 3:
            ctx.node("Add", [ctx.node("MatMul", [x, w])[0], cast(ctx, a[2], dt, ct)], [y])
        else:
            ctx.node("MatMul", [x, w], [y])
        close(ctx, y, ct, dt, outs[0])

    def tf(self, ctx, attrs, a, types):
        tf = ctx.tf

        def fn(x, w, *bias):
            if w.shape.rank == 1:
                y = tf.tensordot(x, w, axes=[[x.shape.rank - 1], [0]])
            elif x.shape.rank == 1:
                y = tf.linalg.matvec(w, x)
            else:
                y = tf.linalg.matmul(x, w, transpose_b=True)
            return y + bias[0] if bias else y

        return ctx.widen(fn, *a)


class Bmm(OpSpec):
    """torch.bmm(x, y) on (B, n, m) @ (B, m, p); x may be either side."""

    name, onnx_ops = "bmm", ("MatMul",)
    dtypes = frozenset(NUMERIC)
    min_rank, max_rank = 3, 3

    def operands(self, b, x):
        if x.type.rank != 3:
            raise Rejected("bmm needs a rank-3 operand")
        batch, r, cdim = x.type.shape
        if b.choices.boolean(0.6):
            return [x, b.operand(TensorType(x.type.dtype, (batch, cdim, _dim(b))))]
        return [b.operand(TensorType(x.type.dtype, (batch, _dim(b), r))), x]

    def infer(self, types, attrs):
        a, c = types[0].shape, types[1].shape
        return [TensorType(types[0].dtype, (a[0], a[1], c[2]))]

    def torch(self, ctx, attrs, a):
        return f"torch.bmm({a[0]}, {a[1]})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.widen("MatMul", a, outs, ctx.types[a[0]].dtype)

    def tf(self, ctx, attrs, a, types):
        return _tf_matmul(ctx, a[0], a[1])


def _tf_matmul(ctx, x, y):
    """torch.matmul semantics in TF for any ranks >= 1 (vectors are promoted, then squeezed)."""
    tf = ctx.tf

    def fn(x, y):
        if x.shape.rank == 1 and y.shape.rank == 1:
            return tf.reduce_sum(x * y)
        if x.shape.rank == 1:
            return tf.squeeze(tf.linalg.matmul(tf.expand_dims(x, 0), y), -2)
        if y.shape.rank == 1:
            return tf.squeeze(tf.linalg.matmul(x, tf.expand_dims(y, -1)), -1)
        return tf.linalg.matmul(x, y)  # BatchMatMulV2 broadcasts batch dims like torch

    return ctx.widen(fn, x, y)
