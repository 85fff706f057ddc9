"""A new failure near a filed bug (the same exporter function or rewrite rule with another
symptom; tract's shape analysis of one op as a refusal and as a wrong shape) is held as a likely
repeat of it: counted in likely-repeats.json, no folder written (fuzzer.report.likely)."""
from __future__ import annotations

import json

import pytest

from fuzzer.report.likely import FILE_LIKELY_ENV, LIKELY, count_likely, likely_repeat, near_keys
from tests.unit.test_root_cause import twoflip  # noqa: F401 (a fixture)


def _bug(system="torchscript", role="exporter", kind="export_crash", fault_system="torchscript:symbolic", rules=(),
         core=(), **more) -> dict:
    return {"system": system, "role": role, "kind": kind, "error": "boom",
            "rule_at_fault": {"system": fault_system, "rules": list(rules), "core": [list(c) for c in core]}, **more}


def _folder(bugs, name, bug):
    d = bugs / name
    d.mkdir(parents=True)
    (d / "case.json").write_text(json.dumps({"bug": bug}))
    return d


def test_an_exporter_function_is_near_itself_whatever_the_symptom_but_not_another_function():
    crash = _bug(kind="export_crash", rules=["aten::movedim"])
    broken = _bug(kind="invalid_model", rules=["aten::movedim"])
    assert near_keys(crash, as_filed=True) & near_keys(broken, as_filed=False)
    assert not near_keys(_bug(rules=["aten::permute"]), False) & near_keys(crash, True)
    # the first failing cut's call counts too: the localizer named a reader of take's output
    reader = _bug(kind="invalid_model", rules=["aten::sub"], core=[("opinfo.take", {}, ["float", "int/0-d"])])
    assert near_keys(reader, False) & near_keys(_bug(rules=["aten::take"]), True)
    # one TorchScript helper is all of index_fill's and index_copy's symbolic
    assert near_keys(_bug(rules=["aten::index_fill"]), False) & near_keys(_bug(rules=["aten::index_copy"]), True)
    # another family's function of the same name is not near
    assert not near_keys(_bug(system="dynamo", fault_system="dynamo:torchlib", rules=["aten_movedim"]), False) & \
        near_keys(crash, True)


def test_whole_subsystems_and_broad_rules_are_near_nothing():
    assert near_keys(_bug(system="dynamo", fault_system="dynamo:component", rules=["torch's decompositions"]), False) == set()
    assert near_keys(_bug(fault_system="torchscript:passes", rules=["_jit_pass_onnx_scalar_type_analysis"]), False) == set()
    folding = _bug(system="onnxslim", role="transformer", kind="convert_crash", fault_system="onnxslim:rules",
                   rules=["constant_folding"])
    assert near_keys(folding, False) == set()
    # a runtime's kernel holds many defects: two of onnx.reference's MaxPool are not near
    kernel = _bug(system="onnx-reference", role="runtime", kind="run_crash", fault_system="onnx-reference:ops",
                  rules=["MaxPool(float32)"])
    assert near_keys(kernel, False) == set()


def test_a_rewrite_rule_is_near_itself_whatever_the_symptom():
    wrong = _bug(system="onnxoptimizer", role="transformer", kind="value_mismatch", fault_system="onnxoptimizer:passes",
                 rules=["fuse_pad_into_pool"])
    refused = dict(wrong, kind="load_crash")
    assert near_keys(wrong, False) & near_keys(refused, True)
    # ONNX Runtime's graph transformers, at any level, as a runtime's or as an offline optimizer's
    ort = _bug(system="onnxruntime", role="runtime", kind="run_crash", fault_system="onnxruntime:transformers@all",
               rules=["FastGeluFusion"])
    offline = _bug(system="ort-offline-extended", role="transformer", kind="convert_crash",
                   fault_system="onnxruntime:transformers@extended", rules=["FastGeluFusion"])
    assert near_keys(ort, False) & near_keys(offline, True)


def test_tracts_shape_analysis_is_near_across_its_two_faces_only():
    def tract(kind, op="Einsum(float32)"):
        return _bug(system="tract", role="runtime", kind=kind, fault_system="tract:ops", rules=[op])

    assert near_keys(tract("load_crash"), False) & near_keys(tract("shape_mismatch"), True)
    assert near_keys(tract("shape_mismatch"), False) & near_keys(tract("load_crash"), True)
    # two refusals of one kernel in other words are often two defects (tract's DFT has three)
    assert not near_keys(tract("load_crash", "DFT(float32)"), False) & near_keys(tract("load_crash", "DFT(float32)"), True)
    assert not near_keys(tract("load_crash", "MatMul(float32)"), False) & near_keys(tract("shape_mismatch"), True)
    assert near_keys(tract("value_mismatch"), False) == set()


