"""Op specs: one class per op, discovered from the modules of this package.

Adding an op means adding one class to one module here (or a new module); the
registry, the generator and the round-trip meta-test pick it up by themselves.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import lru_cache

from fuzzer.ops.base import FRONTENDS, MAX_NUMEL, OLDEST_OPSET, OpSpec
from fuzzer.ops.contexts import DrawContext, OnnxContext, TfContext, TorchContext

__all__ = ["FRONTENDS", "MAX_NUMEL", "DrawContext", "OnnxContext", "OpSpec", "TfContext", "TorchContext",
           "OLDEST_OPSET", "all_specs", "get_spec", "graph_opset_floor", "op_names"]


@lru_cache(maxsize=None)
def _registry() -> dict[str, OpSpec]:
    specs: dict[str, OpSpec] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in ("base", "contexts"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, OpSpec) or cls.__module__ != module.__name__:
                continue
            if "name" not in cls.__dict__:  # an abstract base shared by several ops
                continue
            if cls.name in specs:
                raise RuntimeError(f"op {cls.name!r} is defined twice: {cls} and {type(specs[cls.name])}")
            specs[cls.name] = cls()
    return dict(sorted(specs.items()))


def all_specs() -> list[OpSpec]:
    return list(_registry().values())


def op_names() -> list[str]:
    return list(_registry())


def get_spec(name: str) -> OpSpec:
    """The spec of op `name`; KeyError with the known names if there is none."""
    try:
        return _registry()[name]
    except KeyError:
        raise KeyError(f"unknown op {name!r}") from None


def graph_opset_floor(graph) -> int:
    """The oldest opset at which every node of graph can be lowered to ONNX: OLDEST_OPSET, or
    the newest opset_floor of its nodes (an op introduced later, an attribute with no older form);
    13 when it holds a bfloat16 value, a type no op takes before 13 (Cast included)."""
    from fuzzer.ir import DType

    bf16 = any(v.type.dtype == DType.bfloat16 for v in graph.values())
    return max([OLDEST_OPSET, 13 if bf16 else 0] + [get_spec(n.op_type).opset_floor([v.type for v in n.inputs], n.attrs)
                                 for n in graph.op_nodes])
