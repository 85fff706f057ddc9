"""A runtime whose bug kills the process that files it: a triage job must not end the campaign.

Registered through ONNXFUZZ_PLUGINS, so the campaign's workers (and their nested
reduction workers) load it as they would a third-party plugin.
"""
from __future__ import annotations

import os

from fuzzer.run.plugins.onnxruntime import OrtUnoptimized


class NegatingRuntimeDyingInRepro(OrtUnoptimized):
    """Wrong on every float output (a plain value mismatch, which triage reduces in-process safely),
    and its repro hook aborts: the filer calls it in the process that triages."""

    name = "negate-dies-filing"

    def run(self, session, feeds):
        return [-o for o in super().run(session, feeds)]

    def repro_source(self):
        os.abort()


PLUGINS = "runtime:negate-dies-filing=tests.plugins.faulty_triage:NegatingRuntimeDyingInRepro"
