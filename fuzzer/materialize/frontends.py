"""Which op specs each frontend can materialize.

A frontend is a way of turning an IR graph into an ONNX model's source: torch
(for the torch exporters), onnx (the direct materializer), tf (for tf2onnx).
A case's graph is generated only from the ops its exporters' frontend serves,
so every graph a case builds can be materialized by construction.
"""
from __future__ import annotations

from typing import Callable

from fuzzer.errors import UsageError


def _torch(spec) -> bool:
    return spec.exportable


def _onnx(spec) -> bool:
    return spec.has_onnx


def _tf(spec) -> bool:
    # the TensorFlow lowerings live with the TF materializer; importing its table needs no TF
    from fuzzer.materialize.tf_model import TF_LOWERINGS

    return spec.name in TF_LOWERINGS


FRONTENDS: dict[str, Callable] = {"torch": _torch, "onnx": _onnx, "tf": _tf}


def supports(frontend: str, spec) -> bool:
    try:
        return FRONTENDS[frontend](spec)
    except KeyError:
        raise UsageError(f"unknown frontend {frontend!r}; known: {', '.join(FRONTENDS)}") from None
