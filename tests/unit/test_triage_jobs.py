"""Which signature a campaign triages next, and how many workers it takes (fuzzer.campaign.triage_jobs)."""
from fuzzer.campaign.triage_jobs import TRIAGED, TriageJobs
from fuzzer.case import CaseResult
from fuzzer.report.triage import TriageOutcome
from fuzzer.store import Store
from oracles import Kind, Stage, Verdict


def crash(path: str, op: str, error: str) -> Verdict:
    return Verdict(Kind.EXPORT_CRASH, Stage.EXPORT, path, "", [op], error)


class Campaign:
    def __init__(self, tmp_path, workers=4, max_workers=1):
        self.store = Store.open(tmp_path / "work")
        self.session = self.store.begin_session(0, workers, {})
        self.bugs = tmp_path / "bugs"
        self.ids = 0
        self.jobs = self.queue(workers, max_workers)

    def queue(self, workers=4, max_workers=1):
        return TriageJobs(self.store, self.session, self.store.workdir, self.bugs, ["torchscript"], ["onnxruntime"],
                          workers, max_workers)

    def case(self, *verdicts):
        self.ids += 1
        result = CaseResult(self.ids, self.ids, "judged", verdicts=list(verdicts))
        self.jobs.observe(result, self.store.record(result, self.session, []))
        return [v.signature for v in verdicts]

    def done(self, job, note="ambiguous: not filed"):
        self.jobs.finish(CaseResult(job.case_id, 0, TRIAGED, notes={"triage": TriageOutcome(job.row["signature"], None, note)}))


def test_a_new_group_goes_first_then_the_most_hit_one_job_at_a_time(tmp_path):
    c = Campaign(tmp_path)
    [a_relu] = c.case(crash("torchscript@17", "relu", "boom"))
    c.case(crash("torchscript@17", "relu", "boom"), crash("torchscript@17", "tanh", "boom"))
    [a_tanh] = c.case(crash("torchscript@17", "tanh", "boom"))
    c.case(crash("torchscript@17", "tanh", "boom"))
    [b_relu] = c.case(crash("dynamo@18", "relu", "another message"))
    first = c.jobs.next_job()
    assert first.row["signature"] == a_tanh and first.case_id < 0  # the most hit (3 hits)
    assert c.jobs.next_job() is None, "one worker triages while few signatures wait"
    c.done(first)
    # B's group has no job yet: it goes before A's more-hit relu signature
    second = c.jobs.next_job()
    assert second.row["signature"] == b_relu
    c.done(second)
    third = c.jobs.next_job()
    assert third.row["signature"] == a_relu and c.jobs.next_job() is None
    c.done(third)
    assert c.jobs.next_job() is None
    assert c.jobs.summary()["jobs"] == 3 and c.jobs.summary()["waiting"] == 0
    # recorded: a campaign resumed on this workdir does not triage them again
    assert c.store.triaged_signatures(c.bugs) == {a_relu, a_tanh, b_relu}
    assert c.queue().next_job() is None
    assert c.store.filing_stats()["signatures_triaged"] == 3


def test_a_long_queue_takes_up_to_half_the_workers_and_each_group_is_capped(tmp_path):
    c = Campaign(tmp_path, workers=4)
    for i in range(12):  # one coarse group: the message is the same, the ops differ
        c.case(crash("torchscript@17", f"op{i}", "boom"))
    # more than LONG_QUEUE signatures are waiting, but only PER_GROUP (4) of the group may be triaged
    assert c.jobs.summary()["waiting"] == 4
    for word in "alpha beta gamma delta epsilon zeta eta theta iota kappa".split():
        c.case(crash("dynamo@18", "relu", f"failure {word}"))
    out = [c.jobs.next_job(), c.jobs.next_job()]
    assert all(out) and c.jobs.next_job() is None, "half of 4 workers at most"
    for job in out:
        c.done(job)
    taken = []
    while (job := c.jobs.next_job()) is not None:
        taken.append(job)
        c.done(job)
    boom = [j for j in out + taken if j.row["path"].startswith("torchscript")]
    assert len(boom) == 4 and len(out + taken) == 14


def test_a_job_whose_worker_failed_it_is_recorded_as_a_failed_triage(tmp_path):
    c = Campaign(tmp_path)
    [sig] = c.case(crash("torchscript@17", "relu", "boom"))
    job = c.jobs.next_job()
    died = job.after_death("worker died: signal SIGABRT\nlast output: ...")
    assert c.jobs.owns(died)
    c.jobs.finish(died)
    [(note, bug)] = c.store.conn.execute("SELECT note, bug_id FROM triaged WHERE signature = ?", (sig,)).fetchall()
    assert note == "triage failed: the worker died or stalled: worker died: signal SIGABRT" and bug is None
    assert c.jobs.summary()["failed"][0]["signature"] == sig


def test_a_held_triage_is_no_folder_is_counted_and_is_triaged_again_when_likely_repeats_are_written(tmp_path, monkeypatch):
    from fuzzer.report.likely import FILE_LIKELY_ENV, HELD
    from fuzzer.report.writer import Filed

    monkeypatch.delenv(FILE_LIKELY_ENV, raising=False)
    near = tmp_path / "bugs" / "torchscript-export-crash-aaaaaa"
    near.mkdir(parents=True)
    (near / "case.json").write_text('{"bug": {"title": "t", "system": "torchscript", "kind": "export_crash", "stage": "export"}}')
    c = Campaign(tmp_path)
    [held] = c.case(crash("torchscript@17", "relu", "boom"))
    job = c.jobs.next_job()
    filed = Filed(near.name, near, new=False, reason=f"{HELD}{near.name} (the same function)", held=True)
    c.jobs.finish(CaseResult(job.case_id, 0, TRIAGED, notes={"triage": TriageOutcome(held, filed, filed.reason)}))
    assert c.jobs.summary()["folders"] == 0 and c.store.filed_bugs() == [], "held: no folder filed or updated"
    stats = c.store.filing_stats()
    assert stats["held_as_likely_repeats"] == 1 and stats["folders"] == 0
    assert c.store.triaged_signatures(c.bugs) == {held} and c.queue().next_job() is None
    # a rerun that writes likely repeats triages it again; one that holds them does not
    assert c.store.triaged_signatures(c.bugs, but_held=True) == set()
    monkeypatch.setenv(FILE_LIKELY_ENV, "1")
    assert c.queue().next_job().row["signature"] == held
