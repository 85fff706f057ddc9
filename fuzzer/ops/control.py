"""Control flow: torch.cond, while_loop and scan, and ONNX If, Loop and Scan built directly.

Every body (a branch, a loop body, a scan step) is a short chain of existing
single-operand specs, stored in the node's attrs as JSON-friendly steps:

    {"op": spec name, "attrs": that spec's attrs, "args": operand indices}

where index -1 is the chain's running value and k >= 0 is the control-flow
node's k-th operand (a weight, or a graph value the body reads from the outer
scope). Both lowerings are composed from the step specs' own `torch` and
`onnx` hooks, so a body is exactly as well tested as the ops it is made of.
Steps keep their operand's type, so a loop-carried value keeps its type and
both branches of a conditional agree by construction.

Which exporter captures what (torch 2.13, checked by tests/unit/test_control_flow.py):
torch.cond -> If, torch.ops.higher_order.while_loop -> Loop and
torch.ops.higher_order.scan -> Scan, all through the dynamo exporter only.
TorchScript tracing of a model holding any of them raises (it cannot trace a
higher-order op), so those specs name the dynamo exporters (and onnx-direct, which
builds them from their `onnx` lowering) in `exporters`.
ONNX-only forms (If on another value's predicate, Loop with a trip count,
iteration number and scan outputs, Scan over two inputs with axes and
directions) are `exportable = False`: their torch lowering is the float64
truth only, written with plain Python control flow.
"""
from __future__ import annotations

from typing import Any

from fuzzer.errors import Rejected
from fuzzer.ir import DType, TensorType
from fuzzer.ops import all_specs, get_spec
from fuzzer.ops.base import DrawsWithNotes, MAX_NUMEL, OpSpec, py
from fuzzer.ops.elementwise import Binary, Compare, Unary

#: who can build the torch forms: torch.export-based exporters (TorchScript tracing raises on a
#: higher-order op) and the direct ONNX frontend, through the same spec's `onnx` lowering
CAPTURE = ("dynamo", "dynamo-noopt", "onnx-direct")
#: predicate reductions: the name both the torch method and the ONNX Reduce* op are built from
PRED_REDUCE = {"sum": "ReduceSum", "mean": "ReduceMean", "amax": "ReduceMax"}
#: how a scan step merges its carry with the scanned slice(s)
COMBINE = {"add": ("torch.add", "Add"), "mul": ("torch.mul", "Mul"), "maximum": ("torch.maximum", "Max")}


# -- step chains ------------------------------------------------------------------
def _step_pool(exportable: bool) -> list[tuple[str, OpSpec]]:
    """(kind, spec) of every spec usable as a body step: unary and binary elementwise specs
    without an input domain (a body's running value cannot be guarded), and matmul with a
    square weight. Each must lower to ONNX, and to exportable torch when the body is exported."""
    pool = []
    for s in all_specs():
        if s.control_flow or not s.has_onnx or (exportable and not s.exportable) or s.domain is not None:
            continue
        if isinstance(s, Unary) and type(s).operands is OpSpec.operands:
            pool.append(("unary", s))
        elif isinstance(s, Binary) and not isinstance(s, Compare):
            pool.append(("binary", s))
        elif s.name == "matmul":
            pool.append(("matmul", s))
    return pool


