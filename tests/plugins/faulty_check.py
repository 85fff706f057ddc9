"""Deliberately broken plugins for `onnxfuzz check`: an optimizer that alters one integer op, and a
runtime whose result is wrong only for some inputs. Registered through ONNXFUZZ_PLUGINS (PLUGINS)."""
from __future__ import annotations

import inspect

import numpy as np

from fuzzer.convert.base import Transformer
from fuzzer.run.plugins.onnxruntime import OrtUnoptimized


def sub_to_add(model_bytes: bytes) -> bytes:
    """The model with its first Sub node turned into an Add (same types, same arity: a valid model)."""
    import onnx

    proto = onnx.load_model_from_string(model_bytes)
    for node in proto.graph.node:
        if node.op_type == "Sub":
            node.op_type = "Add"
            break
    return proto.SerializeToString()


class SubToAddTransformer(Transformer):
    """An "optimizer" that turns the first Sub node into an Add."""

    name = "subflip"

    def transform(self, model, opset):
        return sub_to_add(model)

    def repro_source(self):
        # the repro must show the same fault, so it carries the change with it
        return inspect.getsource(sub_to_add) + "\n\ndef transform_model(model_bytes, opset):\n    return sub_to_add(model_bytes)\n"


class OddSumRuntime(OrtUnoptimized):
    """ONNX Runtime, except that its first output is off by one wherever the first input sums to an odd number."""

    name = "oddsum"

    def run(self, session, feeds):
        outputs = super().run(session, feeds)
        first = next(iter(feeds.values()))
        if np.issubdtype(first.dtype, np.integer) and int(first.astype(np.int64).sum()) % 2:
            outputs[0] = outputs[0] + np.ones_like(outputs[0])
        return outputs


PLUGINS = ",".join([
    "converter:subflip=tests.plugins.faulty_check:SubToAddTransformer",
    "runtime:oddsum=tests.plugins.faulty_check:OddSumRuntime",
])
