"""Dynamic-shape failures through the minimizer, blame and the filed repro.

A failure that shows only at another size than the base one, or only in a model
exported with dynamic dims, must keep its dynamic plan through minimization and
blame, and its repro must export the same dims dynamic and run every size.
"""
from __future__ import annotations

import io
import json

import numpy as np
import pytest

from fuzzer.case import CaseSpec, run_case
from fuzzer.generate import GenConfig
from fuzzer.ir import DType, Graph, TensorType
from fuzzer.minimize import Target, reduce
from fuzzer.minimize.reducer import fit_plan
from fuzzer.ops import get_spec
from fuzzer.plugin import ENV_VAR
from oracles import Kind
from tests.plugins.faulty import PLUGINS as FAULTY
from tests.plugins.faulty_dynamic import FirstSizeOnlyRuntime

F32 = DType.float32


class FirstSizeRepro(FirstSizeOnlyRuntime):
    """FirstSizeOnlyRuntime whose repro snippet carries the same fault, as a real runtime's
    repro carries its real bug: right at the first shapes it runs, wrong at any other."""

    name = "firstsize-repro"

    def repro_source(self) -> str:
        return '''
_FIRST_SHAPES = []


def run_model(model_bytes, feeds):
    import numpy as np
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    outputs = session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})
    shapes = {k: np.shape(v) for k, v in feeds.items()}
    if not _FIRST_SHAPES:
        _FIRST_SHAPES.append(shapes)
    if shapes == _FIRST_SHAPES[0]:
        return outputs
    return [-o - 1 if np.issubdtype(o.dtype, np.floating) else o for o in outputs]
'''


class FirstSizeAbort(FirstSizeOnlyRuntime):
    """A runtime that kills its process (SIGABRT) when run at shapes other than its first."""

    name = "firstsize-abort"

    def run(self, session, feeds):
        shapes = {k: np.shape(v) for k, v in feeds.items()}
        if session["first"] is None:
            session["first"] = shapes
        if shapes != session["first"]:
            import os

            os.abort()
        return super().run(session, feeds)

    def repro_source(self) -> str:
        return FirstSizeRepro().repro_source().replace(
            "    return [-o - 1", "    import os\n    os.abort()\n    return [-o - 1")


PLUGINS = f"runtime:firstsize-repro={__name__}:FirstSizeRepro,runtime:firstsize-abort={__name__}:FirstSizeAbort"


@pytest.fixture
def firstsize(monkeypatch):
    monkeypatch.setenv(ENV_VAR, f"{FAULTY},{PLUGINS}")


def _node(g: Graph, op: str, inputs, attrs=None):
    attrs = attrs or {}
    return g.add_node(op, inputs, attrs, get_spec(op).infer([v.type for v in inputs], attrs)).outputs[0]


def chain() -> Graph:
    """tanh(relu(x) * sigmoid(y)) + x, all (4, 3): three ops more than the fault needs."""
    g = Graph()
    x = g.add_input(TensorType(F32, (4, 3)))
    y = g.add_input(TensorType(F32, (4, 3)))
    h = _node(g, "mul", [_node(g, "relu", [x]), _node(g, "sigmoid", [y])])
    g.outputs = [_node(g, "add", [_node(g, "tanh", [h]), x])]
    return g


def batch_plan(g: Graph, base: int = 4, sizes=(3,)) -> dict:
    return {"dims": {v.name: {"0": "d0"} for v in g.inputs}, "base": {"d0": base}, "sizes": [{"d0": s} for s in sizes]}


def campaign_case(tmp_path, g: Graph, exporters, runtimes, plan: dict):
    """The case as a campaign runs and stores it: (its artifacts folder, its failing verdicts)."""
    from fuzzer.report.triage import CaseArtifacts
    from fuzzer.store import Store

    r = run_case(CaseSpec(case_id=7, seed=3, config=GenConfig(dynamic=True), exporters=exporters, runtimes=runtimes,
                          graph_json=g.dumps(), dynamic=plan, opset=17))
    store = Store.open(tmp_path / "work")
    try:
        store.record(r, 1, exporters)
    finally:
        store.close()
    case = CaseArtifacts.load(tmp_path / "work" / "artifacts" / "case-7")
    return case, [v for v in case.verdicts if v.kind.is_failure]


