"""Build fuzzer/ops/data/opinfo.json from torch's own op database (OpInfo).

`python -m fuzzer.ops.opinfo_table` rewrites the table; a unit test regenerates it and
compares, so the committed table always matches the pinned torch. Campaigns only read
the JSON (fuzzer.ops.opinfo): importing torch's op database takes seconds and needs the
`expecttest` test package.

What goes in: every OpInfo whose aten op one of torch.onnx's exporters registers (the
dynamo exporter's torchlib functions, the TorchScript exporter's symbolics), matched by
aten name; each of its spellings (the function, aliases, the Tensor method, the in-place
method applied to a clone, the Python operator, the reflected operator with a scalar on
the left) becomes one table entry, with the sample calls torch's tests use whose arguments
are plain data. Each sample is run here, at its own shapes, on values drawn as the
generator draws them, for every IR dtype; only the dtypes that run, deterministically and
without aliasing an input, are kept. Left out: random and nondeterministic ops, ops whose
output is uninitialised memory, complex-only and sparse ops, factory functions (no tensor
input), ranking ops whose tie order is unspecified (their indices differ between correct
implementations), and any sample holding something that is not plain data.

No op specs live here (the registry scans this module and finds none).
"""
from __future__ import annotations

import json
import math
import operator
from pathlib import Path

TABLE = Path(__file__).with_name("data") / "opinfo.json"

#: the IR's dtypes, by torch name
IR_DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool")
#: at most this many samples per op (those whose arguments are plain data, spread over the keywords)
MAX_SAMPLES = 10
#: the generator's default value windows (fuzzer.generate.builder)
FLOAT_WINDOW, INT_WINDOW, UINT8_WINDOW = (-2.0, 2.0), (-8, 8), (0, 16)
#: op names (OpInfo names, prefix match on the dotted name) left out, and why
EXCLUDED = {
    # random, or nondeterministic by design
    "bernoulli": "random", "multinomial": "random", "normal": "random", "uniform": "random", "rand": "random",
    "randn": "random", "randint": "random", "randperm": "random", "nn.functional.dropout": "random",
    "nn.functional.alpha_dropout": "random", "nn.functional.feature_alpha_dropout": "random",
    "nn.functional.rrelu": "random", "nn.functional.fractional_max_pool": "random", "exponential": "random",
    "geometric": "random", "log_normal": "random", "cauchy": "random", "nn.functional.gumbel_softmax": "random",
    "native_dropout": "random", "dropout": "random",
    # uninitialised memory
    "empty": "uninitialised", "new_empty": "uninitialised", "empty_like": "uninitialised",
    "empty_strided": "uninitialised", "new_empty_strided": "uninitialised", "resize_": "uninitialised",
    "resize_as_": "uninitialised",
    # which of equal elements comes first is unspecified: correct implementations differ
    "sort": "ties", "argsort": "ties", "topk": "ties", "kthvalue": "ties", "median": "ties",
    "nanmedian": "ties", "mode": "ties", "cummax": "ties", "cummin": "ties", "unique": "ties",
    "unique_consecutive": "ties", "max.reduction_with_dim": "ties", "min.reduction_with_dim": "ties",
    "msort": "ties", "searchsorted": "ties",
    # results defined only up to a sign, a permutation or a pivot choice
    "svd": "not unique", "linalg.svd": "not unique", "qr": "not unique", "linalg.qr": "not unique",
    "linalg.eigh": "not unique", "linalg.eig": "not unique", "linalg.ldl_factor": "not unique",
    "linalg.lu_factor": "not unique", "linalg.lu": "not unique", "lu": "not unique", "lu_solve": "needs an LU input",
    "linalg.matrix_rank": "threshold ties", "pinverse": "ill-conditioned", "linalg.pinv": "ill-conditioned",
    "linalg.cond": "ill-conditioned", "histogramdd": "data-dependent shape", "istft": "complex input",
    # raise on a singular or indefinite matrix, which random draws make now and then
    "inverse": "singular input", "linalg.inv": "singular input", "linalg.solve": "singular input",
    "linalg.tensorinv": "singular input", "linalg.tensorsolve": "singular input", "cholesky": "indefinite input",
    "linalg.cholesky": "indefinite input", "cholesky_solve": "indefinite input", "cholesky_inverse": "indefinite input",
    "linalg.lstsq": "not unique", "linalg.matrix_power": "singular input", "matrix_power": "singular input",
    # the result depends on memory layout or addresses, not values
    "as_strided": "aliasing", "as_strided_scatter": "aliasing", "item": "not a tensor",
    "equal": "not a tensor", "tolist": "not a tensor", "allclose": "not a tensor",
    # a huge or data-dependent output size
    "nonzero": "data-dependent shape", "nonzero_static": "data-dependent shape", "masked_select": "data-dependent shape",
    "argwhere": "data-dependent shape", "bincount": "data-dependent shape", "histc": "data-dependent shape",
    "repeat_interleave": "data-dependent shape", "combinations": "data-dependent shape",
    # undefined behaviour for some of the drawn values (NaN/inf to int, shifts past the width)
    "bitwise_left_shift": "undefined for large shifts", "bitwise_right_shift": "undefined for large shifts",
    "__lshift__": "undefined for large shifts", "__rshift__": "undefined for large shifts",
    # CUDA/other-device or layout-only ops
    "to_sparse": "sparse", "pin_memory": "device", "cuda": "device", "cpu": "device", "contiguous": "layout",
}
#: kwargs that never describe the computed values
DROPPED_KWARGS = {"out", "generator", "device", "layout", "pin_memory", "requires_grad", "memory_format"}
#: operator module functions and the Python syntax they stand for
BINARY_SYMBOLS = {
    operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/", operator.floordiv: "//",
    operator.mod: "%", operator.pow: "**", operator.matmul: "@", operator.and_: "&", operator.or_: "|",
    operator.xor: "^", operator.lt: "<", operator.le: "<=", operator.gt: ">", operator.ge: ">=",
    operator.eq: "==", operator.ne: "!=",
}
UNARY_SYMBOLS = {operator.neg: "-", operator.invert: "~", operator.pos: "+"}
#: ops whose OpInfo names no operator though Python spells them with one
EXTRA_OPERATORS = {"floor_divide": "//", "div.no_rounding_mode": "/", "true_divide": "/"}
#: the augmented assignment of each binary operator, as the dunder `x op= y` calls
AUGMENTED = {"+": "__iadd__", "-": "__isub__", "*": "__imul__", "/": "__itruediv__", "//": "__ifloordiv__",
             "%": "__imod__", "**": "__ipow__", "&": "__iand__", "|": "__ior__", "^": "__ixor__"}