def _narrow_partner(b, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts *into* shape (never widens it): trailing dims kept or 1."""
    c = b.choices
    rank = c.integer(0, len(shape)) if c.boolean(0.3) else len(shape)
    return tuple(d if c.boolean(0.7) else 1 for d in shape[len(shape) - rank:])


def draw_chain(b, t: TensorType, ops: list, *, exportable: bool, lo: int = 1, hi: int = 3) -> list[dict]:
    """lo..hi steps, each keeping type t; operands a step needs are appended to ops.

    Raises Rejected when no step spec fits t (the generator then tries another op).
    """
    c = b.choices
    allowed = b.config.ops  # `--ops` restricts the bodies too, not only the top level
    pool = [(k, s) for k, s in _step_pool(exportable)
            if s.accepts(t) and (s.name, t.dtype.value) not in b.config.avoid and (allowed is None or s.name in allowed)]
    if not pool:
        raise Rejected(f"no body step accepts {t}")
    steps = []
    for _ in range(c.integer(lo, hi)):
        kind, spec = c.choice(pool)
        args, types = [-1], [t]
        if kind == "binary":
            y = b.operand(TensorType(t.dtype, _narrow_partner(b, t.shape)), domain=spec.rhs_domain)
            ops.append(y)
            swap = spec.rhs_domain is None and y.type == t and c.boolean(0.3)
            args = [len(ops) - 1, -1] if swap else [-1, len(ops) - 1]
            types = [y.type, t] if swap else [t, y.type]
        elif kind == "matmul":
            if t.rank == 0:
                raise Rejected("matmul step on a scalar")
            k = t.shape[-1]
            ops.append(b.operand(TensorType(t.dtype, (k, k)), weight=True))
            args, types = [-1, len(ops) - 1], [t, ops[-1].type]
        attrs = spec.sample_attrs(b, types)
        if spec.infer(types, attrs) != [t]:
            raise Rejected(f"step {spec.name} changes {t}")
        steps.append({"op": spec.name, "attrs": attrs, "args": args})
    return steps


def check_chain(steps: list[dict], t: TensorType, types: list[TensorType]) -> None:
    """Raise ValueError unless every step still keeps type t given the node's operand types.

    draw_chain makes this hold at the generated size; infer() checks it again because the
    dynamic planner re-types the graph at other sizes (fuzzer.generate.dynamic), where a step's
    operand may no longer broadcast into t. The truth would not notice in a branch it does not
    take (a Python conditional runs one branch), but every ONNX runtime types both branches.
    """
    for st in steps:
        args = [t if k == -1 else types[k] for k in st["args"]]
        if get_spec(st["op"]).infer(args, st["attrs"]) != [t]:
            raise ValueError(f"body step {st['op']} on {args} no longer keeps {t}")


def torch_chain(ctx, steps: list[dict], cur: str, names: list[str]) -> str:
    """The chain as one torch expression over cur and the operand names."""
    for st in steps:
        args = [cur if k == -1 else names[k] for k in st["args"]]
        cur = f"({get_spec(st['op']).torch(ctx, st['attrs'], args)})"
    return cur


def onnx_chain(ctx, steps: list[dict], cur: str, names: list[str], t: TensorType) -> str:
    """Emit the chain's nodes into ctx; returns the name of its result (a fresh name, never cur,
    so a subgraph output is always produced inside the subgraph)."""
    if not steps:
        out = ctx.fresh("id")
        ctx.types[out] = t
        return ctx.node("Identity", [cur], [out])[0]
    for st in steps:
        args = [cur if k == -1 else names[k] for k in st["args"]]
        out = ctx.fresh(st["op"])
        ctx.types[out] = t
        get_spec(st["op"]).onnx(ctx, st["attrs"], args, [out])
        cur = out
    return cur


def _distinct(names: list[str]) -> list[str]:
    """names, each repeat cloned: torch.export refuses a higher-order op whose operands alias
    one another ("might be aliasing the input"), which the generator's value reuse would cause."""
    seen: set[str] = set()
    out = []
    for n in names:
        out.append(f"{n}.clone()" if n in seen else n)
        seen.add(n)
    return out


def _params(n: int) -> list[str]:
    # lambda parameter names: operand names may be `self.c3`, which cannot be a parameter
    return [f"_a{i}" for i in range(n)]


#: the torch method of each predicate reduction; `max` for amax because the dynamo exporter of
#: torch 2.13 cannot translate aten.amax without dims (a bug outside control flow, which would
#: otherwise fail every case whose predicate uses it)
TORCH_REDUCE = {"sum": "sum", "mean": "mean", "amax": "max"}


def torch_pred(x: str, attrs: dict) -> str:
    return f"({x}.{TORCH_REDUCE[attrs['reduce']]}() {attrs['cmp']} {py(attrs['threshold'])})"


