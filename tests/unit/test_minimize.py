"""The minimizer, on injected bugs whose minimal form is known."""
import json
import subprocess
import sys

import numpy as np
import pytest

from fuzzer.case import CaseSpec, run_case
from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, generate
from fuzzer.minimize import Target, reduce
from oracles import Kind

MIXED = GenConfig(min_nodes=6, max_nodes=9, ops=("tanh", "add", "mul", "relu", "sigmoid", "neg"), dtypes=frozenset({"float32"}))


def failing_case(exporter="signflip", transformers=()):
    """A graph of 6+ ops containing tanh, and the verdict the injected bug produces on it."""
    for seed in range(200):
        g = generate(NumpyChoices(seed), MIXED)
        if "tanh" not in g.op_types() or len(g) < 6:
            continue
        spec = CaseSpec(case_id=1, seed=seed, config=MIXED, exporters=[exporter], transformers=list(transformers),
                        runtimes=["onnxruntime"], opset=17, graph_json=g.dumps())
        r = run_case(spec)
        bad = r.failures
        if bad:
            inputs = dict(np.load(__import__("io").BytesIO(r.inputs_npz)))
            return g, seed, inputs, bad[0]
    raise AssertionError("no failing case found")


def test_sign_flip_reduces_to_the_single_tanh(faulty):
    g, seed, inputs, verdict = failing_case()
    assert verdict.kind is Kind.VALUE_MISMATCH
    red = reduce(g, Target.of(verdict), seed, inputs)
    assert red.graph.op_types() == ["tanh"], red.graph.summary()
    assert red.original_ops >= 6 and red.candidates > 0 and red.seconds > 0
    assert red.verdict.kind is Kind.VALUE_MISMATCH
    assert all(v.type.numel == 1 for v in red.graph.values()), "shapes shrink to single elements"
    assert all(v.type.rank == 0 for v in red.graph.values()), "and ranks to scalars"


def test_dtypes_narrow_where_the_failure_persists(faulty):
    from fuzzer.ir import DType

    cfg = GenConfig(min_nodes=2, max_nodes=4, ops=("tanh", "add"), dtypes=frozenset({"float64"}))
    for seed in range(100):
        g = generate(NumpyChoices(seed), cfg)
        if "tanh" not in g.op_types():
            continue
        spec = CaseSpec(case_id=1, seed=seed, config=cfg, exporters=["signflip"], runtimes=["onnxruntime"], opset=17,
                        graph_json=g.dumps())
        r = run_case(spec)
        flips = [v for v in r.failures if v.kind is Kind.VALUE_MISMATCH]
        if flips:
            break
    inputs = dict(np.load(__import__("io").BytesIO(r.inputs_npz)))
    red = reduce(g, Target.of(flips[0]), seed, inputs)
    assert red.graph.op_types() == ["tanh"]
    assert {v.type.dtype for v in red.graph.values()} == {DType.float32}
    assert red.per_pass["narrow_dtypes"][1] >= 1


def test_transformer_crash_reduces_to_the_single_tanh(faulty):
    g, seed, inputs, verdict = failing_case("torchscript", ["crashopt"])
    assert verdict.kind is Kind.CONVERT_CRASH
    red = reduce(g, Target.of(verdict), seed, inputs)
    assert red.graph.op_types() == ["tanh"]


def test_a_model_a_transformer_makes_invalid_is_blamed_on_the_transformer(faulty):
    """The checker rejects the model after `invalidopt`; the exporter's model it was given passed,
    so the transformer is at fault (this was once blamed on the exporter: stage CHECK)."""
    from fuzzer.report.blame import blame

    g, seed, inputs, verdict = failing_case("torchscript", ["invalidopt"])
    assert verdict.kind is Kind.INVALID_MODEL and verdict.path.endswith(">invalidopt")
    red = reduce(g, Target.of(verdict), seed, inputs)
    assert red.graph.op_types() == ["tanh"]
    who = blame(red.graph, Target.of(verdict), seed, red.result.inputs_npz, ["torchscript"], ["onnxruntime"])
    assert (who.system, who.role) == ("invalidopt", "transformer"), who.reason


def test_a_failure_that_does_not_hold_is_refused():
    g, seed, inputs = generate(NumpyChoices(1), MIXED), 1, None
    from oracles import Stage, Verdict

    fake = Verdict(Kind.VALUE_MISMATCH, Stage.JUDGE, "torchscript@17", "onnxruntime")
    with pytest.raises(ValueError, match="does not reproduce"):
        reduce(g, Target.of(fake), seed, inputs)


def test_filed_bug_has_a_standalone_repro_that_reproduces(faulty, tmp_path):
    from fuzzer.report.blame import Blame
    from fuzzer.report.writer import file_bug, run_repro

    g, seed, inputs, verdict = failing_case()
    target = Target.of(verdict)
    red = reduce(g, target, seed, inputs)
    who = Blame("signflip", "exporter", "injected", [])
    filed = file_bug(tmp_path, red, target, who, {"case_id": 1, "seed": seed})
    assert filed.new and filed.path.exists(), filed.reason
    for name in ("report.md", "repro.py", "inputs.npz", "case.json", "model.onnx"):
        assert (filed.path / name).exists(), name
    script = (filed.path / "repro.py").read_text()
    assert "import fuzzer" not in script and "from fuzzer" not in script and "oracles" not in script
    assert run_repro(filed.path)[0] == 1
    case = json.loads((filed.path / "case.json").read_text())
    assert case["bug"]["minimized"]["ops"] == 1 and case["graph"]["format"] == "onnxfuzz-graph/1"
    again = file_bug(tmp_path, red, target, who, {"case_id": 2, "seed": seed})
    assert not again.new and json.loads((filed.path / "case.json").read_text())["bug"]["hits"] == 2