INPLACE_DUNDERS = {
    operator.iadd: "__iadd__", operator.isub: "__isub__", operator.imul: "__imul__", operator.itruediv: "__itruediv__",
    operator.ifloordiv: "__ifloordiv__", operator.imod: "__imod__", operator.ipow: "__ipow__",
    operator.iand: "__iand__", operator.ior: "__ior__", operator.ixor: "__ixor__",
}


class Unusable(Exception):
    """A sample argument that is not plain data (the sample is skipped)."""


def _exporter_aten_names() -> set[str]:
    """aten op base names ("add", "_softmax") either torch.onnx exporter handles: registered
    (torchlib functions, TorchScript symbolics) or decomposed before the registry is asked
    (the dynamo exporter runs torch's decomposition table first)."""
    import logging

    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    from torch.onnx._internal.exporter._registration import ONNXRegistry
    from torch.onnx._internal.torchscript_exporter import registration

    names = {k for k in ONNXRegistry.from_torchlib().functions if isinstance(k, str)}
    names |= set(registration.registry.all_functions())
    found = {n.split("::", 1)[1].split(".")[0] for n in names if n.startswith("aten::")}
    from torch._decomp import decomposition_table

    decomposed = {k.name() for k in decomposition_table if hasattr(k, "name")}
    return found | {n.split("::", 1)[1].split(".")[0] for n in decomposed if n.startswith("aten::")}


def _composite(name: str) -> bool:
    """Is aten::name implicitly composite (the exporters see the ops it is written in)?"""
    import torch

    try:
        return torch._C._dispatch_has_kernel_for_dispatch_key(f"aten::{name}", "CompositeImplicitAutograd")
    except RuntimeError:  # no such operator
        return False


#: losses torch.nn.functional writes in Python over other torch ops: the exporters see those
PYTHON_COMPOSITES = {"nn.functional.multilabel_soft_margin_loss", "nn.functional.gaussian_nll_loss",
                     "nn.functional.triplet_margin_with_distance_loss"}


