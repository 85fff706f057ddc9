"""Evaluate reduction candidates in a supervised worker process.

A failure that kills the process (segfault, abort), hangs or eats memory can
only be reproduced where the supervisor can watch: each candidate runs on a
long-lived spawned worker, and a death comes back as a verdict, exactly as it
does in a campaign.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from fuzzer.campaign.supervisor import Supervisor
from fuzzer.case import CaseResult, CaseSpec


class IsolatedEvaluator:
    def __init__(self, stage_timeout: float = 60.0, memory_limit_mb: int = 4096) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="onnxfuzz-reduce-")
        self.supervisor = Supervisor(1, Path(self._tmp.name), stage_timeout, memory_limit_mb)
        self.supervisor.start()

    def __call__(self, spec: CaseSpec) -> CaseResult | None:
        pending = [spec]
        results = list(self.supervisor.run(lambda: pending.pop() if pending else None, time.monotonic() + 3600, grace=3600))
        return results[0] if results else None

    def close(self) -> None:
        self.supervisor.stop()
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
