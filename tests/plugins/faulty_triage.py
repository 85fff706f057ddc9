"""A runtime whose bug kills the process that files it: a triage job must not end the campaign.

Registered through ONNXFUZZ_PLUGINS, so the campaign's workers (and their nested
reduction workers) load it as they would a third-party plugin.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

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


@dataclass
class SilentJob:
    """A job that is not a case and never says a word (a triage job stuck in onnxfuzz's own code):
    the supervisor must stop it after its stall_limit and hand its death back to it."""

    case_id: int
    stall_limit: float = 1.0
    seed: int = 0
    graph_json: str | None = None
    dynamic: dict | None = None

    def run(self, progress):
        while True:
            time.sleep(1)

    def after_death(self, reason: str):
        from fuzzer.case import CaseResult

        return CaseResult(self.case_id, 0, "triaged", error=reason)
