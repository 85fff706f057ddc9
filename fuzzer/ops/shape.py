"""Shape and layout ops: reshape, transpose, permute, cat, slicing, squeeze/unsqueeze,
flatten, expand, split/chunk and flip, each with its negative-dim and edge spellings."""
from __future__ import annotations


from fuzzer.errors import Rejected
from fuzzer.ir import TensorType
from fuzzer.ops.base import OpSpec, norm_dim, py
from fuzzer.ops.dtypes import ALL
from fuzzer.ops.lowering import accepts, squeeze, unsqueeze

#: split/chunk never make more pieces than this
MAX_PIECES = 6


def neg(b, d: int, rank: int, p: float = 0.4) -> int:
    """Normalized dim d of a rank-`rank` tensor, sometimes spelled negative."""
    return d - rank if b.choices.boolean(p) else d


def shuffled(b, items) -> list:
    items, out = list(items), []
    while items:
        out.append(items.pop(b.choices.integer(0, len(items) - 1)))
    return out


def prime_factors(n: int) -> list[int]:
    out, p = [], 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


#: an ONNX Slice end past any dim (Slice clamps it)
BIG = 2**62


class ShapeOp(OpSpec):
    dtypes = ALL


def to_shape(ctx, x: str, out: str) -> None:
    """Reshape x to out's (static) IR shape: layout ops that only regroup dims."""
    ctx.node("Reshape", [x, ctx.ints(ctx.types[out].shape)], [out])


class Reshape(ShapeOp):
    """torch.reshape / Tensor.reshape to a shape of equal numel, sometimes with one -1."""

    name, onnx_ops = "reshape", ("Reshape",)

    def sample_attrs(self, b, types):
        c = b.choices
        n = types[0].numel
        rank = c.integer(0 if n == 1 else 1, 4)
        shape = [1] * rank
        for f in prime_factors(n):
            shape[c.integer(0, rank - 1)] *= f
        if rank and c.boolean(0.4):
            shape[c.integer(0, rank - 1)] = -1
        attrs: dict = {"shape": shape}
        if c.boolean(0.3):
            attrs["method"] = True
        return attrs

    def infer(self, types, attrs):
        shape = [int(s) for s in attrs["shape"]]
        if -1 in shape:
            known = 1
            for s in shape:
                if s != -1:
                    known *= s
            shape[shape.index(-1)] = types[0].numel // known
        return [types[0].with_shape(shape)]

    def torch(self, ctx, attrs, a):
        if attrs.get("method"):
            return f"{a[0]}.reshape({py(attrs['shape'])})"
        return f"torch.reshape({a[0]}, {py(attrs['shape'])})"

    def onnx(self, ctx, attrs, a, outs):
        # the drawn spelling, -1 included (no dim is ever 0, so allowzero does not matter)
        ctx.node("Reshape", [a[0], ctx.ints(attrs["shape"])], outs)

    def tf(self, ctx, attrs, a, types):
        return ctx.tf.reshape(a[0], [int(s) for s in attrs["shape"]])


class Transpose(ShapeOp):
    """torch.transpose(x, d0, d1); d0 == d1 and rank-0 inputs are legal."""

    name, onnx_ops = "transpose", ("Transpose",)

    def sample_attrs(self, b, types):
        c = b.choices
        r = max(types[0].rank, 1)
        return {"dim0": neg(b, c.integer(0, r - 1), r), "dim1": neg(b, c.integer(0, r - 1), r)}

    def infer(self, types, attrs):
        x = types[0]
        if x.rank == 0:
            return [x]
        s = list(x.shape)
        i, j = norm_dim(attrs["dim0"], x.rank), norm_dim(attrs["dim1"], x.rank)
        s[i], s[j] = s[j], s[i]
        return [x.with_shape(s)]

    def torch(self, ctx, attrs, a):
        return f"torch.transpose({a[0]}, {attrs['dim0']!r}, {attrs['dim1']!r})"

    def onnx(self, ctx, attrs, a, outs):
        r = ctx.types[a[0]].rank
        if r == 0:
            ctx.node("Identity", a, outs)
            return
        perm = list(range(r))
        i, j = norm_dim(attrs["dim0"], r), norm_dim(attrs["dim1"], r)
        perm[i], perm[j] = perm[j], perm[i]
        ctx.node("Transpose", a, outs, perm=perm)

    def tf(self, ctx, attrs, a, types):
        rank = types[0].rank
        if rank == 0:
            return a[0]
        perm = list(range(rank))
        i, j = norm_dim(attrs["dim0"], rank), norm_dim(attrs["dim1"], rank)
        perm[i], perm[j] = perm[j], perm[i]
        return ctx.tf.transpose(a[0], perm)


