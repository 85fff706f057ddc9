"""The runtime plugin contract: load a model, run it on inputs.

Loading and running are separate calls so that the oracles can tell a model a
runtime refuses (load) from one it fails to compute (run).
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from fuzzer.plugin import Plugin, required


class Runtime(Plugin):
    """Required: `name`, `load()`, `input_names()`, `run()`, `repro_source()`."""

    kind: ClassVar[str] = "runtime"
    #: the largest |int64| value it computes exactly, when its documentation says it computes
    #: int64 in a narrower type (OpenVINO's CPU plugin: i32); a wrong result on a case holding
    #: larger int64 values is that documented gap (`unsupported`), not a bug
    int64_limit: ClassVar[int | None] = None

    @required
    def load(self, model: bytes) -> Any:
        """Required: a ready-to-run session for a serialized ModelProto; raises what the runtime
        raises (a load_crash, or `unsupported` when is_unsupported says so)."""
        raise NotImplementedError

    @required
    def input_names(self, session: Any) -> list[str]:
        """Required: the input names `run` takes feeds under (matched by position when a
        converter renamed the case's inputs)."""
        raise NotImplementedError

    @required
    def run(self, session: Any, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Required: the model's outputs, in graph output order, as numpy arrays of the
        dtypes the graph declares; raises what the runtime raises (a run_crash)."""
        raise NotImplementedError


def feeds_for(names: list[str], inputs: dict[str, np.ndarray], order: list[str]) -> dict[str, np.ndarray]:
    """Map the case's inputs onto a model's input names.

    Exporters keep our names, but a converter may rename them; then the inputs
    are matched by position (`order` is the case's input order).
    """
    if all(n in inputs for n in names):
        return {n: inputs[n] for n in names}
    if len(names) == len(order):
        return {n: inputs[o] for n, o in zip(names, order)}
    raise ValueError(f"model inputs {names} do not match case inputs {order}")
