"""Op specs for torch's whole API, one per entry of the OpInfo table (data/opinfo.json).

Each table entry is one spelling of one torch op (function, alias, Tensor method, in-place
method on a clone, Python operator, reflected operator) with the sample calls torch's own
tests make, and the dtypes each sample runs at (fuzzer.ops.opinfo_table builds it; only it
imports torch's op database, which takes seconds).

Drawing: a sample whose input rank and dtype fit the operand x is adapted to x: each other
tensor's axis that the table links to an input axis takes x's size there; index operands
are drawn inside the axis they index, windows the sample's values kept (a probability, a
positive scale) are kept too. When the adapted call does not type-check, the sample's own
shapes are used with a fresh input. Output types come from running the call on torch meta
tensors (cached), so infer() is exactly what torch computes, type promotion with Python
scalars of another kind included.

Truth: every float computes in float64. A call whose float result would not be float64
on float64 operands (an int tensor with a float scalar takes the default dtype; .float()
casts) is evaluated, in the truth only, with float64 as the default dtype and its float
results widened.
"""
from __future__ import annotations

import json
import math
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

from fuzzer.errors import Rejected
from fuzzer.ir import DType, TensorType
from fuzzer.ops.base import DrawsWithNotes, OpSpec, py

TABLE = Path(__file__).with_name("data") / "opinfo.json"
#: how many adapted samples a draw tries before the sample's own shapes
TRIES = 3
#: ops whose second operand divides (the first, for a reflected operator: 2 // x)
#: ops that divide by their second operand: it stays positive (an integer division by zero raises
#: in torch, and the smallest integer over -1 traps the whole process with SIGFPE; lcm divides by
#: a gcd, 1 at least, but lcm(INT_MIN, -1) traps the same way)
DIVISIONS = {"div", "divide", "true_divide", "floor_divide", "remainder", "fmod", "lcm", "gcd"}
POSITIVE = (0.5, float("inf"))
#: integer ops whose torch kernels trap (SIGFPE) on the dtype's extremes (lcm and gcd reach
#: INT_MIN / -1 through their gcd step), and the window their operands keep to
TRAPPING = {"lcm", "gcd"}
MODERATE = (-(1 << 20), 1 << 20)
#: ops whose operand (by its index among the call's tensors) must be sorted, else the result is
#: undefined (torch.bucketize's boundaries): the call sorts it. A graph value wired there (the
#: input itself, review 13) is no sorted sequence, and no input draw can make a computed one sorted
SORTED_OPERAND = {"bucketize": 1}


def in_float64(fn):
    """fn() with float64 as torch's default dtype, its float results widened to float64: the
    truth of a call whose float result type comes from the default dtype or a fixed cast."""
    import torch

    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        out = fn()
    finally:
        torch.set_default_dtype(old)
    if isinstance(out, (tuple, list)):
        return type(out)(o.double() if o.is_floating_point() else o for o in out)
    return out.double() if out.is_floating_point() else out


# -- the call, as data ------------------------------------------------------------
def _value(v, tensors, dtype_of):
    if isinstance(v, dict):
        if "t" in v:
            return tensors[v["t"]]
        if "dtype" in v:
            return dtype_of(v["dtype"])
        if "tuple" in v:
            return tuple(_value(e, tensors, dtype_of) for e in v["tuple"])
    if isinstance(v, list):
        return [_value(e, tensors, dtype_of) for e in v]
    return v


def _run(form: dict, tensors: list, args: list, kwargs: dict):
    """The call on tensors (meta tensors when inferring types)."""
    import torch
    import torch.nn.functional as F

    def dt(name):
        return getattr(torch, name)

    a = [_value(v, tensors, dt) for v in args]
    kw = {k: _value(v, tensors, dt) for k, v in kwargs.items()}
    x, kind, target = tensors[0], form["kind"], form["target"]
    if kind == "function":
        fn = _resolve(target, torch, F)
        return fn(x, *a, **kw)
    if kind == "method":
        return getattr(x, target)(*a, **kw)
    if kind == "inplace":
        return getattr(x.clone(), target)(*a, **kw)
    if kind == "operator":
        return _binary(target, x, a[0])
    if kind == "reflected":
        return _binary(target, a[0], x)
    if kind == "unary":
        return {"-": lambda t: -t, "~": lambda t: ~t, "+": lambda t: +t}[target](x)
    raise ValueError(f"unknown call kind {kind!r}")


def _resolve(dotted: str, torch, F):
    head, *rest = dotted.split(".")
    obj = {"torch": torch, "F": F}[head]
    for part in rest:
        obj = getattr(obj, part)
    return obj