class Permute(ShapeOp):
    name, onnx_ops = "permute", ("Transpose",)

    def sample_attrs(self, b, types):
        r = types[0].rank
        attrs: dict = {"dims": [neg(b, d, r, 0.2) for d in shuffled(b, range(r))]}
        if b.choices.boolean(0.3):
            attrs["method"] = True
        return attrs

    def infer(self, types, attrs):
        x = types[0]
        return [x.with_shape(tuple(x.shape[norm_dim(d, x.rank)] for d in attrs["dims"]))]

    def torch(self, ctx, attrs, a):
        if attrs.get("method"):
            return f"{a[0]}.permute({py(attrs['dims'])})"
        return f"torch.permute({a[0]}, {py(attrs['dims'])})"

    def onnx(self, ctx, attrs, a, outs):
        r = ctx.types[a[0]].rank
        if r == 0:  # permute(()) of a 0-d tensor; an empty perm attribute has no ONNX type
            ctx.node("Identity", a, outs)
        else:
            ctx.node("Transpose", a, outs, perm=[norm_dim(d, r) for d in attrs["dims"]])

    def tf(self, ctx, attrs, a, types):
        if types[0].rank == 0:
            return a[0]
        return ctx.tf.transpose(a[0], [norm_dim(d, types[0].rank) for d in attrs["dims"]])


class Cat(ShapeOp):
    """torch.cat([...], dim): x among 0-2 other operands that match it except along dim."""

    name, onnx_ops = "cat", ("Concat",)
    min_rank = 1

    def operands(self, b, x):
        c = b.choices
        xs = x.type.shape
        d = c.integer(0, len(xs) - 1)
        others = []
        for _ in range(c.choice([0, 1, 1, 1, 2])):
            shape = list(xs)
            shape[d] = xs[d] if c.boolean(0.3) else c.integer(1, b.config.max_dim)
            others.append(b.operand(TensorType(x.type.dtype, shape)))
        pos = c.integer(0, len(others))
        return others[:pos] + [x] + others[pos:]

    def sample_attrs(self, b, types):
        c = b.choices
        rank = types[0].rank
        diff = [i for i in range(rank) if len({t.shape[i] for t in types}) > 1]
        # with all shapes equal any dim is a valid concat dim
        d = diff[0] if diff else c.integer(0, rank - 1)
        attrs: dict = {"dim": neg(b, d, rank)}
        if c.boolean(0.3):
            attrs["fn"] = c.choice(["concat", "concatenate"])
        return attrs

    def infer(self, types, attrs):
        x = types[0]
        d = norm_dim(attrs["dim"], x.rank)
        shape = list(x.shape)
        shape[d] = sum(t.shape[d] for t in types)
        return [x.with_shape(shape)]

    def torch(self, ctx, attrs, a):
        fn = attrs.get("fn", "cat")
        return f"torch.{fn}([{', '.join(a)}], dim={attrs['dim']!r})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Concat", a, outs, axis=attrs["dim"])

    def tf(self, ctx, attrs, a, types):
        return ctx.tf.concat(list(a), axis=norm_dim(attrs["dim"], types[0].rank))


