"""Rules of the two torch exporters: which symbolic function or torchlib function ran.

TorchScript exporter ("torchscript:symbolic"): its registry
(torch.onnx._internal.torchscript_exporter.registration.registry) maps each
qualified op name ("aten::add") to one symbolic function per opset. The
exporter looks every node's function up in that registry at export time, so
wrapping each registered function once per process records exactly the ones
dispatched to, at the cost of one set insertion per exported node.

Dynamo exporter ("dynamo:aten" and "dynamo:torchlib"): the exporter asks
`_dispatching.dispatch(node, registry)` for the ONNX function of every aten
node of the exported program. Wrapping that one function records the node's
overload ("aten::sum.dim_IntList", as the registry keys it) and the torchlib
function it got ("aten_sum_dim"); the registry it was given
(ONNXRegistry.from_torchlib(), built by the exporter anyway) is the inventory,
so the inventory costs nothing extra. Overloads the registry lacks (the
exporter decomposes them first, or cannot export them) are recorded too and
show as hits outside the inventory.
"""
from __future__ import annotations

import contextlib
import functools

from fuzzer import coverage

TORCHSCRIPT = "torchscript:symbolic"
DYNAMO_ATEN = "dynamo:aten"
DYNAMO_TORCHLIB = "dynamo:torchlib"

_installed: set[str] = set()


def _torch_version() -> str:
    import torch

    return torch.__version__


def torchscript_registry():
    """The TorchScript exporter's registry, complete: the exporter imports its symbolic_opsetN
    modules (which register their functions) on its first export, so before that the registry
    lists fewer functions (352 rather than 401 with torch 2.13)."""
    import importlib
    import pkgutil

    from torch.onnx._internal import torchscript_exporter
    from torch.onnx._internal.torchscript_exporter import registration

    for info in pkgutil.iter_modules(torchscript_exporter.__path__):
        if info.name.startswith("symbolic_opset"):
            importlib.import_module(f"{torchscript_exporter.__name__}.{info.name}")
    return registration.registry


def torchscript_inventory() -> dict:
    from torch.onnx._internal.torchscript_exporter import registration

    torchscript_registry()
    return {"version": _torch_version(), "rules": sorted(registration.registry.all_functions())}


def instrument_torchscript() -> None:
    """Wrap every registered symbolic function once per process so that calling it records a hit."""
    if "torchscript" in _installed or not coverage.enabled():
        return
    registry = torchscript_registry()
    for name in registry.all_functions():
        group = registry.get_function_group(name)
        if group is None:
            continue
        table = group._functions  # an OverrideDict: its built-ins (_base) and what is in force (_merged)
        for opset, fn in list(table._base.items()):
            wrapped = _recording(fn, name)
            table._base[opset] = wrapped
            if table._merged.get(opset) is fn:
                table._merged[opset] = wrapped
    _installed.add("torchscript")


def _recording(fn, rule: str):
    @functools.wraps(fn)  # keeps the signature the exporter's argument parsing may inspect
    def symbolic(*args, **kwargs):
        coverage.hit(TORCHSCRIPT, (rule,), torchscript_inventory)
        out = fn(*args, **kwargs)
        if _emitted is not None:
            _note_emitted(rule, args[0] if args else None, out)
        return out

    return symbolic


#: while emitted_kinds() is open: {symbolic function: ONNX op types of the nodes whose outputs it
#: returned}, and under MADE, the op types of every node any symbolic function made, with repeats
_emitted: dict | None = None
MADE = "*made*"


@contextlib.contextmanager
def emitted_kinds():
    """Within it, TorchScript exports (with coverage on) note, per symbolic function, the op
    types of the nodes that made the values it returned: which rule made a given node of the
    exported model, for fault localization; and (under MADE) every node the symbolic functions
    made, so that a node of the exported model none of them made is known to come from one of
    the exporter's passes. Yields that mapping."""
    global _emitted
    outer, _emitted = _emitted, {}
    try:
        yield _emitted
    finally:
        _emitted = outer


@coverage.quietly
def _note_emitted(rule: str, context, out) -> None:
    for value in out if isinstance(out, (tuple, list)) else (out,):
        node = getattr(value, "node", None)
        if callable(node):
            _emitted.setdefault(rule, set()).add(node().kind().split("::")[-1])
    # the GraphContext a symbolic function gets lists the nodes its g.op calls made
    _emitted.setdefault(MADE, []).extend(n.kind().split("::")[-1] for n in getattr(context, "new_nodes", None) or ())


def instrument_dynamo() -> None:
    """Wrap the dynamo exporter's dispatcher once per process so that every dispatch records a hit."""
    if "dynamo" in _installed or not coverage.enabled():
        return
    from torch.onnx._internal.exporter import _dispatching

    original = _dispatching.dispatch
    seen_registry = []

    def inventories():
        if not seen_registry:
            return None
        registry = seen_registry[0]
        keys = sorted({_key(k) for k in registry.functions})
        funcs = sorted({_function_name(m.onnx_function) for metas in registry.functions.values() for m in metas})
        version = _torch_version()
        return {DYNAMO_ATEN: {"version": version, "rules": keys}, DYNAMO_TORCHLIB: {"version": version, "rules": funcs}}

    # each system's provider reads its share of the one registry inventory
    def aten_inventory():
        found = inventories()
        return None if found is None else found[DYNAMO_ATEN]

    def torchlib_inventory():
        found = inventories()
        return None if found is None else found[DYNAMO_TORCHLIB]

    @functools.wraps(original)
    def dispatch(node, registry):
        function, message = original(node, registry)
        if not seen_registry:
            seen_registry.append(registry)
        _record_dispatch(node.target, function)
        return function, message

    @coverage.quietly
    def _record_dispatch(target, function):
        coverage.hit(DYNAMO_ATEN, (_key(target),), aten_inventory)
        if function is not None:
            coverage.hit(DYNAMO_TORCHLIB, (_function_name(function),), torchlib_inventory)

    _dispatching.dispatch = dispatch
    _installed.add("dynamo")