def _handled(op, handled: set[str]) -> bool:
    if op.name in PYTHON_COMPOSITES:
        return True
    an = op.aten_name or op.name
    leaf = an.rsplit(".", 1)[-1]
    candidates = {an, an.replace("nn.functional.", ""), leaf, f"special_{leaf}", f"linalg_{leaf}", f"_{leaf}",
                  op.name.split(".")[-1], f"{leaf}_loss", f"fft_{leaf}"}
    return bool(candidates & handled) or any(_composite(c) for c in candidates)


def _excluded(op) -> str | None:
    full = op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")
    for key, why in EXCLUDED.items():
        if full == key or op.name == key or full.startswith(key + "."):
            return why
        if key.endswith("pool") and op.name.startswith(key):
            return why
    if op.is_factory_function:
        return "factory function"
    if op.name.startswith(("native_", "_")):
        return "internal (native_*/_*: needs contiguous inputs, not public API)"
    if getattr(op, "has_nondeterministic_output", False):
        return "nondeterministic"
    return None


def _spelling(fn, op_name: str) -> str | None:
    """The dotted name fn is reached by ("torch.add", "F.conv2d", "torch.special.erfcx")."""
    import torch
    import torch.nn.functional as F

    leaf = getattr(fn, "__name__", None)
    if leaf is None or leaf == "<lambda>":
        return None
    spaces = [("torch", torch), ("F", F), ("torch.special", torch.special), ("torch.linalg", torch.linalg),
              ("torch.nn.functional", F)]
    # the OpInfo's own dotted name first: nn.functional.X is F.X, special.X is torch.special.X
    for prefix, ns in spaces:
        if getattr(ns, leaf, None) is fn:
            if prefix == "torch.nn.functional":
                prefix = "F"
            if op_name.startswith("special.") and prefix == "torch" and getattr(torch.special, leaf, None) is fn:
                return f"torch.special.{leaf}"
            return f"{prefix}.{leaf}"
    return None


def _literal(v):
    """A JSON-able literal for a sample argument, or raise Unusable."""
    import torch

    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise Unusable("non-finite float")
        return v
    if isinstance(v, torch.dtype):
        name = str(v).removeprefix("torch.")
        if name not in IR_DTYPES:
            raise Unusable(f"dtype {name}")
        return {"dtype": name}
    if isinstance(v, (list, tuple, torch.Size)) and all(isinstance(e, (bool, int, float)) or e is None for e in v):
        return {"tuple": [_literal(e) for e in v]} if isinstance(v, tuple) else [_literal(e) for e in v]
    raise Unusable(type(v).__name__)


def _describe(sample, loop_dtype):
    """(tensors, args, kwargs) of a sample: tensors lists every tensor operand (the input
    first) as {shape, dtype role, values range}; args/kwargs hold {"t": i} in their places."""
    import torch

    tensors, real = [], []

    def tensor(t):
        if not isinstance(t, torch.Tensor) or t.layout != torch.strided or t.is_complex():
            raise Unusable("not a dense real tensor")
        dt = str(t.dtype).removeprefix("torch.")
        if dt not in IR_DTYPES or t.numel() == 0:
            raise Unusable(f"tensor {dt}")
        role = "same" if t.dtype == loop_dtype else dt
        tensors.append({"shape": list(t.shape), "dtype": role})
        real.append(t)
        return {"t": len(tensors) - 1}

    def arg(v):
        if isinstance(v, torch.Tensor):
            return tensor(v)
        return _literal(v)

    tensor(sample.input)
    args = [arg(a) for a in sample.args]
    kwargs = {k: arg(v) for k, v in sample.kwargs.items() if k not in DROPPED_KWARGS}
    if any(k in sample.kwargs for k in ("out",)):
        raise Unusable("out=")
    _links(tensors)
    _ranges(tensors, real)
    return tensors, args, kwargs


def _links(tensors) -> None:
    """For each axis of each non-input tensor, the input axis of the same size it follows
    (so the call adapts to an input of another shape) or None: the same axis when ranks
    agree, else the right-aligned one, else the first input axis of that size."""
    x = tensors[0]["shape"]
    for t in tensors[1:]:
        link = []
        for i, d in enumerate(t["shape"]):
            j = None
            if len(t["shape"]) == len(x) and x[i] == d:
                j = i
            else:
                k = len(x) - len(t["shape"]) + i
                if 0 <= k < len(x) and x[k] == d:
                    j = k
                elif d in x:
                    j = x.index(d)
            link.append(j if d != 1 else None)
        t["link"] = link