class Slice(ShapeOp):
    """Basic slicing x[..., a:b:step] on one or two dims (negative and out-of-range bounds,
    omitted bounds, step >= 1), or torch.narrow(x, dim, start, length) with a negative start."""

    name, onnx_ops = "slice", ("Slice",)
    min_rank = 1

    def sample_attrs(self, b, types):
        c = b.choices
        shape = types[0].shape
        rank = len(shape)
        if c.boolean(0.25):
            d = c.integer(0, rank - 1)
            n = shape[d]
            start = c.integer(0, n - 1)
            length = c.integer(1, n - start)
            return {"narrow": [neg(b, d, rank), start - n if c.boolean(0.3) else start, length]}
        slices = []
        for d in sorted(shuffled(b, range(rank))[: c.choice([1, 1, 2])]):
            n = shape[d]
            s0 = c.integer(0, n - 1)
            e = c.integer(s0 + 1, n)
            if s0 == 0 and c.boolean(0.3):
                start = None
            else:
                start = s0 - n if c.boolean(0.3) else s0
            if e == n:
                stop = c.choice([None, n, n + c.integer(1, 5)])
            else:
                stop = e - n if c.boolean(0.3) else e
            step = c.choice([None, 1, 2, 3]) if c.boolean(0.5) else None
            slices.append([d, start, stop, step])
        if c.boolean(0.3):  # x[..., a:b, :]: dims counted from the end
            slices = [[d - rank, *rest] for d, *rest in slices]
            return {"slices": slices}
        return {"slices": slices, "trailing_ellipsis": c.boolean(0.2)}

    def infer(self, types, attrs):
        x = types[0]
        shape = list(x.shape)
        if "narrow" in attrs:
            d, _, length = attrs["narrow"]
            shape[norm_dim(d, x.rank)] = length
        else:
            for d, start, stop, step in attrs["slices"]:
                d = norm_dim(d, x.rank)
                shape[d] = len(range(*slice(start, stop, step).indices(shape[d])))
        return [x.with_shape(shape)]

    def torch(self, ctx, attrs, a):
        if "narrow" in attrs:
            d, start, length = attrs["narrow"]
            return f"torch.narrow({a[0]}, {d!r}, {start!r}, {length!r})"
        by_dim = {d: (start, stop, step) for d, start, stop, step in attrs["slices"]}

        def part(d):
            if d not in by_dim:
                return ":"
            start, stop, step = by_dim[d]
            text = f"{'' if start is None else start}:{'' if stop is None else stop}"
            return text if step is None else f"{text}:{step}"

        dims = sorted(by_dim)
        if dims[0] < 0:
            parts = ["..."] + [part(d) for d in range(dims[0], 0)]
        else:
            parts = [part(d) for d in range(dims[-1] + 1)] + (["..."] if attrs.get("trailing_ellipsis") else [])
        return f"{a[0]}[{', '.join(parts)}]"

    def onnx(self, ctx, attrs, a, outs):
        # ONNX Slice clamps out-of-range bounds like Python slicing; a None bound is the dim's end
        if "narrow" in attrs:
            d, start, length = attrs["narrow"]
            n = ctx.types[a[0]].shape[norm_dim(d, ctx.types[a[0]].rank)]
            start = start + n if start < 0 else start
            starts, ends, axes, steps = [start], [start + length], [d], [1]
        else:
            starts = [0 if st is None else st for _, st, _, _ in attrs["slices"]]
            ends = [BIG if sp is None else sp for _, _, sp, _ in attrs["slices"]]
            axes = [d for d, _, _, _ in attrs["slices"]]
            steps = [1 if sp is None else sp for _, _, _, sp in attrs["slices"]]
        ctx.node("Slice", [a[0], ctx.ints(starts), ctx.ints(ends), ctx.ints(axes), ctx.ints(steps)], outs)

    def tf(self, ctx, attrs, a, types):
        rank = types[0].rank
        index = [slice(None)] * rank
        if "narrow" in attrs:
            d, start, length = attrs["narrow"]
            d = norm_dim(d, rank)
            start = start % types[0].shape[d]
            index[d] = slice(start, start + length)
        else:
            # Python slice bounds (negative, omitted, past the end) mean the same in TF indexing
            for d, start, stop, step in attrs["slices"]:
                index[norm_dim(d, rank)] = slice(start, stop, step)
        return a[0][tuple(index)]