def test_a_reviewers_duplicate_record_makes_the_bug_it_points_at_near(tmp_path):
    bugs = tmp_path / "bugs"
    live = _folder(bugs, "ts-run-crash-ac8d02", _bug(kind="refused", rules=["aten::something_else"]))
    _folder(bugs, "ts-load-crash-7f3f44", _bug(kind="load_crash", rules=["aten::index_copy"], duplicate_of=live.name))
    _folder(bugs, "ts-withdrawn-1", _bug(rules=["aten::tanh"], withdrawn="not a bug"))
    new = _bug(kind="invalid_model", rules=["aten::index_copy"])
    assert likely_repeat(new, [bugs], tmp_path / "new")[0] == live
    assert likely_repeat(_bug(rules=["aten::tanh"]), [bugs], tmp_path / "new") is None, "a withdrawn record is near nothing"
    # a duplicate record whose bug is gone is near nothing either
    _folder(bugs, "ts-x", _bug(rules=["aten::roll"], duplicate_of="gone"))
    assert likely_repeat(_bug(rules=["aten::roll"]), [bugs], tmp_path / "new") is None


def test_held_failures_are_counted_once_per_case_with_their_first_examples(tmp_path):
    near = tmp_path / "reviewed" / "ts-export-crash-1"
    bug = _bug(kind="invalid_model", rules=["aten::movedim"], error="InferenceError: perm\nmore", system="torchscript")
    for case in (1, 2, 2, 3):
        entry = count_likely(tmp_path / "campaign", near, "the same torchscript function, movedim", bug,
                             {"workdir": "/w", "case_id": case})
    assert entry["held"] == 3 and [e["case_id"] for e in entry["examples"]] == [1, 2, 3]
    assert entry["examples"][0]["error"] == "InferenceError: perm" and entry["examples"][0]["rules"] == ["aten::movedim"]
    assert json.loads((tmp_path / "campaign" / LIKELY).read_text())[str(near.resolve())]["id"] == "ts-export-crash-1"


@pytest.fixture
def faulted(monkeypatch):
    """The twoflip exporter's failures, localized to one function whatever graph showed them."""
    from fuzzer.report import writer

    monkeypatch.setenv(writer.KNOWN_BUGS_ENV, "")
    fault = {"system": "twoflip:symbolic", "rules": ["aten::flip"], "candidates": [], "note": "injected", "core": []}
    monkeypatch.setattr(writer, "rule_at_fault_of", lambda folder: dict(fault))


def test_filing_holds_a_new_key_at_a_filed_function_and_writes_it_when_asked(twoflip, faulted, tmp_path, monkeypatch):
    from tests.unit.test_root_cause import _chain, _file, _live

    monkeypatch.delenv(FILE_LIKELY_ENV, raising=False)
    first = _file(tmp_path, _chain("tanh"))
    assert first.new, first.reason
    # the Sigmoid defect has a key of its own; its function is the Tanh one's: held, not written
    held = _file(tmp_path, _chain("sigmoid"), case_id=2)
    assert held.held and not held.new and held.path == first.path, held.reason
    assert "held as a likely repeat of " + first.bug_id in held.reason
    assert _live(tmp_path) == sorted([first.bug_id, LIKELY])
    entry = json.loads((tmp_path / LIKELY).read_text())[str(first.path.resolve())]
    assert entry["held"] == 1 and entry["examples"][0]["case_id"] == 2
    assert json.loads((first.path / "case.json").read_text())["bug"]["hits"] == 1, "a likely repeat is no hit"

    from fuzzer.report.triage import TriageOutcome

    assert TriageOutcome("sig", held, held.reason).status == "held"
    # asked to write likely repeats: the Sigmoid defect gets its folder
    monkeypatch.setenv(FILE_LIKELY_ENV, "1")
    written = _file(tmp_path, _chain("sigmoid"), case_id=3)
    assert written.new and not written.held and written.bug_id != first.bug_id, written.reason


def test_file_likely_repeats_needs_file_bugs(capsys):
    from fuzzer.cli import main

    assert main(["run", "--minutes", "0.01", "--file-likely-repeats"]) == 2
    assert "--file-likely-repeats needs --file-bugs" in capsys.readouterr().err