def onnx_pred(ctx, x: str, attrs: dict) -> str:
    """Reduce x to a scalar (no axes: every axis, valid at every opset) and compare."""
    t = ctx.types[x]
    r = ctx.node(PRED_REDUCE[attrs["reduce"]], [x], 1, keepdims=0)[0]
    op = {">": "Greater", "<": "Less"}[attrs["cmp"]]
    return ctx.node(op, [r, ctx.scalar(attrs["threshold"], t.dtype)])[0]


def sample_pred(b, t: TensorType, cmp: str = ">") -> dict[str, Any]:
    """A data-dependent predicate on a value of type t. Inputs lie around 0, so a threshold
    at or near 0 takes both branches across inputs; a mean keeps that true at any size."""
    c = b.choices
    reduce = c.choice(["sum", "mean", "mean", "amax"])
    threshold = c.choice([0.0, 0.0, 0.25, -0.25]) if reduce != "amax" else c.choice([0.5, 1.0, 1.5])
    return {"reduce": reduce, "cmp": cmp, "threshold": threshold}


class ControlFlow(OpSpec):
    """Shared flags: float operands (thresholds and bodies are float-valued), drawn only on request.

    A body is drawn in operands(), because its steps add operands; it reaches sample_attrs()
    through the spec instance, which OpSpec.build calls right after, in the same thread.
    """

    control_flow = True
    dtypes = frozenset({DType.float32, DType.float64, DType.float16})
    max_rank = 4


# -- conditionals -----------------------------------------------------------------
class Cond(DrawsWithNotes, ControlFlow):
    """torch.cond(x.<reduce>() > t, then_fn, else_fn, operands) -> ONNX If.

    operands: [x, *values the branch steps use]; both branches see all of them.
    """

    name, onnx_ops = "cond", ("If", "ReduceSum", "ReduceMean", "ReduceMax", "Greater")
    exporters = CAPTURE

    def draw_operands(self, b, x, note):
        ops = [x]
        note.branches = (draw_chain(b, x.type, ops, exportable=self.exportable),
                          draw_chain(b, x.type, ops, exportable=self.exportable))
        return ops

    def draw_attrs(self, b, types, note):
        then, els = note.branches
        return {"pred": sample_pred(b, types[0]), "then": then, "else": els}

    def infer(self, types, attrs):
        check_chain(attrs["then"], types[0], types)
        check_chain(attrs["else"], types[0], types)
        return [types[0]]

    def torch(self, ctx, attrs, a):
        p = _params(len(a))
        sig = ", ".join(p)
        then = torch_chain(ctx, attrs["then"], p[0], p)
        els = torch_chain(ctx, attrs["else"], p[0], p)
        return (f"torch.cond({torch_pred(a[0], attrs['pred'])}, lambda {sig}: {then}, "
                f"lambda {sig}: {els}, ({', '.join(_distinct(a))},))")

    def onnx(self, ctx, attrs, a, outs):
        t = ctx.types[a[0]]
        pred = onnx_pred(ctx, a[0], attrs["pred"])

        def branch(steps):
            # no inputs: the branch reads x and the weights from the enclosing graph
            return ctx.subgraph([], lambda sub, _: [(onnx_chain(sub, steps, a[0], a, t), t)], name="branch")

        ctx.node("If", [pred], outs, then_branch=branch(attrs["then"]), else_branch=branch(attrs["else"]))