class Squeeze(ShapeOp):
    """torch.squeeze(x), squeeze(x, dim) and squeeze(x, (dims,)); a dim whose size is not 1 is
    legal and left alone, which ONNX Squeeze does not allow."""

    name, onnx_ops = "squeeze", ("Squeeze",)

    def sample_attrs(self, b, types):
        c = b.choices
        shape = types[0].shape
        rank = len(shape)
        ones = [i for i, s in enumerate(shape) if s == 1]
        form = c.choice(["all", "int", "int", "tuple"])
        if form == "all":
            return {}
        r = max(rank, 1)
        pool = ones if ones and not c.boolean(0.15) else list(range(r))
        if form == "int":
            return {"dim": neg(b, c.choice(pool), r)}
        k = c.integer(1, len(pool))
        return {"dim": [neg(b, d, r) for d in shuffled(b, pool)[:k]]}

    def infer(self, types, attrs):
        x = types[0]
        if x.rank == 0:
            return [x]
        if "dim" not in attrs:
            dims = set(range(x.rank))
        elif isinstance(attrs["dim"], (list, tuple)):
            dims = {norm_dim(d, x.rank) for d in attrs["dim"]}
        else:
            dims = {norm_dim(attrs["dim"], x.rank)}
        return [x.with_shape(tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1)))]

    def torch(self, ctx, attrs, a):
        if "dim" not in attrs:
            return f"torch.squeeze({a[0]})"
        return f"torch.squeeze({a[0]}, {py(attrs['dim'])})"

    def onnx(self, ctx, attrs, a, outs):
        # ONNX Squeeze rejects a named dim whose size is not 1; torch leaves it: name only the 1s
        x = ctx.types[a[0]]
        if x.rank == 0:
            dims = []
        elif "dim" not in attrs:
            dims = range(x.rank)
        else:
            dims = attrs["dim"] if isinstance(attrs["dim"], (list, tuple)) else [attrs["dim"]]
        axes = sorted({norm_dim(d, x.rank) for d in dims if x.shape[norm_dim(d, x.rank)] == 1})
        if axes:
            squeeze(ctx, a[0], axes, outs)
        else:
            ctx.node("Identity", a, outs)

    def tf(self, ctx, attrs, a, types):
        x = types[0]
        if x.rank == 0:
            return a[0]
        if "dim" not in attrs:
            dims = range(x.rank)
        elif isinstance(attrs["dim"], (list, tuple)):
            dims = [norm_dim(d, x.rank) for d in attrs["dim"]]
        else:
            dims = [norm_dim(attrs["dim"], x.rank)]
        # torch leaves a named dim whose size is not 1 alone; tf.squeeze would refuse it
        ones = sorted({d for d in dims if x.shape[d] == 1})
        return ctx.tf.squeeze(a[0], ones) if ones else a[0]


class Unsqueeze(ShapeOp):
    """torch.unsqueeze(x, d) for d in [-(rank+1), rank], or the x[:, None] indexing spelling."""

    name, onnx_ops = "unsqueeze", ("Unsqueeze",)
    max_rank = 4

    def sample_attrs(self, b, types):
        c = b.choices
        r = types[0].rank + 1
        d = c.integer(0, r - 1)
        if c.boolean(0.25):
            return {"dim": d, "index": True}
        return {"dim": neg(b, d, r)}

    def infer(self, types, attrs):
        x = types[0]
        d = norm_dim(attrs["dim"], x.rank + 1)
        return [x.with_shape(x.shape[:d] + (1,) + x.shape[d:])]

    def torch(self, ctx, attrs, a):
        if attrs.get("index"):
            return f"{a[0]}[{', '.join([':'] * attrs['dim'] + ['None'])}]"
        return f"torch.unsqueeze({a[0]}, {attrs['dim']!r})"

    def onnx(self, ctx, attrs, a, outs):
        unsqueeze(ctx, a[0], [attrs["dim"]], outs)  # a negative axis counts in the output's rank, as in torch

    def tf(self, ctx, attrs, a, types):
        return ctx.tf.expand_dims(a[0], norm_dim(attrs["dim"], types[0].rank + 1))


