import json

import pytest

from fuzzer.cli import main
from fuzzer.minimize import Target, reduce
from fuzzer.report.blame import Blame
from fuzzer.report.writer import file_bug
from tests.unit.test_minimize import failing_case


@pytest.fixture
def filed(faulty, tmp_path):
    g, seed, inputs, verdict = failing_case()
    target = Target.of(verdict)
    red = reduce(g, target, seed, inputs)
    bug = file_bug(tmp_path, red, target, Blame("signflip", "exporter", "injected", []), {"seed": seed})
    assert bug.new, bug.reason
    return tmp_path, bug.bug_id


def test_list_show_export_verify(filed, capsys):
    bugs_dir, bug_id = filed
    assert main(["bugs", "list", "--bugs-dir", str(bugs_dir), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == [bug_id] and rows[0]["system"] == "signflip" and rows[0]["ops"] == 1
    assert main(["bugs", "show", bug_id, "--bugs-dir", str(bugs_dir)]) == 0
    assert "## Minimal torch model" in capsys.readouterr().out
    assert main(["bugs", "export", bug_id, "--bugs-dir", str(bugs_dir)]) == 0
    exported = capsys.readouterr().out
    assert exported.startswith("**Title:**") and "```python" in exported
    for section in ("### Describe the bug", "### To reproduce", "### Expected behavior and what happens", "### Environment"):
        assert section in exported, section
    assert main(["bugs", "verify", "--bugs-dir", str(bugs_dir)]) == 1  # still reproduces
    assert "reproduces" in capsys.readouterr().out


def test_verify_says_fixed_when_the_repro_passes(filed, capsys):
    bugs_dir, bug_id = filed
    repro = bugs_dir / bug_id / "repro.py"
    repro.write_text(repro.read_text().replace("return flip_first_tanh(buf.getvalue())", "return buf.getvalue()"))
    assert main(["bugs", "verify", bug_id, "--bugs-dir", str(bugs_dir), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "fixed"
    case = json.loads((bugs_dir / bug_id / "case.json").read_text())
    assert case["bug"]["status"] == "fixed"


def test_unknown_bug_is_a_usage_error(tmp_path, capsys):
    assert main(["bugs", "show", "nope", "--bugs-dir", str(tmp_path)]) == 2
    assert "no bug 'nope'" in capsys.readouterr().err


def _folder(bugs_dir, bug_id, **bug):
    d = bugs_dir / bug_id
    d.mkdir(parents=True)
    record = {"id": bug_id, "title": f"title of {bug_id}", "kind": "value_mismatch", "role": "runtime", "hits": 1,
              "status": "reproduces", "minimized": {"ops": 1}, **bug}
    (d / "case.json").write_text(json.dumps({"bug": record}))


def test_list_filters_by_system_hides_deprecated_and_retired_and_shows_upstream(tmp_path, capsys):
    _folder(tmp_path, "ort-1", system="onnxruntime-noopt", upstream=["microsoft/onnxruntime#11836"])
    _folder(tmp_path, "ts-1", system="torchscript", role="exporter")
    _folder(tmp_path, "ts-2", system="torchscript", role="exporter", duplicate_of="ts-1")
    _folder(tmp_path, "tract-1", system="tract", withdrawn="a kernel gap")

    def ids(*argv):
        assert main(["bugs", "list", "--bugs-dir", str(tmp_path), "--json", *argv]) == 0
        return [r["id"] for r in json.loads(capsys.readouterr().out)]

    assert ids() == ["ort-1", "ts-1"], "withdrawn and duplicate folders are hidden"
    assert ids("--all") == ["ort-1", "tract-1", "ts-1", "ts-2"]
    assert ids("--system", "torchscript") == ["ts-1"]
    assert ids("--system", "ONNX Runtime") == ["ort-1"], "a system's own name finds it too"
    assert ids("--no-deprecated") == ["ort-1"], "the TorchScript exporter is deprecated"
    assert main(["bugs", "list", "--bugs-dir", str(tmp_path)]) == 0
    assert "[upstream: microsoft/onnxruntime#11836]" in capsys.readouterr().out


def test_regenerate_takes_the_failure_from_a_run_of_the_final_case(filed):
    # a folder reduced again used to keep the message and numbers of its larger graph
    from fuzzer.report.regenerate import refresh_failure

    bugs_dir, bug_id = filed
    d = bugs_dir / bug_id
    case = json.loads((d / "case.json").read_text())
    true_error, true_stats = case["bug"]["error"], case["bug"]["stats"]
    assert true_stats, "a value mismatch has numbers"
    case["bug"]["error"], case["bug"]["stats"] = "output 0: shape [], expected [1, 1]", {"worst_expected": -0.667}
    assert refresh_failure(d, case) == "failure refreshed from a new run"
    assert case["bug"]["error"] == true_error and case["bug"]["stats"] == true_stats