def test_fit_plan_follows_a_shrunk_dim_and_drops_a_dim_that_is_gone():
    g = chain()
    plan = batch_plan(g, base=4, sizes=(2, 3))
    assert fit_plan(g, plan) == plan, "nothing shrank: the plan as it was"
    small = Graph.loads(g.dumps())
    for v in small.inputs:
        small.set_output_types(v.producer(), [TensorType(F32, (2, 3))])
    # base 4 -> 2: the dim stays dynamic from 2, and the size equal to the new base goes
    assert fit_plan(small, plan) == {**plan, "base": {"d0": 2}, "sizes": [{"d0": 3}]}
    for v in small.inputs:
        small.set_output_types(v.producer(), [TensorType(F32, (1, 3))])
    # shrunk to 1: left at the old base, which replay then finds gone
    assert fit_plan(small, plan)["base"] == {"d0": 4}
    assert fit_plan(small, {**plan, "dims": {"gone": {"0": "d0"}}}) is None
    assert fit_plan(g, None) is None


def test_a_failure_only_at_another_size_is_minimized_filed_and_reproduced_dynamic(firstsize, tmp_path):
    from fuzzer.report.triage import triage_workdir
    from fuzzer.report.writer import run_repro

    g = chain()
    case, failing = campaign_case(tmp_path, g, ["torchscript"], ["onnxruntime", "firstsize-repro"], batch_plan(g))
    assert case.dynamic == batch_plan(g), "the stored case keeps its plan"
    [verdict] = failing
    assert verdict.runtime == "firstsize-repro" and verdict.stats["size"] == "x0[0]=3, x1[0]=3"
    # static, the same graph passes: a reducer that forgot the plan could not reproduce it
    static = run_case(CaseSpec(case_id=1, seed=3, config=GenConfig(), exporters=["torchscript"], runtimes=["firstsize-repro"],
                               graph_json=g.dumps(), opset=17))
    assert [v.kind for v in static.verdicts] == [Kind.PASS]

    # as `onnxfuzz run --file-bugs` does: every candidate on a supervised worker, which must
    # get the plan with each candidate too
    [out] = triage_workdir(tmp_path / "work", tmp_path / "bugs", ["torchscript"], ["onnxruntime"])
    assert out.signature == verdict.signature
    assert out.filed is not None and out.filed.new, out.note
    assert out.minimized_ops == 1 < out.original_ops == 5
    assert out.extra["dynamic"] is not None and not out.extra["static_too"]
    d = out.filed.path
    meta = json.loads((d / "case.json").read_text())["bug"]
    dyn = meta["dynamic"]
    assert meta["system"] == "firstsize-repro" and meta["role"] == "runtime"
    assert set(dyn["dims"]) <= {"x0", "x1"} and all(axes == {"0": "d0"} for axes in dyn["dims"].values())
    assert dyn["failing_size"] and dyn["failing_size"] in dyn["sizes"] and dyn["base"] not in dyn["sizes"]
    report = (d / "report.md").read_text()
    assert "| dynamic dims |" in report and f"| failing size | {dyn['failing_size']} |" in report
    # every witness ran at every size: the onnxruntime witness passes at all of them
    assert ["torchscript@17", "onnxruntime", "pass"] in meta["witnesses"] or ("torchscript@17", "onnxruntime", "pass") in meta["witnesses"]

    script = (d / "repro.py").read_text()
    assert "import fuzzer" not in script and "from fuzzer" not in script and "oracles" not in script
    saved = np.load(d / "inputs.npz")
    assert {k.split("@")[1] for k in saved.files if "@" in k} == {"0"}, "the other size's inputs travel with the repro"
    code, output = run_repro(d)
    assert code == 1, output
    assert f"fails at size {dyn['failing_size']}" in output
    assert "outputs as expected at size " + dyn["base"] in output, "the base size passes"


