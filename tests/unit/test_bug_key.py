"""One converter bug is one bug, whichever runtime's words it was seen in.

A model an exporter got wrong fails to run on onnxruntime and on the ONNX
reference evaluator with different error texts. The bug key must not depend on
that wording when blame puts the fault on the exporter; a runtime's own bug
keeps its error in the key, and bugs filed under an older key are still found.
"""
from __future__ import annotations

import inspect
import io
import json

import numpy as np
import pytest

from fuzzer.case import CaseSpec, run_case
from fuzzer.convert.plugins.torchscript import TorchScriptExporter
from fuzzer.generate import GenConfig
from fuzzer.ir import DType, Graph, TensorType
from fuzzer.minimize import Target, reduce
from fuzzer.plugin import ENV_VAR
from oracles import Kind

F32 = DType.float32


def declare_first_input_double(serialized: bytes) -> bytes:
    """The model with its first input declared double and cast back where it is read: a valid
    model that no caller feeding the graph's own float32 inputs can run."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load_model_from_string(serialized)
    x = model.graph.input[0]
    elem = x.type.tensor_type.elem_type
    x.type.tensor_type.elem_type = TensorProto.DOUBLE
    for node in model.graph.node:
        node.input[:] = [x.name + "__cast" if i == x.name else i for i in node.input]
    model.graph.node.insert(0, helper.make_node("Cast", [x.name], [x.name + "__cast"], to=elem))
    return model.SerializeToString()


class DoubleDeclExporter(TorchScriptExporter):
    """TorchScript, then the first input declared double (see declare_first_input_double)."""

    name = "doubledecl"

    def export(self, request):
        return declare_first_input_double(super().export(request))

    def repro_source(self):
        # the repro must show the same fault, so it carries it with it
        return inspect.getsource(declare_first_input_double) + super().repro_source().replace(
            "    return buf.getvalue()", "    return declare_first_input_double(buf.getvalue())")


@pytest.fixture
def doubledecl(monkeypatch):
    monkeypatch.setenv(ENV_VAR, f"converter:doubledecl={__name__}:DoubleDeclExporter")


def _graph() -> Graph:
    from fuzzer.ops import get_spec

    g = Graph()
    x = g.add_input(TensorType(F32, (3, 4)))
    h = g.add_node("tanh", [x], {}, get_spec("tanh").infer([x.type], {})).outputs[0]
    g.outputs = [g.add_node("relu", [h], {}, get_spec("relu").infer([h.type], {})).outputs[0]]
    return g


def _file(bugs_dir, r, verdict):
    from fuzzer.report.blame import blame
    from fuzzer.report.writer import file_bug

    target = Target.of(verdict)
    red = reduce(Graph.loads(r.graph_json), target, r.seed, dict(np.load(io.BytesIO(r.inputs_npz))))
    who = blame(red.graph, target, r.seed, red.result.inputs_npz, ["torchscript"], ["onnxruntime", "onnx-reference"])
    return red, who, file_bug(bugs_dir, red, target, who, {"seed": r.seed})


def test_an_exporter_fault_worded_differently_by_two_runtimes_is_filed_once(doubledecl, tmp_path):
    from fuzzer.report.rootcause import graph_sink_ops, root_key

    r = run_case(CaseSpec(case_id=1, seed=3, config=GenConfig(), exporters=["doubledecl"],
                          runtimes=["onnxruntime", "onnx-reference"], graph_json=_graph().dumps(), opset=17))
    ort, ref = sorted(r.failures, key=lambda v: v.runtime != "onnxruntime")
    assert (ort.runtime, ref.runtime) == ("onnxruntime", "onnx-reference")
    assert ort.kind is ref.kind is Kind.RUN_CRASH and ort.signature != ref.signature, "two wordings, two signatures"

    red, who, first = _file(tmp_path, r, ort)
    assert (who.system, who.role) == ("doubledecl", "exporter"), who.reason
    assert first.new, first.reason
    _, who2, second = _file(tmp_path, r, ref)
    assert who2.system == "doubledecl"
    assert (second.bug_id, second.new, second.reason) == (first.bug_id, False, "duplicate")
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == [first.bug_id]
    meta = json.loads((first.path / "case.json").read_text())["bug"]
    assert meta["hits"] == 2 and "Unexpected input data type" in meta["error"], "the runtime's words stay in the report"

    # a runtime's own bug keeps its error in the key: two wordings there are two bugs
    ops = graph_sink_ops(red.graph)
    as_runtime = {root_key("onnxruntime", "runtime", "run_crash", "run", v.error, v.runtime, ops, False) for v in (ort, ref)}
    assert len(as_runtime) == 2


def test_a_bug_filed_under_the_older_key_is_found_and_keeps_its_folder(doubledecl, tmp_path):
    import hashlib
    import shutil

    from oracles import normalize_error

    r = run_case(CaseSpec(case_id=1, seed=3, config=GenConfig(), exporters=["doubledecl"],
                          runtimes=["onnxruntime", "onnx-reference"], graph_json=_graph().dumps(), opset=17))
    ort = next(v for v in r.failures if v.runtime == "onnxruntime")
    red, _, first = _file(tmp_path, r, ort)
    # as the writer filed it before: the runtime's normalized error was part of the key and id
    meta = json.loads((first.path / "case.json").read_text())
    old_key = hashlib.sha1("|".join(["doubledecl", "run_crash", "run", normalize_error(ort.kind, ort.error),
                                     ",".join(sorted(set(red.graph.op_types())))]).encode()).hexdigest()[:10]
    old_id = f"doubledecl-run-crash-{old_key[:6]}"
    assert old_id != first.bug_id
    meta["bug"]["id"], meta["bug"]["key"] = old_id, old_key
    shutil.move(first.path, tmp_path / old_id)
    (tmp_path / old_id / "case.json").write_text(json.dumps(meta))

    ref = next(v for v in r.failures if v.runtime == "onnx-reference")
    _, _, again = _file(tmp_path, r, ref)
    assert (again.bug_id, again.new) == (old_id, False), again.reason
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [old_id]
    assert json.loads((tmp_path / old_id / "case.json").read_text())["bug"]["hits"] == 2


def test_every_filed_bug_has_a_key_by_todays_rules_and_is_found_by_it():
    """Every folder in bugs/, whichever filer wrote it and under whichever key, has a root-cause
    key by today's rules, and filing that key again finds a folder of that root cause (itself, or
    another folder of the same key: a possible duplicate) instead of writing a new one."""
    from pathlib import Path

    from fuzzer.report.writer import _filed_key, existing_bug

    bugs = Path(__file__).parents[2] / "bugs"
    folders = sorted(p.parent for p in bugs.glob("*/case.json"))
    if not folders:
        pytest.skip("no filed bugs in this checkout")
    for d in folders:
        key = _filed_key(json.loads((d / "case.json").read_text()), d)
        assert key is not None, d.name
        found = existing_bug(bugs, "no-such-id", key)
        assert found is not None and _filed_key(json.loads((found / "case.json").read_text()), found) == key, d.name


def test_no_two_live_folders_share_a_root_cause_key():
    """Every live folder of bugs/ was judged its own root cause by a review: a key rule that
    merges two of them folds distinct defects into one folder (too coarse)."""
    from collections import defaultdict
    from pathlib import Path

    from fuzzer.report.rootcause import rule_keys
    from fuzzer.report.writer import _filed_key

    bugs = Path(__file__).parents[2] / "bugs"
    owners = defaultdict(list)
    for case_json in sorted(bugs.glob("*/case.json")):
        bug = json.loads(case_json.read_text())["bug"]
        if bug.get("withdrawn") or bug.get("duplicate_of"):
            continue
        owners[_filed_key(json.loads(case_json.read_text()), case_json.parent)].append(case_json.parent.name)
        for ruled in rule_keys(bug.get("system", ""), bug.get("role", ""), bug.get("kind", ""), bug.get("rule_at_fault"),
                               bug.get("error") or "", bug.get("path") or ""):
            owners[ruled].append(case_json.parent.name)
    if not owners:
        pytest.skip("no filed bugs in this checkout")
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}


def test_a_folder_named_by_an_older_key_is_neither_counted_nor_overwritten_for_another_bug(tmp_path):
    """Review 10: onnx.reference's Optional-wrapping folder was named by its first key (the
    ReduceProd it broke); today it is keyed by the Optional, and a new ReduceLogSumExp defect got
    that old key and so the folder's very name. It must be filed under a name of its own, and the
    live folder must stay as it is."""
    import shutil
    from pathlib import Path

    from fuzzer.report.writer import _filed_key, existing_bug, free_bug_id

    live = Path(__file__).parents[2] / "bugs" / "onnx-reference-run-crash-85c2f1"
    if not live.exists():
        pytest.skip("the folder is not in this checkout")
    shutil.copytree(live, tmp_path / live.name)
    today = _filed_key(json.loads((live / "case.json").read_text()), live)
    other = "85c2f18502"
    assert today != other
    assert existing_bug(tmp_path, live.name, other) is None
    fresh = free_bug_id([tmp_path], live.name, other)
    assert fresh != live.name and fresh.endswith(other)
    # the live folder's own root cause still finds it by name, and keeps its name
    assert existing_bug(tmp_path, live.name, today) == tmp_path / live.name
    assert free_bug_id([tmp_path], live.name, today) == live.name


def test_a_crash_of_onnxoptimizer_inside_onnxsim_is_filed_against_onnxoptimizer_in_its_own_words(tmp_path, monkeypatch):
    """Reviews 23 and 24: onnxsim runs onnxoptimizer's fuse_consecutive_log_softmax, which asserts on
    Softmax's default axis. Blame names onnxoptimizer's fuse_* plugin, and the folder carries what
    that plugin says (its wheel names the assertion's file twice), so its repro reproduces; against
    the reviewed bugs/, it is a hit on the live folder of that pass."""
    from fuzzer.ops import get_spec
    from fuzzer.report.writer import KNOWN_BUGS_ENV

    g = Graph()
    x = g.add_input(TensorType(F32, (1,)))
    attrs = {"axis": -1, "spell_axis": False}
    g.outputs = [g.add_node("motif_opt_log_softmax", [x], attrs, get_spec("motif_opt_log_softmax").infer([x.type], attrs)).outputs[0]]
    r = run_case(CaseSpec(case_id=1, seed=5, config=GenConfig(), exporters=["onnx-direct"], transformers=["onnxsim"],
                          runtimes=["onnxruntime", "onnx-reference"], graph_json=g.dumps(), opset=21))
    (crash,) = [v for v in r.failures if v.kind is Kind.CONVERT_CRASH]
    assert crash.path == "onnx-direct@21>onnxsim"
    _, _, known = _file(tmp_path / "against-bugs", r, crash)
    assert known.bug_id == "onnxoptimizer-fuse-convert-crash-ee257b" and not known.new, known.reason
    monkeypatch.setenv(KNOWN_BUGS_ENV, "")
    _, who, filed = _file(tmp_path / "alone", r, crash)
    assert (who.system, who.role) == ("onnxoptimizer-fuse", "transformer"), who.reason
    assert "required undefined attribute 'axis'" in who.said and who.said != crash.error
    assert filed.new, filed.reason
    meta = json.loads((filed.path / "case.json").read_text())["bug"]
    assert meta["system"] == "onnxoptimizer-fuse" and meta["error"] == who.said[:4000]


def test_a_runtime_folder_keeps_the_key_of_the_model_it_was_filed_with_after_its_model_is_reduced(tmp_path):
    """The key reads which ops the runtime's model had (a crash on a model lacking the graph's op
    is keyed by the model's own sink), and model.onnx is reduced after filing. A folder keeps those
    ops (given_ops) and its key with them: review 26's check campaign filed a repeat of 0eaf1f,
    whose key (filed before given_ops were kept) today reads its reduced model, which lost the
    ReduceMax the new filing's model still had."""
    import shutil
    from pathlib import Path

    from fuzzer.ir import Graph
    from fuzzer.report.rootcause import graph_sink_ops
    from fuzzer.report.writer import _filed_key

    src = Path(__file__).parents[2] / "bugs" / "openvino-load-crash-0eaf1f"
    if not src.exists():
        pytest.skip("the folder is not in this checkout")
    d = Path(shutil.copytree(src, tmp_path / src.name))
    case = json.loads((d / "case.json").read_text())
    reduced = _filed_key(case, d, parts=True)
    sink = graph_sink_ops(Graph.from_json(case["graph"]), "runtime")
    assert sink == ["ReduceMin"] and reduced[-1] == "Cast"  # the reduced model lacks it: the model's own sink
    case["bug"]["given_ops"] = sorted({*sink, "Cast", "Split"})  # as filed, the model had it
    assert _filed_key(case, d, parts=True)[-1].startswith("Reduce")


def test_filing_reads_the_op_types_of_the_model_a_runtime_was_given_once_for_its_key_and_its_record():
    """given_facts gives what bug_key reads and file_bug keeps (given_ops): the same op types, from
    the model as the runtime got it."""
    from types import SimpleNamespace

    from onnx import TensorProto, helper

    from fuzzer.report.writer import given_facts

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.BOOL, [2])
    graph = helper.make_graph([helper.make_node("ReduceMax", ["x"], ["m"], keepdims=0),
                               helper.make_node("Cast", ["x"], ["y"], to=TensorProto.BOOL)], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()
    red = SimpleNamespace(result=SimpleNamespace(models={"onnx-direct@18": model}),
                          verdict=SimpleNamespace(path="onnx-direct@18"))
    sinks, _, ops = given_facts(red, SimpleNamespace(role="runtime"))
    assert ops == ["Cast", "ReduceMax"] and sinks == ["Cast"]
    assert given_facts(SimpleNamespace(result=None, verdict=red.verdict), SimpleNamespace(role="runtime")) == (None, [], None)