class OnnxIf(Cond):
    """ONNX If whose predicate comes from another value p (any float tensor of the graph), with
    branches that read x and weights from the outer scope. Truth: a Python conditional."""

    name, onnx_ops = "onnx_if", ("If",)
    exportable, exporters = False, None

    def draw_operands(self, b, x, note):
        ops = super().draw_operands(b, x, note)
        dims = tuple(b.choices.integer(1, 4) for _ in range(b.choices.integer(0, 2)))
        ops.append(b.operand(TensorType(x.type.dtype, dims), reuse=0.7))
        return ops

    def draw_attrs(self, b, types, note):
        attrs = super().draw_attrs(b, types, note)
        attrs["pred"] = sample_pred(b, types[-1], cmp=b.choices.choice([">", "<"]))
        return attrs

    def torch(self, ctx, attrs, a):
        then = torch_chain(ctx, attrs["then"], a[0], a)
        els = torch_chain(ctx, attrs["else"], a[0], a)
        return f"({then} if {torch_pred(a[-1], attrs['pred'])} else {els})"

    def onnx(self, ctx, attrs, a, outs):
        t = ctx.types[a[0]]
        pred = onnx_pred(ctx, a[-1], attrs["pred"])

        def branch(steps):
            return ctx.subgraph([], lambda sub, _: [(onnx_chain(sub, steps, a[0], a, t), t)], name="branch")

        ctx.node("If", [pred], outs, then_branch=branch(attrs["then"]), else_branch=branch(attrs["else"]))


# -- loops ------------------------------------------------------------------------
def _no_cond(ctx, attrs) -> str:
    """The initial condition of a Loop bounded by its trip count only: omitted, or a constant
    true. Both mean "run trips times"; onnx 1.23's ReferenceEvaluator runs no iteration at all
    for the omitted form (its loop is `while cond and ...` with cond None)."""
    if attrs.get("omit_cond", True):
        return ""
    return ctx.const(True, DType.bool)


class WhileLoop(DrawsWithNotes, ControlFlow):
    """torch.ops.higher_order.while_loop carrying (i, s): at most `trips` iterations of s = body(s),
    optionally only while s.<reduce>() < t -> ONNX Loop (trip count and condition)."""

    name, onnx_ops = "while_loop", ("Loop",)
    exporters = CAPTURE

    def draw_operands(self, b, x, note):
        ops = [x]
        note.body = draw_chain(b, x.type, ops, exportable=self.exportable)
        return ops

    def draw_attrs(self, b, types, note):
        c = b.choices
        pred = sample_pred(b, types[0], cmp="<") if c.boolean(0.5) else None
        if pred is not None:  # a loop runs while below the threshold: start it high enough to stop
            pred["threshold"] = c.choice([0.5, 1.0, 2.0])
        return {"trips": c.integer(1, 4), "pred": pred, "body": note.body, "omit_cond": c.boolean(0.5)}

    def infer(self, types, attrs):
        check_chain(attrs["body"], types[0], types)
        return [types[0]]

    def torch(self, ctx, attrs, a):
        p = _params(len(a))
        rest = ", ".join(_distinct(a)[1:])
        sig = ", ".join(["_i", "_s", *p[1:]])
        names = ["_s", *p[1:]]
        cond = f"(_i < {attrs['trips']})"
        if attrs["pred"] is not None:
            cond = f"({cond} & {torch_pred('_s', attrs['pred'])})"
        body = torch_chain(ctx, attrs["body"], "_s", names)
        return (f"torch.ops.higher_order.while_loop(lambda {sig}: {cond}, lambda {sig}: (_i + 1, {body}), "
                f"(torch.zeros((), dtype=torch.int64), {a[0]}), ({rest}{',' if rest else ''}))[1]")

    def onnx(self, ctx, attrs, a, outs):
        t = ctx.types[a[0]]
        pred = attrs["pred"]
        cond = onnx_pred(ctx, a[0], pred) if pred is not None else _no_cond(ctx, attrs)

        def body(sub, names):
            _, c_in, s = names
            s2 = onnx_chain(sub, attrs["body"], s, [s, *a[1:]], t)
            c_out = onnx_pred(sub, s2, pred) if pred is not None else sub.node("Identity", [c_in])[0]
            return [(c_out, TensorType(DType.bool, ())), (s2, t)]

        g = ctx.subgraph([("iter", TensorType(DType.int64, ())), ("cond", TensorType(DType.bool, ())), ("s", t)],
                         body, name="loop")
        ctx.node("Loop", [ctx.scalar(attrs["trips"], DType.int64), cond, a[0]], outs, body=g)