def test_a_failure_that_holds_static_is_filed_static(faulty, tmp_path):
    from fuzzer.report.blame import blame
    from fuzzer.report.writer import file_bug, run_repro

    # signflip negates every model's first Tanh: wrong at every size, dynamic or not
    g = chain()
    plan = batch_plan(g)
    r = run_case(CaseSpec(case_id=1, seed=3, config=GenConfig(), exporters=["signflip"], runtimes=["onnxruntime"],
                          graph_json=g.dumps(), dynamic=plan, opset=17))
    assert r.dynamic == plan
    [verdict] = r.failures
    assert "size" not in verdict.stats, "it fails at the base size already"
    target = Target.of(verdict, r.dynamic)
    red = reduce(g, target, 3, dict(np.load(io.BytesIO(r.inputs_npz))))
    assert red.static_too and red.dynamic is None and red.result.dynamic is None
    # static by the last pass, or earlier by a shrink that left no dim to vary
    assert red.per_pass.get("drop_dynamic", [0, 0])[1] == 1 or red.per_pass["shrink_shapes"][1] >= 1
    assert red.graph.op_types() == ["tanh"]
    who = blame(red.graph, target.with_plan(red.dynamic), 3, red.result.inputs_npz, ["torchscript"], ["onnxruntime"])
    assert who.system == "signflip", who.reason
    filed = file_bug(tmp_path, red, target, who, {"seed": 3})
    assert filed.new, filed.reason
    meta = json.loads((filed.path / "case.json").read_text())["bug"]
    assert meta["dynamic"] is None and meta["static_too"]
    assert "fails exported static too" in (filed.path / "report.md").read_text()
    script = (filed.path / "repro.py").read_text()
    assert "dynamic=DYNAMIC" not in script and "RUNS" not in script, "exported static, run once"
    assert run_repro(filed.path)[0] == 1


def test_bugs_list_names_the_failing_size_of_a_dynamic_bug(tmp_path, capsys):
    from fuzzer.cli import main

    d = tmp_path / "b1"
    d.mkdir()
    bug = {"id": "b1", "title": "t", "kind": "value_mismatch", "system": "s", "role": "runtime", "hits": 1,
           "status": "reproduces", "minimized": {"ops": 1}, "dynamic": {"failing_size": "x0[0]=3"}}
    (d / "case.json").write_text(json.dumps({"bug": bug}))
    assert main(["bugs", "list", "--bugs-dir", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["dynamic"] == "x0[0]=3"


def test_report_of_a_shape_mismatch_at_another_size_names_the_size_and_no_error_statistics():
    from fuzzer.report.writer import report_markdown

    g = chain()
    dyn = {"dims": {"x0": {"0": "d0"}}, "base": "x0[0]=4", "sizes": ["x0[0]=3"], "failing_size": "x0[0]=3"}
    meta = {"title": "t", "kind": "shape_mismatch", "stage": "judge", "system": "dynamo", "role": "exporter",
            "blame_reason": "r", "path": "dynamo@18", "runtime": "onnxruntime", "versions": {}, "hits": 1,
            "minimized": {"original_ops": 5, "ops": 5, "candidates": 0, "seconds": 0}, "error": "output 0: shape [3], expected [4]",
            "stats": {"size": "x0[0]=3"}, "witnesses": [], "found": {}, "filed": "now", "dynamic": dyn}
    text = report_markdown(meta, g.summary(), "", "torch")
    assert "| failing size | x0[0]=3 |" in text and "`x0[0]` as `d0`" in text
    assert "max abs error" not in text, "a shape mismatch has no error statistics to show"

