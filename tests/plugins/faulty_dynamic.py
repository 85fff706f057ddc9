"""A runtime that is right at the size a model is first run at and wrong at any other.

It stands for the bug dynamic-shape testing exists to find: a kernel or an
optimization specialized to the first shape it saw. Registered through
ONNXFUZZ_PLUGINS (see PLUGINS) by the tests that need it.
"""
from __future__ import annotations

import numpy as np

from fuzzer.run.plugins.onnxruntime import OrtUnoptimized


class FirstSizeOnlyRuntime(OrtUnoptimized):
    """ONNX Runtime, except that float outputs come back negated (plus one, so that zeros
    change too) whenever the feeds' shapes differ from those of the session's first run."""

    name = "firstsize"

    def load(self, model):
        # the plugin instance is shared by every case: the first shapes live with the session
        return {"session": super().load(model), "first": None}

    def input_names(self, session):
        return super().input_names(session["session"])

    def run(self, session, feeds):
        shapes = {k: np.shape(v) for k, v in feeds.items()}
        outputs = super().run(session["session"], feeds)
        if session["first"] is None:
            session["first"] = shapes
        if shapes == session["first"]:
            return outputs
        return [-o - 1 if np.issubdtype(np.asarray(o).dtype, np.floating) else o for o in outputs]


PLUGINS = "runtime:firstsize=tests.plugins.faulty_dynamic:FirstSizeOnlyRuntime"