def _ranges(tensors, real) -> None:
    """The value window each tensor operand needs, read from the sample's own values: an
    integer tensor of a fixed dtype whose values index an axis ("index": every [operand, axis]
    whose size exceeds them; values in [0, the smallest such size)), a float tensor whose values all lie in [0, 1] or are >= 0."""
    import torch

    for i, (t, r) in enumerate(zip(tensors, real)):
        if r.dtype == torch.bool:
            continue
        lo, hi = r.min().item(), r.max().item()
        if not r.is_floating_point():
            if t["dtype"] == "same" or i == 0:
                # an integer input whose values all lie in [0, hi] (one_hot's classes): kept there
                if i == 0 and lo >= 0:
                    t["domain"] = [0, hi + 0.5]
                continue
            # every axis the values fit in: the draw keeps them below the smallest of these
            # axes' sizes, so whichever one the op indexes, they stay in range
            axes = [[j, ax] for j, other in enumerate(tensors) if j != i
                    for ax, size in enumerate(other["shape"]) if hi < size]
            if lo >= 0 and axes:
                t["index"] = axes
            elif lo >= 0:  # no axis bounds them (take on a 0-d input): no larger than the sample's
                t["domain"] = [0, hi + 0.5]
            continue
        if r.numel() < 4:  # too few values to tell a window from chance
            continue
        if lo >= 0 and hi <= 1:
            t["domain"] = [0.0, 1.0]
        elif lo > 0:
            t["domain"] = [0.05, math.inf]


def _draw(shape, dtype, domain, rng, index_size=None):
    import numpy as np
    import torch

    if dtype == "bool":
        return torch.from_numpy(np.asarray(rng.random(shape) < 0.5))
    if index_size is not None:
        return torch.from_numpy(np.asarray(rng.integers(0, max(index_size, 1), size=shape))).to(getattr(torch, dtype))
    is_float = dtype in ("float16", "bfloat16", "float32", "float64")
    lo, hi = FLOAT_WINDOW if is_float else (UINT8_WINDOW if dtype == "uint8" else INT_WINDOW)
    if domain is not None:
        lo, hi = max(lo, domain[0]), min(hi, domain[1])
        if not lo < hi:
            lo, hi = domain[0], domain[0] + 4
    if is_float:
        return torch.from_numpy(np.asarray(rng.uniform(lo, hi, size=shape))).to(getattr(torch, dtype))
    return torch.from_numpy(np.asarray(rng.integers(math.ceil(lo), math.floor(hi), endpoint=True, size=shape))).to(
        getattr(torch, dtype))


def _materialize(entry_sample, dtype, rng, input_domain):
    tensors = []
    for i, t in enumerate(entry_sample["tensors"]):
        dt = dtype if t["dtype"] == "same" else t["dtype"]
        index = t.get("index")
        size = min(entry_sample["tensors"][j]["shape"][ax] for j, ax in index) if index else None
        domain = t.get("domain") or (input_domain if i == 0 else None)
        tensors.append(_draw(tuple(t["shape"]), dt, domain, rng, size))
    return tensors


def call(form: dict, tensors, args, kwargs):
    """Run one table entry's call on real tensors (the table's own check)."""
    import torch
    import torch.nn.functional as F

    def value(v):
        if isinstance(v, dict):
            if "t" in v:
                return tensors[v["t"]]
            if "dtype" in v:
                return getattr(torch, v["dtype"])
            if "tuple" in v:
                return tuple(value(e) for e in v["tuple"])
        if isinstance(v, list):
            return [value(e) for e in v]
        return v

    a = [value(v) for v in args]
    kw = {k: value(v) for k, v in kwargs.items()}
    x = tensors[0]
    kind, target = form["kind"], form["target"]
    if kind == "function":
        fn = eval(target, {"torch": torch, "F": F})  # a dotted name from _spelling
        return fn(x, *a, **kw)
    if kind == "method":
        return getattr(x, target)(*a, **kw)
    if kind == "inplace":
        return getattr(x.clone(), target)(*a, **kw)
    if kind == "operator":
        return eval(f"x {target} y", {"x": x, "y": a[0]})
    if kind == "reflected":
        return eval(f"y {target} x", {"x": x, "y": a[0]})
    if kind == "unary":
        return eval(f"{target}x", {"x": x})
    raise ValueError(kind)


