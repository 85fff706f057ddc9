"""The runtime plugin contract: load a model, run it on inputs.

Loading and running are separate calls so that the oracles can tell a model a
runtime refuses (load) from one it fails to compute (run).
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from fuzzer.plugin import Plugin


class Runtime(Plugin):
    kind: ClassVar[str] = "runtime"

    def load(self, model: bytes) -> Any:
        """A ready-to-run session for a serialized ModelProto; raises what the runtime raises."""
        raise NotImplementedError

    def input_names(self, session: Any) -> list[str]:
        raise NotImplementedError

    def run(self, session: Any, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """The model's outputs, in graph output order."""
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
