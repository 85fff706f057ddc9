"""Run jobs (fuzzer.case.Job) on the campaign's supervised workers, for commands that are not campaigns.

The probe and `onnxfuzz gen --check` hand systems under test inputs that may
kill, hang or bloat the process, exactly as a campaign does, and use the
campaign's Supervisor for it rather than isolation of their own.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Iterable

from fuzzer.case import CaseResult, Job


def run_jobs(jobs: Iterable[Job], workers: int = 1, stage_timeout: float = 60.0, budget: float | None = None,
             memory_limit_mb: int = 4096) -> dict[int, CaseResult | None]:
    """Every job run on `workers` supervised processes: its result by case id. The result's
    verdicts are the deaths the supervisor saw (the job's own come after them); a job that died
    before announcing a stage has status "error"; one that never finished (the budget ran out
    first) maps to None.

    budget: seconds after which no job starts; jobs in flight then get one stage_timeout to finish.
    """
    from fuzzer.campaign.supervisor import Supervisor

    pending = list(jobs)
    results: dict[int, CaseResult | None] = {job.case_id: None for job in pending}
    queue = iter(pending)
    with tempfile.TemporaryDirectory(prefix="onnxfuzz-jobs-") as logdir:
        supervisor = Supervisor(workers, Path(logdir), stage_timeout, memory_limit_mb, diversity=False)
        supervisor.start()
        try:
            deadline = time.monotonic() + (budget if budget is not None else 10 * 365 * 86400)
            for result in supervisor.run(lambda: next(queue, None), deadline, grace=stage_timeout):
                if result.case_id in results:
                    results[result.case_id] = result
        finally:
            supervisor.stop()
    return results