class OnnxLoop(DrawsWithNotes, ControlFlow):
    """ONNX Loop with a constant trip count, optionally a data condition, a body that may add the
    iteration number, and (without a condition, so the count is static) the state of every
    iteration as a scan output. Truth: itertools.accumulate over range(trips)."""

    name, onnx_ops = "onnx_loop", ("Loop", "Cast")
    exportable = False

    def draw_operands(self, b, x, note):
        ops = [x]
        note.body = draw_chain(b, x.type, ops, exportable=False)
        return ops

    def draw_attrs(self, b, types, note):
        c = b.choices
        pred = None
        if c.boolean(0.4):
            pred = sample_pred(b, types[0], cmp="<")
            pred["threshold"] = c.choice([0.5, 1.0, 2.0])
        return {"trips": c.integer(1, 4), "pred": pred, "body": note.body, "omit_cond": c.boolean(0.5),
                "iter_scale": c.choice([0.5, -0.25]) if c.boolean(0.4) else None,
                "scan": pred is None and c.boolean(0.6)}

    def infer(self, types, attrs):
        t = types[0]
        check_chain(attrs["body"], t, types)
        outs = [t]
        if attrs["scan"]:
            outs.append(TensorType(t.dtype, (attrs["trips"], *t.shape)))
        if any(o.numel > MAX_NUMEL for o in outs):
            raise Rejected("scan output too large")
        return outs

    def torch(self, ctx, attrs, a):
        step = torch_chain(ctx, attrs["body"], "_s", ["_s", *a[1:]])
        if attrs["iter_scale"] is not None:
            step = f"({step} + _i * {py(attrs['iter_scale'])})"
        if attrs["pred"] is not None:
            # once the condition fails the state stops changing, so it keeps failing: same as a break
            step = f"({step} if {torch_pred('_s', attrs['pred'])} else _s)"
        states = f"list(__import__('itertools').accumulate(range({attrs['trips']}), lambda _s, _i: {step}, initial={a[0]}))"
        if attrs["scan"]:
            return f"(lambda _r: (_r[-1], torch.stack(_r[1:])))({states})"
        return f"{states}[-1]"

    def onnx(self, ctx, attrs, a, outs):
        t = ctx.types[a[0]]
        pred = attrs["pred"]
        cond = onnx_pred(ctx, a[0], pred) if pred is not None else _no_cond(ctx, attrs)

        def body(sub, names):
            i, c_in, s = names
            s2 = onnx_chain(sub, attrs["body"], s, [s, *a[1:]], t)
            if attrs["iter_scale"] is not None:
                fi = sub.node("Cast", [i], 1, to=sub.elem(t.dtype))[0]
                scaled = sub.node("Mul", [fi, sub.scalar(attrs["iter_scale"], t.dtype)])[0]
                s2 = sub.node("Add", [s2, scaled])[0]
                sub.types[s2] = t  # the condition below reduces it
            c_out = onnx_pred(sub, s2, pred) if pred is not None else sub.node("Identity", [c_in])[0]
            res = [(c_out, TensorType(DType.bool, ())), (s2, t)]
            if attrs["scan"]:
                res.append((sub.node("Identity", [s2])[0], t))
            return res

        g = ctx.subgraph([("iter", TensorType(DType.int64, ())), ("cond", TensorType(DType.bool, ())), ("s", t)],
                         body, name="loop")
        ctx.node("Loop", [ctx.scalar(attrs["trips"], DType.int64), cond, a[0]], outs, body=g)


