"""onnxfuzz stats shows what the dynamic and control-flow cases were judged, not only how many ran."""
import json

from fuzzer.case import CaseResult
from fuzzer.cli import main
from fuzzer.store import Store
from oracles import Kind, Stage, Verdict

PLAN = {"dims": {"x0": {"0": "d0"}}, "base": {"d0": 2}, "sizes": [{"d0": 1}]}


def _verdict(kind: Kind, path: str, runtime: str, **stats) -> Verdict:
    return Verdict(kind, Stage.JUDGE if kind is Kind.PASS else Stage.RUN, path, runtime, ["If"],
                   "" if kind is Kind.PASS else "boom", stats)


def test_stats_break_down_the_verdicts_of_dynamic_and_control_flow_cases(tmp_path, capsys):
    store = Store.open(tmp_path)
    try:
        session = store.begin_session(0, 1, {})
        store.record(CaseResult(1, 1, "judged", ops=["cond", "tanh"], dynamic=PLAN, verdicts=[
            _verdict(Kind.PASS, "dynamo@18", "onnxruntime", sizes=2),
            _verdict(Kind.RUN_CRASH, "dynamo@18", "onnx-reference")]), session, ["dynamo"])
        store.record(CaseResult(2, 2, "judged", ops=["onnx_loop"], verdicts=[
            _verdict(Kind.PASS, "onnx-direct@18", "onnxruntime")]), session, ["onnx-direct"])
        store.record(CaseResult(3, 3, "judged", ops=["relu"], dynamic=PLAN, verdicts=[
            _verdict(Kind.PASS, "torchscript@17", "onnxruntime")]), session, ["torchscript"])
        # neither dynamic nor control flow; and a discarded control-flow case, never judged
        store.record(CaseResult(4, 4, "judged", ops=["relu"], verdicts=[
            _verdict(Kind.PASS, "torchscript@17", "onnxruntime")]), session, ["torchscript"])
        store.record(CaseResult(5, 5, "discarded", ops=["scan"]), session, ["dynamo"])
        store.end_session(session)
    finally:
        store.close()
    assert main(["stats", "--workdir", str(tmp_path), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)["verdicts_with"]
    assert got["dynamic"] == {"cases": 2, "cases_at_several_sizes": 1, "verdicts": {"pass": 2, "run_crash": 1}}
    assert got["control_flow"] == {"cases": 2, "cases_at_several_sizes": 1, "verdicts": {"pass": 2, "run_crash": 1}}
    assert got["dynamic_and_control_flow"] == {"cases": 1, "cases_at_several_sizes": 1,
                                               "verdicts": {"pass": 1, "run_crash": 1}}
    # the human summary says the same
    assert main(["stats", "--workdir", str(tmp_path)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "dynamic and control flow: 1 cases, 1 judged at several sizes" in text