class Flatten(ShapeOp):
    """torch.flatten(x, start_dim, end_dim) (start <= end after normalizing); a rank-0 input
    becomes shape (1,)."""

    name, onnx_ops = "flatten", ("Flatten", "Reshape")

    def sample_attrs(self, b, types):
        c = b.choices
        r = max(types[0].rank, 1)
        s = c.integer(0, r - 1)
        e = c.integer(s, r - 1)
        form = c.choice(["default", "start", "both", "both"])
        if form == "default":
            return {}
        if form == "start":
            return {"start_dim": neg(b, s, r)}
        return {"start_dim": neg(b, s, r), "end_dim": neg(b, e, r)}

    def infer(self, types, attrs):
        x = types[0]
        if x.rank == 0:
            return [x.with_shape((1,))]
        s = norm_dim(attrs.get("start_dim", 0), x.rank)
        e = norm_dim(attrs.get("end_dim", -1), x.rank)
        n = 1
        for v in x.shape[s:e + 1]:
            n *= v
        return [x.with_shape(x.shape[:s] + (n,) + x.shape[e + 1:])]

    def torch(self, ctx, attrs, a):
        kw = "".join(f", {k}={attrs[k]!r}" for k in ("start_dim", "end_dim") if k in attrs)
        return f"torch.flatten({a[0]}{kw})"

    def onnx(self, ctx, attrs, a, outs):
        x = ctx.types[a[0]]
        if (x.rank >= 2 and norm_dim(attrs.get("start_dim", 0), x.rank) == 1 and norm_dim(attrs.get("end_dim", -1), x.rank) == x.rank - 1
                and accepts("Flatten", ctx.opset, ctx.dtype(x.dtype))):  # Flatten takes no ints before 9: Reshape then
            ctx.node("Flatten", a, outs, axis=1)  # ONNX Flatten is always 2-D: (N, rest) is its one torch form
        else:
            to_shape(ctx, a[0], outs[0])

    def tf(self, ctx, attrs, a, types):
        return ctx.tf.reshape(a[0], self.infer(types, attrs)[0].shape)


class Expand(ShapeOp):
    """Tensor.expand(sizes): size-1 dims widened, -1 keeps a dim, new leading dims prepended."""

    name, onnx_ops = "expand", ("Expand",)
    max_rank = 4

    def sample_attrs(self, b, types):
        c = b.choices
        x = types[0]
        lead = [c.integer(1, 4) for _ in range(c.integer(0, min(2, 4 - x.rank)))]
        sizes = []
        for s in x.shape:
            if s == 1:
                sizes.append(c.choice([1, -1, c.integer(2, 4), c.integer(2, 4)]))
            else:
                sizes.append(-1 if c.boolean(0.3) else s)
        attrs: dict = {"sizes": lead + sizes}
        if c.boolean(0.25):
            attrs["fn"] = "broadcast_to"
        return attrs

    def infer(self, types, attrs):
        x = types[0]
        sizes = list(attrs["sizes"])
        k = len(sizes) - x.rank
        out = sizes[:k] + [x.shape[i] if s == -1 else s for i, s in enumerate(sizes[k:])]
        return [x.with_shape(out)]

    def torch(self, ctx, attrs, a):
        if attrs.get("fn") == "broadcast_to":
            return f"torch.broadcast_to({a[0]}, {py(attrs['sizes'])})"
        return f"{a[0]}.expand({py(attrs['sizes'])})"

    def onnx(self, ctx, attrs, a, outs):
        ctx.node("Expand", [a[0], ctx.ints(ctx.types[outs[0]].shape)], outs)

    def tf(self, ctx, attrs, a, types):
        return ctx.tf.broadcast_to(a[0], self.infer(types, attrs)[0].shape)


