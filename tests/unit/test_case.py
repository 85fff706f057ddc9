"""One test case, in-process: the path from generation to verdicts."""

from fuzzer.case import CaseSpec, run_case
from fuzzer.generate import GenConfig, generate
from fuzzer.choices import NumpyChoices
from oracles import Kind, Stage

TANH_GRAPHS = GenConfig(min_nodes=2, max_nodes=3, ops=("tanh",), dtypes=frozenset({"float32"}))


def spec(**kw):
    base = dict(case_id=1, seed=11, config=TANH_GRAPHS, exporters=["torchscript"], runtimes=["onnxruntime"], opset=17)
    return CaseSpec(**{**base, **kw})


def test_honest_case_passes_and_keeps_nothing():
    r = run_case(spec())
    assert r.status == "judged" and r.verdicts
    assert all(v.kind is Kind.PASS for v in r.verdicts)
    assert r.graph_json is None and not r.models
    assert r.sut_seconds > 0 and "export:torchscript" in r.timings


def test_transformer_bug_is_blamed_on_the_transformer_path(faulty):
    r = run_case(spec(transformers=["flipopt"]))
    by_path = {v.path: v for v in r.verdicts}
    assert by_path["torchscript@17"].kind is Kind.PASS
    flipped = by_path["torchscript@17>flipopt"]
    assert flipped.kind is Kind.VALUE_MISMATCH and "tanh" in flipped.ops
    assert "torchscript@17>flipopt" in r.models and r.graph_json is not None


def test_transformer_crash_is_a_convert_crash(faulty):
    r = run_case(spec(transformers=["crashopt"]))
    crash = [v for v in r.verdicts if v.kind is Kind.CONVERT_CRASH]
    assert len(crash) == 1 and crash[0].stage is Stage.CONVERT and crash[0].runtime == ""


def test_given_graph_runs_instead_of_a_generated_one():
    g = generate(NumpyChoices(5), TANH_GRAPHS)
    r = run_case(spec(seed=999, graph_json=g.dumps()))
    assert r.ops == g.op_types()


def test_skipped_pairs_are_not_run():
    r = run_case(spec(runtimes=["onnxruntime", "onnx-reference"], skip=frozenset({("torchscript@17", "onnx-reference")})))
    assert {v.runtime for v in r.verdicts} == {"onnxruntime"}
