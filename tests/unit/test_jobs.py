"""fuzzer.campaign.jobs: the probe's and `gen --check`'s jobs on the campaign's supervisor."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

from fuzzer.campaign.jobs import run_jobs
from fuzzer.case import CaseResult, Job
from oracles import Kind, Stage


@dataclass(kw_only=True)
class Calls(Job):
    """Calls a pretend system under test, which dies, hangs or answers, as `action` says."""

    action: str

    def run(self, progress) -> CaseResult:
        if self.skip:  # the call that killed a worker is not made again
            return CaseResult(self.case_id, self.seed, "judged", notes={"skipped": sorted(self.skip)})
        progress(Stage.RUN, "model", "pretend")
        if self.action == "die":
            os._exit(7)
        if self.action == "hang":
            time.sleep(600)
        return CaseResult(self.case_id, self.seed, "judged", notes={"answer": 42})


def test_a_death_and_a_hang_cost_their_job_and_the_rest_run():
    jobs = [Calls(case_id=i, action=a) for i, a in enumerate(["ok", "die", "hang", "ok"])]
    results = run_jobs(jobs, workers=1, stage_timeout=5.0)
    assert results[0].notes == {"answer": 42} and results[3].notes == {"answer": 42}
    died, hung = results[1], results[2]
    assert [v.kind for v in died.verdicts] == [Kind.RUN_CRASH] and "exit code 7" in died.verdicts[0].error
    assert [v.kind for v in hung.verdicts] == [Kind.HANG]
    # the retry ran with the fatal pair skipped, so the result is the job's own, plus the verdict
    assert died.notes == {"skipped": [("model", "pretend")]} == hung.notes


def test_a_budget_leaves_jobs_unstarted():
    results = run_jobs([Calls(case_id=i, action="ok") for i in range(3)], budget=0)
    assert results == {0: None, 1: None, 2: None}