def test_a_bug_whose_rewrite_rule_at_fault_is_filed_already_is_counted_there(faulty, tmp_path, monkeypatch):
    """Issue 14: two failures with the same rule at fault and the same symptom are one bug,
    however differently their errors read; another rule is another bug."""
    from fuzzer.report import writer
    from fuzzer.report.blame import Blame

    rule = {"system": "crashopt:passes", "rules": ["fuse_tanh"], "candidates": ["fuse_tanh"], "note": "alone"}
    monkeypatch.setattr(writer, "rule_at_fault_of", lambda folder: dict(rule))
    monkeypatch.setenv("ONNXFUZZ_KNOWN_BUGS", "")
    g, seed, inputs, verdict = failing_case("torchscript", ["crashopt"])
    target = Target.of(verdict)
    red = reduce(g, target, seed, inputs)
    who = Blame("crashopt", "transformer", "injected", [])
    first = writer.file_bug(tmp_path, red, target, who, {"case_id": 1, "seed": seed})
    assert first.new, first.reason
    # the filed bug as if met through another graph, worded otherwise: its folder and root-cause key differ
    other = first.path.rename(tmp_path / "crashopt-convert-crash-000000")
    case = json.loads((other / "case.json").read_text())
    case["bug"]["error"] = "RuntimeError: some other wording of the same rewrite's failure"
    (other / "case.json").write_text(json.dumps(case))
    second = writer.file_bug(tmp_path, red, target, who, {"case_id": 2, "seed": seed})
    assert (second.bug_id, second.new) == (other.name, False) and "same rule at fault" in second.reason
    assert json.loads((other / "case.json").read_text())["bug"]["hits"] == 2
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == [other.name]
    rule["rules"] = ["another_rule"]  # another rule at fault: another bug
    third = writer.file_bug(tmp_path, red, target, who, {"case_id": 3, "seed": seed})
    assert third.new and third.bug_id == first.bug_id, third.reason


def test_repro_of_an_honest_model_is_not_filed(tmp_path):
    """The standalone repro must show the failure; an oracle hit the repro cannot confirm is dropped."""
    from fuzzer.report.blame import Blame
    from fuzzer.report.writer import file_bug

    g = generate(NumpyChoices(3), GenConfig(max_nodes=2, ops=("tanh",), dtypes=frozenset({"float32"})))
    spec = CaseSpec(case_id=1, seed=3, config=MIXED, exporters=["torchscript"], runtimes=["onnxruntime"], opset=17,
                    graph_json=g.dumps(), keep_models=frozenset({"torchscript@17"}))
    r = run_case(spec)
    from fuzzer.minimize.reducer import Reduction
    from oracles import Stage, Verdict

    lie = Verdict(Kind.VALUE_MISMATCH, Stage.JUDGE, "torchscript@17", "onnxruntime", ["tanh"], "output 0: made up")
    red = Reduction(g, lie, r, original_ops=len(g))
    filed = file_bug(tmp_path, red, Target.of(lie), Blame("torchscript", "exporter", "", []), {})
    assert not filed.new and "not filed" in filed.reason
    assert not any(tmp_path.iterdir())


def test_external_model_reduces_to_the_node_the_check_names(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    nodes = [
        helper.make_node("Relu", ["x"], ["a"]),
        helper.make_node("Sigmoid", ["a"], ["b"]),
        helper.make_node("Tanh", ["b"], ["c"]),
        helper.make_node("Neg", ["c"], ["d"]),
        helper.make_node("Abs", ["d"], ["y"]),
    ]
    t = [4, 3]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, t)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, t)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    check = tmp_path / "has_tanh.py"
    check.write_text("import sys, onnx\nm = onnx.load(sys.argv[1])\nsys.exit(1 if any(n.op_type == 'Tanh' for n in m.graph.node) else 0)\n")
    out = subprocess.run([sys.executable, "-m", "fuzzer", "reduce", str(path), "--check", f"{sys.executable} {check}", "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    reduced = onnx.load(report["output"])
    assert [n.op_type for n in reduced.graph.node] == ["Tanh"]
    assert report["original_nodes"] == 5 and report["nodes"] == 1


def test_external_model_that_does_not_fail_exits_1(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    path = tmp_path / "ok.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    out = subprocess.run([sys.executable, "-m", "fuzzer", "reduce", str(path)], capture_output=True, text=True)
    assert out.returncode == 1


def test_corrupt_model_is_a_usage_error(tmp_path):
    path = tmp_path / "bad.onnx"
    path.write_bytes(b"\x00garbage")
    out = subprocess.run([sys.executable, "-m", "fuzzer", "reduce", str(path)], capture_output=True, text=True)
    assert out.returncode == 2 and "not a valid ONNX model" in out.stderr