def _outputs(result):
    import torch

    if isinstance(result, torch.Tensor):
        return [result]
    if isinstance(result, (tuple, list)) and result and all(isinstance(r, torch.Tensor) for r in result):
        return list(result)
    raise Unusable(f"result {type(result).__name__}")


def _same(a, b) -> bool:
    import torch

    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.is_floating_point():
        return bool(torch.equal(torch.nan_to_num(a, nan=0.5), torch.nan_to_num(b, nan=0.5)))
    return bool(torch.equal(a, b))


def _works(form, sample, dtype, input_domain, rng) -> bool:
    """Does the sample run at this loop dtype: three draws, each twice with equal results,
    no output an alias of an input, outputs of real dtypes the IR knows, meta agreeing."""
    try:
        return all(_works_once(form, sample, dtype, input_domain, rng) for _ in range(3))
    except Exception:
        return False


def _works_once(form, sample, dtype, input_domain, rng) -> bool:
    import torch

    tensors = _materialize(sample, dtype, rng, input_domain)
    with torch.no_grad():
        outs = _outputs(call(form, tensors, sample["args"], sample["kwargs"]))
        again = _outputs(call(form, [t.clone() for t in tensors], sample["args"], sample["kwargs"]))
    for o in outs + again:
        if str(o.dtype).removeprefix("torch.") not in IR_DTYPES or o.numel() == 0 or o.numel() > 4096:
            return False
    if len(outs) != len(again) or not all(_same(o, p) for o, p in zip(outs, again)):
        return False
    for o in outs:
        if form["kind"] != "inplace" and any(o.data_ptr() == t.data_ptr() and o.shape == t.shape for t in tensors):
            return False  # the input itself, returned: nothing to export
    meta = _outputs(call(form, [t.to("meta") for t in tensors], sample["args"], sample["kwargs"]))
    return [(tuple(m.shape), m.dtype) for m in meta] == [(tuple(o.shape), o.dtype) for o in outs]


def _method(fn) -> str | None:
    """The name of the Tensor method fn is, or None (a lambda, a partial)."""
    import torch

    name = getattr(fn, "__name__", None)
    return name if name and getattr(torch.Tensor, name, None) is fn else None


def _forms(op):
    """Every spelling of op: (entry name, form)."""
    base = op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")
    fn = _spelling(op.op, op.name)
    if fn is not None:
        yield base, {"kind": "function", "target": fn}
    if _method(op.method_variant):
        yield f"{base}.method", {"kind": "method", "target": _method(op.method_variant)}
    if _method(op.inplace_variant):
        yield f"{base}.inplace", {"kind": "inplace", "target": _method(op.inplace_variant)}
    ov = getattr(op, "operator_variant", None)
    sym = BINARY_SYMBOLS.get(ov) or EXTRA_OPERATORS.get(base)
    if sym:
        yield f"{base}.operator", {"kind": "operator", "target": sym}
        yield f"{base}.reflected", {"kind": "reflected", "target": sym}
    elif ov in UNARY_SYMBOLS:
        yield f"{base}.operator", {"kind": "unary", "target": UNARY_SYMBOLS[ov]}
    iov = getattr(op, "inplace_operator_variant", None)
    augmented = INPLACE_DUNDERS.get(iov) or AUGMENTED.get(sym)
    if augmented:
        yield f"{base}.inplace_operator", {"kind": "inplace", "target": augmented}
    for alias in op.aliases:
        afn = _spelling(alias.op, alias.name)
        if afn is not None:
            yield alias.name, {"kind": "function", "target": afn}
        if _method(alias.method_variant):
            yield f"{alias.name}.method", {"kind": "method", "target": _method(alias.method_variant)}
        if _method(alias.inplace_variant):
            yield f"{alias.name}.inplace", {"kind": "inplace", "target": _method(alias.inplace_variant)}