def _binary(sym: str, a, b):
    import operator

    ops = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "//": operator.floordiv,
           "%": operator.mod, "**": operator.pow, "@": operator.matmul, "&": operator.and_, "|": operator.or_,
           "^": operator.xor, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
           "==": operator.eq, "!=": operator.ne}
    return ops[sym](a, b)


@lru_cache(maxsize=1 << 16)
def _meta(name: str, call_key: str, types: tuple[tuple[str, tuple[int, ...]], ...], truth: bool = False):
    """((dtype, shape) of each output, result is a sequence) of the call on meta tensors of
    types, or the error text. truth: every float operand float64 (to see what the truth gives)."""
    import torch

    form, args, kwargs = json.loads(call_key)
    tensors = []
    for dt, shape in types:
        if truth and DType(dt).is_float:
            dt = "float64"
        tensors.append(torch.empty(shape, dtype=getattr(torch, dt), device="meta"))
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecation notes about the sample's own arguments
            out = _run(form, tensors, args, kwargs)
    except Exception as e:  # any refusal: the types do not fit this call
        return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    seq = isinstance(out, (tuple, list))
    outs = list(out) if seq else [out]
    if not outs or not all(isinstance(o, torch.Tensor) for o in outs):
        return "result is not tensors"
    found = []
    for o in outs:
        name_ = str(o.dtype).removeprefix("torch.")
        try:
            DType(name_)
        except ValueError:
            return f"result dtype {name_}"
        found.append((name_, tuple(o.shape)))
    return tuple(found), seq


@lru_cache(maxsize=1 << 14)
def _runs(call_key: str, types: tuple, windows: tuple) -> bool:
    """Does the call run on real CPU tensors of types, with values (from a fixed seed) drawn
    inside each operand's window? Meta kernels check shapes less strictly than CPU ones
    (a conv's channel count, a pooled size of 0) and an index window adapted to new shapes
    must still index in range; this is what keeps an adapted draw valid."""
    import numpy as np
    import torch

    form, args, kwargs = json.loads(call_key)
    # random values, then every integer operand at its window's ends (the default window's, for
    # an operand without one): a draw may take any value of the window (special values favour
    # its ends), and an index window adapted to new shapes, or an index the table gave no window
    # (take's), is only right if its largest value still indexes in range
    for ends in (None, "lo", "hi"):
        rng = np.random.default_rng(0)
        tensors = []
        for (dt, shape), window in zip(types, windows):
            if dt == "bool":
                a = rng.random(shape) < 0.5
            else:
                is_float = DType(dt).is_float
                lo, hi = (-2.0, 2.0) if is_float else ((0, 16) if dt == "uint8" else (-8, 8))
                if window is not None:
                    lo, hi = (max(lo, window[0]), min(hi, window[1])) if max(lo, window[0]) <= min(hi, window[1]) \
                        else (window[0], window[0] + 1)
                if is_float:
                    a = rng.uniform(lo, hi, size=shape)
                elif ends is None:
                    a = rng.integers(int(lo), int(hi), endpoint=True, size=shape)
                else:
                    a = np.full(shape, math.ceil(lo) if ends == "lo" else math.floor(hi), dtype=np.int64)
            tensors.append(torch.from_numpy(np.asarray(a)).to(getattr(torch, dt)))
        try:
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _run(form, tensors, args, kwargs)
        except Exception:  # any refusal: these shapes or windows do not fit the call
            return False
    return True


def _call_key(spec, attrs) -> str:
    return json.dumps([spec.form, attrs["args"], attrs["kwargs"]], sort_keys=True)


def _types_key(types: list[TensorType]):
    return tuple((t.dtype.value, tuple(t.shape)) for t in types)