# -- scans ------------------------------------------------------------------------
def _drop(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    return shape[:axis] + shape[axis + 1:]


def _same_shape(a: tuple[int, ...], b: tuple[int, ...], what: str) -> None:
    """Scan's shapes hold by construction at the generated size; re-typed at another size
    (fuzzer.generate.dynamic) they must still hold, or the plan leaves those dims static."""
    if tuple(a) != tuple(b):
        raise ValueError(f"{what} differ in shape: {tuple(a)} and {tuple(b)}")


class Scan(DrawsWithNotes, ControlFlow):
    """torch.ops.higher_order.scan (what torch._higher_order_ops.scan(step, init, x, dim=d,
    reverse=r) calls) -> ONNX Scan.

    operands: [x, init, *step values]; the carry has x's slice type; each step computes
    carry' = body(combine(carry, x_j)) and emits y_j = out(carry'), stacked along d.
    """

    name, onnx_ops = "scan", ("Scan",)
    exporters = CAPTURE
    min_rank = 1

    def draw_operands(self, b, x, note):
        c = b.choices
        note.axis = c.integer(0, x.type.rank - 1)
        slice_t = TensorType(x.type.dtype, _drop(x.type.shape, note.axis))
        ops = [x, b.operand(slice_t)]
        self._extra_scan(b, x, ops, note)
        note.body = draw_chain(b, slice_t, ops, exportable=self.exportable)
        note.out = draw_chain(b, slice_t, ops, exportable=self.exportable, hi=1)
        return ops

    def _extra_scan(self, b, x, ops, note) -> None:
        """Direct Scan may scan a second input; the torch one scans one."""

    def draw_attrs(self, b, types, note):
        return {"axis": note.axis, "reverse": b.choices.boolean(0.4), "combine": b.choices.choice(sorted(COMBINE)),
                "body": note.body, "out": note.out}

    def infer(self, types, attrs):
        _same_shape(types[1].shape, _drop(types[0].shape, attrs["axis"]), "the carry and a slice of x")
        check_chain(attrs["body"], types[1], types)
        check_chain(attrs["out"], types[1], types)
        return [types[1], types[0]]

    def torch(self, ctx, attrs, a):
        # the higher-order op itself, as the scan() wrapper calls it: it scans dim 0, forward, and
        # takes the values the step reads as explicit inputs; eager, it runs without compiling
        fn = COMBINE[attrs["combine"]][0]
        p = _params(len(a))
        names = ["_x", "_c", *p[2:]]  # operands 0 and 1 (x, init) are never a step's operand
        carry = torch_chain(ctx, attrs["body"], f"{fn}(_c, _x)", names)
        y = torch_chain(ctx, attrs["out"], "_n", names)
        flip = ".flip(0)" if attrs["reverse"] else ""
        d = attrs["axis"]
        extras = ", ".join(_distinct(a)[2:])
        step = f"lambda {', '.join(['_c', '_x', *p[2:]])}: (lambda _n: (_n, {y}))({carry})"
        hop = (f"torch.ops.higher_order.scan({step}, [{a[1]}], [{a[0]}.movedim({d}, 0){flip}], "
               f"({extras}{',' if extras else ''}))")
        return f"(lambda _r: (_r[0], _r[1]{flip}.movedim(0, {d})))({hop})"

    def onnx(self, ctx, attrs, a, outs):
        x_t, c_t = ctx.types[a[0]], ctx.types[a[1]]
        axes, dirs = self._scan_axes(attrs)
        scanned = [a[0], a[2]] if attrs.get("two") else [a[0]]

        def body(sub, names):
            cin, *xs = names
            op = COMBINE[attrs["combine"]][1]
            m = sub.node(op, [cin, xs[0]])[0]
            for xj in xs[1:]:
                m = sub.node(op, [m, xj])[0]
            sub.types[m] = c_t
            carry = onnx_chain(sub, attrs["body"], m, [xs[0], cin, *a[2:]], c_t)
            y = onnx_chain(sub, attrs["out"], carry, [xs[0], cin, *a[2:]], c_t)
            return [(carry, c_t), (y, c_t)]

        ins = [("c", c_t)] + [("x", TensorType(x_t.dtype, _drop(ctx.types[n].shape, ax)))
                               for n, ax in zip(scanned, axes)]
        g = ctx.subgraph(ins, body, name="scan")
        out_axes, out_dirs = self._out_axes(attrs)
        ctx.node("Scan", [a[1], *scanned], outs, body=g, num_scan_inputs=len(axes),
                 scan_input_axes=axes, scan_input_directions=dirs,
                 scan_output_axes=out_axes, scan_output_directions=out_dirs)

    # the torch form: one scanned input along `axis`; torch's reverse keeps y_j at position j,
    # which in ONNX is a reversed input and a prepending (reversed) output
    def _scan_axes(self, attrs):
        return [attrs["axis"]], [int(attrs["reverse"])]

    def _out_axes(self, attrs):
        return [attrs["axis"]], [int(attrs["reverse"])]


class OnnxScan(Scan):
    """ONNX Scan over one or two inputs (each along its own axis, each forward or reversed), the
    stacked output along any valid axis (negative ones too) and in either direction.

    operands: [x, init, (z,) *step values]; z, when present, has the carry's shape with the scan
    length inserted at its own axis. Truth: itertools.accumulate over torch.unbind.
    """

    name, onnx_ops = "onnx_scan", ("Scan",)
    exportable, exporters = False, None

    def _extra_scan(self, b, x, ops, note):
        c = b.choices
        note.two = c.boolean(0.5)
        if note.two:
            n = x.type.shape[note.axis]
            slice_shape = _drop(x.type.shape, note.axis)
            note.axis2 = c.integer(0, len(slice_shape))
            ops.append(b.operand(TensorType(x.type.dtype, slice_shape[:note.axis2] + (n,) + slice_shape[note.axis2:])))

    def draw_attrs(self, b, types, note):
        c = b.choices
        attrs = super().draw_attrs(b, types, note)
        r = types[1].rank  # the rank of one scan output element
        attrs.update(two=note.two, axis2=note.axis2 if note.two else None,
                     reverse2=c.boolean(0.4) if note.two else None,
                     out_axis=c.integer(-(r + 1), r), out_reverse=c.boolean(0.4))
        return attrs

    def infer(self, types, attrs):
        n = types[0].shape[attrs["axis"]]
        c_t = types[1]
        _same_shape(c_t.shape, _drop(types[0].shape, attrs["axis"]), "the carry and a slice of x")
        if attrs["two"]:
            # the truth zips the two scanned inputs, which would silently stop at the shorter
            _same_shape(types[2].shape[attrs["axis2"]:attrs["axis2"] + 1], (n,), "the scan lengths of x and z")
            _same_shape(_drop(types[2].shape, attrs["axis2"]), c_t.shape, "the carry and a slice of z")
        check_chain(attrs["body"], c_t, types)
        check_chain(attrs["out"], c_t, types)
        ax = attrs["out_axis"] % (c_t.rank + 1)
        return [c_t, TensorType(c_t.dtype, c_t.shape[:ax] + (n,) + c_t.shape[ax:])]

    def torch(self, ctx, attrs, a):
        fn = COMBINE[attrs["combine"]][0]
        rev = lambda r: "[::-1]" if r else ""  # noqa: E731 - a slice suffix, not a function worth naming
        xs = f"torch.unbind({a[0]}, {attrs['axis']}){rev(attrs['reverse'])}"
        merged = f"{fn}(_c, _p[0])"
        if attrs["two"]:
            xs = f"zip({xs}, torch.unbind({a[2]}, {attrs['axis2']}){rev(attrs['reverse2'])})"
            merged = f"{fn}({merged}, _p[1])"
        else:
            xs = f"zip({xs})"
        names = ["_", "_", *a[2:]]
        carry = torch_chain(ctx, attrs["body"], merged, names)
        y = torch_chain(ctx, attrs["out"], "_n", names)
        states = f"list(__import__('itertools').accumulate({xs}, lambda _c, _p: {carry}, initial={a[1]}))"
        ys = f"[{y} for _n in _r[1:]]{rev(attrs['out_reverse'])}"
        return f"(lambda _r: (_r[-1], torch.stack({ys}, dim={attrs['out_axis']})))({states})"

    def _scan_axes(self, attrs):
        if attrs["two"]:
            return [attrs["axis"], attrs["axis2"]], [int(attrs["reverse"]), int(attrs["reverse2"])]
        return [attrs["axis"]], [int(attrs["reverse"])]

    def _out_axes(self, attrs):
        return [attrs["out_axis"]], [int(attrs["out_reverse"])]