def _samples(op, loop_dtype):
    """Up to MAX_SAMPLES described samples of op, plus, for a binary ufunc taking a Python
    scalar on the right, one sample per scalar kind (float, int, bool) against a tensor."""
    import torch
    from torch.testing._internal.opinfo.core import BinaryUfuncInfo

    torch.manual_seed(0)
    out, seen = [], set()
    try:
        raw = list(op.sample_inputs("cpu", loop_dtype))
    except Exception:
        return out
    described = []
    for s in raw:
        try:
            tensors, args, kwargs = _describe(s, loop_dtype)
        except Unusable:
            continue
        key = json.dumps([tensors, args, kwargs], sort_keys=True)
        if key not in seen:
            seen.add(key)
            described.append({"tensors": tensors, "args": args, "kwargs": kwargs})
    out = _spread(described)
    if isinstance(op, BinaryUfuncInfo) and getattr(op, "supports_rhs_python_scalar", False) and out:
        shape = max((s["tensors"][0]["shape"] for s in out), key=lambda sh: (0 < len(sh) <= 3, -len(sh)))
        for scalar in (2.5, 3, True, -1.5, 2):
            out.append({"tensors": [{"shape": shape, "dtype": "same"}], "args": [scalar], "kwargs": {}})
    return out


def _spread(samples: list[dict]) -> list[dict]:
    """Up to MAX_SAMPLES of samples, in their order, first those bringing a keyword not yet
    kept, then a keyword value not yet kept, then the rest: every keyword a loss takes
    (weight, ignore_index, label_smoothing, reduction) makes it into the table."""
    kept, keys, pairs = [], set(), set()

    def pairs_of(s):
        return {(k, json.dumps(v, sort_keys=True)) for k, v in s["kwargs"].items()}

    for rule in ("key", "value", "any"):
        for s in samples:
            if len(kept) >= MAX_SAMPLES:
                break
            if s in kept:
                continue
            if (rule == "key" and set(s["kwargs"]) - keys) or (rule == "value" and pairs_of(s) - pairs) or rule == "any":
                kept.append(s)
                keys |= set(s["kwargs"])
                pairs |= pairs_of(s)
    return [s for s in samples if s in kept]


def _fits_form(form, sample) -> bool:
    if form["kind"] in ("operator", "reflected"):
        return len(sample["args"]) == 1 and not sample["kwargs"] and (
            form["kind"] == "operator" or not isinstance(sample["args"][0], dict))
    if form["kind"] == "unary":
        return not sample["args"] and not sample["kwargs"]
    return True


def _input_domain(op):
    dom = getattr(op, "domain", None)
    if not dom or dom == (None, None):
        return None
    lo, hi = dom
    # an open end: stay a little inside it, as the hand-written specs do
    return [(-math.inf if lo is None else lo + 0.05), (math.inf if hi is None else hi - 0.05)]


def build_table(progress=None) -> dict:
    import numpy as np
    import torch
    from torch.testing._internal.common_methods_invocations import op_db

    handled = _exporter_aten_names()
    entries, skipped = {}, {}
    for op in op_db:
        full = op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")
        if not _handled(op, handled):
            continue
        why = _excluded(op)
        if why:
            skipped[full] = why
            continue
        supported = {str(d).removeprefix("torch.") for d in op.supported_dtypes("cpu")}
        loop_name = next((d for d in ("float32", "int64", "bool") if d in supported), None)
        if loop_name is None:
            skipped[full] = "no real dtype"
            continue
        samples = _samples(op, getattr(torch, loop_name))
        if not samples:
            skipped[full] = "no plain-data sample"
            continue
        domain = _input_domain(op)
        for name, form in _forms(op):
            if name in entries:
                continue
            kept = []
            for s in samples:
                if not _fits_form(form, s):
                    continue
                rng = np.random.default_rng(len(kept))
                dts = [d for d in IR_DTYPES if d in supported and _works(form, s, d, domain, rng)]
                if dts:
                    kept.append({**s, "dtypes": dts})
            if kept:
                entries[name] = {"op": full, "aten": op.aten_name or op.name, "form": form, "domain": domain,
                                 "samples": kept}
            else:
                skipped[name] = "no sample runs"
            if progress:
                progress(name, len(kept))
    return {"torch": torch.__version__.split("+")[0], "entries": entries, "skipped": dict(sorted(skipped.items()))}


def dumps(table: dict) -> str:
    return json.dumps(table, indent=1, sort_keys=True) + "\n"


def main() -> None:
    import sys

    table = build_table(progress=lambda n, k: print(f"{n}: {k} samples", file=sys.stderr))
    TABLE.parent.mkdir(exist_ok=True)
    TABLE.write_text(dumps(table))
    print(f"{len(table['entries'])} entries, {len(table['skipped'])} skipped -> {TABLE}")


if __name__ == "__main__":
    main()