# -- the spec ------------------------------------------------------------------------
class OpInfoSpec(DrawsWithNotes, OpSpec):
    """One table entry: see the module docstring. Subclasses are made from the table."""

    entry: dict = {}
    form: dict = {}
    samples: list = []
    #: the window OpInfo gives the input (log's (0, inf)); build() leaves x alone, the draw guards it
    input_domain: tuple | None = None

    def accepts(self, t: TensorType) -> bool:
        return t.numel > 0 and (t.dtype.value, t.rank) in self._fits

    @classmethod
    def framework_op(cls) -> str:
        """The aten op the entry dispatches to (greater_equal and ge, floor_divide as a function
        and as a method, are one), with "_" for an in-place spelling: the exporter translates that apart."""
        aten = cls.entry.get("aten") or cls.entry.get("op") or cls.name
        return aten + ("_" if cls.form.get("kind") == "inplace" else "")

    def draw_operands(self, b, x, note):
        c = b.choices
        fits = [i for i, s in enumerate(self.samples) if (x.type.dtype.value, x.type.rank) in _primary_fits(s)]
        if not fits:
            raise Rejected(f"{self.name}: no sample for {x.type}")
        order = [fits[c.integer(0, len(fits) - 1)] for _ in range(TRIES)]
        for k, i in enumerate(order):
            s = self.samples[i]
            dt = x.type.dtype.value if s["tensors"][0]["dtype"] == "same" else c.choice(s["dtypes"])
            shapes = _adapted(s, x.type.shape)
            types = [_tensor_type(t, dt, shape) for t, shape in zip(s["tensors"], shapes)]
            last = k == len(order) - 1
            key = json.dumps([self.form, s["args"], s["kwargs"]], sort_keys=True)
            windows = self._windows(s, shapes)
            if not (isinstance(_meta(self.name, key, _types_key(types)), tuple)
                    and _runs(key, _types_key(types), windows)):
                if not last:
                    continue
                # the sample's own shapes, on a fresh input of the sample's shape
                shapes = [tuple(t["shape"]) for t in s["tensors"]]
                types = [_tensor_type(t, dt, shape) for t, shape in zip(s["tensors"], shapes)]
                windows = self._windows(s, shapes)
                primary = b.operand(types[0], domain=windows[0])
            else:
                primary = b.guard(x, windows[0]) if windows[0] else x
            note.sample = i
            return [primary] + [b.operand(t, reuse=0.0 if w else 0.4, domain=w)
                                for t, w in zip(types[1:], windows[1:])]
        raise Rejected(f"{self.name}: no sample fits {x.type}")

    def _windows(self, s: dict, shapes) -> tuple:
        """The value window of each operand at these shapes (the input's from OpInfo if the
        sample's values gave none), None where any value will do. A divisor of a division
        op stays positive: an integer division by zero raises in torch."""
        first = _window(s, 0, shapes) or (tuple(self.input_domain) if self.input_domain else None)
        found = [first] + [_window(s, j, shapes) for j in range(1, len(shapes))]
        op = self.entry.get("op", "").split(".")[0]
        if op in DIVISIONS:
            at = 0 if self.form["kind"] == "reflected" else 1
            if at < len(found) and found[at] is None:
                found[at] = POSITIVE
        if op in TRAPPING:  # no operand at the integer extremes, where torch's kernel traps
            found = [w if w is not None else MODERATE for w in found]
        return tuple(found)

    def draw_attrs(self, b, types, note):
        s = self.samples[note.sample]
        attrs = {"args": s["args"], "kwargs": s["kwargs"]}
        past = _circular_pad_past_edge(types, attrs)
        if past:
            raise Rejected(f"{self.name}: {past}")
        found = _meta(self.name, _call_key(self, attrs), _types_key(types))
        if not isinstance(found, tuple):
            raise Rejected(f"{self.name}: {found}")
        outs, seq = found
        if seq and len(outs) == 1:
            attrs["first"] = True
        truth = _meta(self.name, _call_key(self, attrs), _types_key(types), True)
        if isinstance(truth, tuple) and any(DType(d).is_float and d != "float64" for d, _ in truth[0]):
            attrs["widen"] = True
        return attrs

    def requires(self, types, attrs):
        past = _circular_pad_past_edge(types, attrs)
        if past:
            return f"{self.name}: {past}"
        found = _meta(self.name, _call_key(self, attrs), _types_key(types))
        if not isinstance(found, tuple):
            return f"{self.name} refuses these operand types: {found}"
        outs, seq = found
        if bool(attrs.get("first")) != (seq and len(outs) == 1):
            return f"{self.name}: the result is no longer a one-element sequence"
        return None

    def infer(self, types, attrs):
        found = _meta(self.name, _call_key(self, attrs), _types_key(types))
        if not isinstance(found, tuple):
            raise Rejected(f"{self.name}: {found}")
        return [TensorType(DType(d), shape) for d, shape in found[0]]

    def torch(self, ctx, attrs, a):
        def lit(v):
            if isinstance(v, dict):
                if "t" in v:
                    return a[v["t"]]
                if "dtype" in v:
                    return ctx.dtype(DType(v["dtype"]))
                if "tuple" in v:
                    inner = ", ".join(lit(e) for e in v["tuple"])
                    return f"({inner},)" if len(v["tuple"]) == 1 else f"({inner})"
            if isinstance(v, list):
                return "[" + ", ".join(lit(e) for e in v) + "]"
            return py(v)

        at = SORTED_OPERAND.get(self.entry.get("op", "").split(".")[0])
        if at is not None and at < len(a):
            a = [*a[:at], f"torch.sort({a[at]}).values", *a[at + 1:]]
        rest = [lit(v) for v in attrs["args"]] + [f"{k}={lit(v)}" for k, v in attrs["kwargs"].items()]
        kind, target, x = self.form["kind"], self.form["target"], a[0]
        if kind == "function":
            expr = f"{target}({', '.join([x] + rest)})"
        elif kind == "method":
            expr = f"{x}.{target}({', '.join(rest)})"
        elif kind == "inplace":
            expr = f"{x}.clone().{target}({', '.join(rest)})"
        elif kind == "operator":
            expr = f"({x} {target} {rest[0]})"
        elif kind == "reflected":
            expr = f"({rest[0]} {target} {x})"
        else:
            expr = f"({target}{x})"
        if attrs.get("first"):
            expr += "[0]"
        if ctx.truth and attrs.get("widen"):
            expr = f"__import__('fuzzer.ops.opinfo', fromlist=['in_float64']).in_float64(lambda: {expr})"
        return expr