class Split(ShapeOp):
    """torch.split(x, split_size | sections, dim): several outputs. A split size >= the dim's
    length gives a single piece, taken out of the 1-tuple with [0]."""

    name, onnx_ops = "split", ("Split", "Slice")
    min_rank = 1

    def sample_attrs(self, b, types):
        c = b.choices
        shape = types[0].shape
        rank = len(shape)
        d = c.integer(0, rank - 1)
        n = shape[d]
        if c.boolean(0.5):
            lo = -(-n // MAX_PIECES)
            size = c.integer(lo, n + 1)
            return {"split": size, "dim": neg(b, d, rank), "pieces": -(-n // size)}
        pieces = c.integer(1, min(n, MAX_PIECES))
        cuts = sorted(shuffled(b, range(1, n))[: pieces - 1])
        sections = [e - s for s, e in zip([0] + cuts, cuts + [n])]
        return {"split": sections, "dim": neg(b, d, rank), "pieces": len(sections)}

    def infer(self, types, attrs):
        x = types[0]
        d = norm_dim(attrs["dim"], x.rank)
        n = x.shape[d]
        split = attrs["split"]
        sizes = list(split) if isinstance(split, (list, tuple)) else \
            [min(split, n - i) for i in range(0, n, split)]
        return [x.with_shape(x.shape[:d] + (s,) + x.shape[d + 1:]) for s in sizes]

    def torch(self, ctx, attrs, a):
        expr = f"torch.split({a[0]}, {py(attrs['split'])}, dim={attrs['dim']!r})"
        return f"{expr}[0]" if attrs["pieces"] == 1 else expr

    def onnx(self, ctx, attrs, a, outs):
        split_pieces(ctx, attrs, a, outs)

    def tf(self, ctx, attrs, a, types):
        return tf_pieces(ctx, a[0], self.infer(types, attrs), norm_dim(attrs["dim"], types[0].rank))


def tf_pieces(ctx, x, outs: list, d: int):
    """x split along dim d into the pieces outs (the op's output types) in TF."""
    parts = ctx.tf.split(x, [t.shape[d] for t in outs], axis=d)
    return parts[0] if len(outs) == 1 else tuple(parts)


def split_pieces(ctx, attrs, a, outs) -> None:
    """ONNX Split with the piece sizes as an input (from opset 13), read off the outputs' types."""
    axis = norm_dim(attrs["dim"], ctx.types[a[0]].rank)
    sizes = [ctx.types[o].shape[axis] for o in outs]
    ctx.node("Split", [a[0], ctx.ints(sizes)], outs, axis=attrs["dim"])


class Chunk(ShapeOp):
    """torch.chunk(x, chunks, dim): pieces of ceil(n / chunks), so fewer than `chunks` pieces
    may come back (chunk(6, 4) gives 3)."""

    name, onnx_ops = "chunk", ("Split", "Slice")
    min_rank = 1

    def sample_attrs(self, b, types):
        c = b.choices
        shape = types[0].shape
        d = c.integer(0, len(shape) - 1)
        n = shape[d]
        chunks = c.integer(1, min(n, MAX_PIECES) + 1)
        size = -(-n // chunks)
        if -(-n // size) > MAX_PIECES:
            raise Rejected("chunk: too many pieces")
        return {"chunks": chunks, "dim": neg(b, d, len(shape)), "pieces": -(-n // size)}

    def infer(self, types, attrs):
        x = types[0]
        d = norm_dim(attrs["dim"], x.rank)
        n = x.shape[d]
        size = -(-n // attrs["chunks"])
        return [x.with_shape(x.shape[:d] + (min(size, n - i),) + x.shape[d + 1:]) for i in range(0, n, size)]

    def torch(self, ctx, attrs, a):
        expr = f"torch.chunk({a[0]}, {attrs['chunks']!r}, dim={attrs['dim']!r})"
        return f"{expr}[0]" if attrs["pieces"] == 1 else expr

    def onnx(self, ctx, attrs, a, outs):
        split_pieces(ctx, attrs, a, outs)

    def tf(self, ctx, attrs, a, types):
        return tf_pieces(ctx, a[0], self.infer(types, attrs), norm_dim(attrs["dim"], types[0].rank))


class Flip(ShapeOp):
    name, onnx_ops = "flip", ("Slice",)
    min_rank = 1

    def sample_attrs(self, b, types):
        r = types[0].rank
        dims = shuffled(b, range(r))[: b.choices.integer(1, r)]
        return {"dims": [neg(b, d, r) for d in dims]}

    infer = staticmethod(lambda types, attrs: [types[0]])

    def torch(self, ctx, attrs, a):
        return f"torch.flip({a[0]}, {py(attrs['dims'])})"

    def onnx(self, ctx, attrs, a, outs):
        # a step of -1 from the last element past the first
        dims = attrs["dims"]
        k = len(dims)
        ctx.node("Slice", [a[0], ctx.ints([-1] * k), ctx.ints([-BIG] * k), ctx.ints(dims), ctx.ints([-1] * k)], outs)

    def tf(self, ctx, attrs, a, types):
        return ctx.tf.reverse(a[0], [norm_dim(d, types[0].rank) for d in attrs["dims"]])