def _key(target) -> str:
    """A registry key as text: the qualified overload name, or a Python callable's dotted name."""
    if isinstance(target, str):
        return target
    if callable(getattr(target, "name", None)):  # an OpOverload or a higher-order op (torch.cond)
        return str(target.name())
    module = getattr(target, "__module__", None) or ""
    return f"{module}.{getattr(target, '__qualname__', None) or getattr(target, '__name__', type(target).__name__)}".lstrip(".")


def _function_name(function) -> str:
    return getattr(function, "name", None) or getattr(function, "__name__", repr(function))


def delegate_of(rule: str, opset: int) -> str:
    """The op whose symbolic function the function TorchScript runs for rule at opset only calls
    (its whole body `return split(g, ...)`, as unsafe_split's is), or ""."""
    return _delegate(rule, opset)[0]


def delegate_code(rule: str, opset: int) -> str:
    """Where the code of that function lives (delegate_of), or "": its module and qualified name,
    resolved as the caller's own module resolves the name. The registry at the case's opset may
    run another function of that name: at opset 11, symbolic_opset9's unsafe_split calls
    symbolic_opset9's split, not the split opset 11 registers."""
    return _delegate(rule, opset)[1]


@functools.lru_cache(maxsize=None)
def helper_code(rule: str, opset: int) -> str:
    """Where the code lives of the private helper the function TorchScript runs for rule at opset
    only calls, handing on its own parameters and constants (gt's whole body at opset 8 is
    `return _comparison_operator(g, input, other, "Greater")`, and lt's the same with "Less"),
    as its module and qualified name; for a function that only calls another op's function
    (delegate_of: maximum's is max's), that function's helper; "" when there is none."""
    fn = _registered(rule, opset)
    if fn is not None and delegate_of(rule, opset):
        fn = _handed_to(fn)
    helper = _handed_to(fn) if fn is not None else None
    if helper is None or not getattr(helper, "__name__", "").startswith("_"):
        return ""
    return _code_of(helper)


@functools.lru_cache(maxsize=None)
def _delegate(rule: str, opset: int) -> tuple[str, str]:
    """(delegate_of, delegate_code) of rule at opset, or ("", "")."""
    fn = _registered(rule, opset)
    handoff = _handoff(fn) if fn is not None else None
    name = getattr(handoff, "id", "")
    if not name or name == rule.removeprefix("aten::") or not torchscript_registry().is_registered_op(f"aten::{name}", opset):
        return "", ""
    return name, _code_of(_handed_to(fn))


def _registered(rule: str, opset: int):
    """The function TorchScript's registry runs for rule at opset, every decorator's wrapper off
    (an export may have wrapped the registered functions once more, its diagnostics, and a
    wrapper's globals are its decorator's module's), or None."""
    import inspect

    try:
        group = torchscript_registry().get_function_group(rule)
        return inspect.unwrap(group.get(opset)) if group is not None and group.get(opset) is not None else None
    except Exception:  # noqa: BLE001 - no torch: the rule as it is
        return None


def _handoff(fn):
    """The callee (an ast.Name, or an ast.Attribute of a name) of the one call fn's whole body
    returns, when that call is handed only fn's own parameters and constants and no decorator adds
    code of its own; None otherwise (log1p's log(g, add(g, self, 1)) computes something first,
    ne's negation wrapper around eq adds code)."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
    except Exception:  # noqa: BLE001 - no source
        return None

    def named(decorator) -> str:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")

    if any(named(d) not in ("_onnx_symbolic", "parse_args", "quantized_args") for d in tree.decorator_list):
        return None
    body = [b for b in tree.body if not (isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant))]  # a docstring
    if len(body) != 1 or not isinstance(body[0], ast.Return) or not isinstance(body[0].value, ast.Call):
        return None
    params = {a.arg for a in (*tree.args.args, *tree.args.kwonlyargs)}
    call = body[0].value
    if not all((isinstance(a, ast.Name) and a.id in params) or isinstance(a, ast.Constant)
               for a in (*call.args, *(k.value for k in call.keywords))):
        return None
    callee = call.func
    if isinstance(callee, ast.Name) or (isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name)):
        return callee
    return None


def _handed_to(fn):
    """The function fn hands all its work to (_handoff), resolved in fn's module and unwrapped, or
    None."""
    import ast
    import inspect

    callee, scope = _handoff(fn), getattr(fn, "__globals__", {})
    if isinstance(callee, ast.Name):
        called = scope.get(callee.id)
    elif isinstance(callee, ast.Attribute):
        called = getattr(scope.get(callee.value.id), callee.attr, None)
    else:
        return None
    return inspect.unwrap(called) if callable(called) else None


def _code_of(fn) -> str:
    """fn's module (its last part) and qualified name, or "" when it has no module."""
    module = getattr(fn, "__module__", "") or ""
    return f"{module.rsplit('.', 1)[-1]}.{getattr(fn, '__qualname__', getattr(fn, '__name__', ''))}" if module else ""