def _circular_pad_past_edge(types, attrs) -> str | None:
    """Why F.pad(x, pads, "circular") reads past x's edge, or None. A negative pad crops; torch
    then wraps the positive pad of that dim around what is left, and where less is left than it
    wraps (all of a dim cropped), it reads memory outside x: the result changes from call to call
    (the maintainer review of stop 29: pads (-1, 1, -2, 1) on a dim of 2, the truth unrepeatable)."""
    args = attrs.get("args") or []
    if len(args) < 2 or args[1] != "circular" or not types or not isinstance(args[0], dict):
        return None
    pads = args[0].get("tuple") or []
    shape = types[0].shape
    for i in range(min(len(pads) // 2, len(shape))):
        left, right = pads[2 * i], pads[2 * i + 1]
        if not all(isinstance(p, int) for p in (left, right)):
            return None
        kept = shape[-1 - i] + min(left, 0) + min(right, 0)
        if kept < 1 or max(left, right) > kept:
            return f"circular pads ({left}, {right}) on a dim of {shape[-1 - i]} wrap past what the crop leaves"
    return None


def _primary_fits(s: dict) -> set[tuple[str, int]]:
    t = s["tensors"][0]
    rank = len(t["shape"])
    return {(d if t["dtype"] == "same" else t["dtype"], rank) for d in s["dtypes"]}


def _tensor_type(t: dict, loop: str, shape) -> TensorType:
    return TensorType(DType(loop if t["dtype"] == "same" else t["dtype"]), tuple(shape))


def _adapted(s: dict, x_shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    shapes = [tuple(x_shape)]
    for t in s["tensors"][1:]:
        shapes.append(tuple(x_shape[j] if j is not None else d for d, j in zip(t["shape"], t["link"])))
    return shapes


def _window(s: dict, i: int, shapes) -> tuple[float, float] | None:
    t = s["tensors"][i]
    if "index" in t:  # an integer window [0, size - 1], written so that it is never empty
        return (0, max(min(shapes[j][ax] for j, ax in t["index"]) - 0.5, 0.5))
    dom = t.get("domain")
    return tuple(dom) if dom else None


def _load() -> dict:
    return json.loads(TABLE.read_text())["entries"] if TABLE.exists() else {}


def _class_name(name: str) -> str:
    return "OpInfo_" + "".join(ch if ch.isalnum() else "_" for ch in name)


def _make_specs() -> dict[str, type]:
    made = {}
    for key, entry in sorted(_load().items()):
        fits = set()
        for s in entry["samples"]:
            fits |= _primary_fits(s)
        dtypes = frozenset(DType(d) for d, _ in fits)
        ranks = [r for _, r in fits]
        cls = type(_class_name(key), (OpInfoSpec,), {
            "name": f"opinfo.{key}", "entry": entry, "form": entry["form"], "samples": entry["samples"],
            "input_domain": entry.get("domain"), "dtypes": dtypes, "min_rank": min(ranks), "max_rank": max(ranks),
            "_fits": frozenset(fits), "__module__": __name__,
            "__doc__": f"torch OpInfo {entry['op']!r} spelled as {entry['form']['kind']} {entry['form']['target']}",
        })
        made[cls.__name__] = cls
    return made


_SPECS: dict[str, Any] = _make_specs()
globals().update(_SPECS)
__all__ = ["OpInfoSpec", "in_float64", *sorted(_SPECS)]
