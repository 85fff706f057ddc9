import json

import pytest

from fuzzer.cli import main


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--converters", "nope"], "unknown converter 'nope'"),
        (["run", "--runtimes", "nope"], "unknown runtime 'nope'"),
        (["run", "--workers", "0"], "must be at least 1"),
        (["run", "--minutes", "abc"], "is not a number"),
        (["run", "--opset", "5"], "supports opsets"),
        (["run", "--ops", "frobnicate"], "unknown op 'frobnicate'"),
        (["run", "--dtypes", "float7"], "float7"),
        (["run", "--workdir", "/proc/onnxfuzz-cannot-write-here"], "not writable"),
        (["run", "--scheduler", "local:0"], "expected local:N"),
        (["run", "--scheduler", "local:two"], "expected local:N"),
        (["run", "--scheduler", "local:2", "--workers", "2"], "with --scheduler every Dask worker thread runs one"),
        (["stats", "--workdir", "/nonexistent/onnxfuzz"], "no campaign database"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1


def test_corrupt_database_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "onnxfuzz.sqlite").write_bytes(b"this is not sqlite" * 100)
    assert main(["stats", "--workdir", str(tmp_path)]) == 2
    assert "not a usable onnxfuzz database" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert main(["run", "--help"]) == 0
    assert "campaign" in capsys.readouterr().out


def test_doctor_json(capsys):
    assert main(["doctor", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    names = {r["name"]: r for r in rows}
    assert names["torchscript"]["available"] and names["onnxruntime"]["available"]
    assert names["onnxruntime"]["versions"]["onnxruntime"]


def test_gen_prints_replayable_graphs(capsys):
    assert main(["gen", "--count", "2", "--seed", "5", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["total"] == 2 and [g["seed"] for g in report["graphs"]] == [5, 6]
    assert main(["gen", "--count", "1", "--seed", "6", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["graphs"][0]["graph"] == report["graphs"][1]["graph"]


def test_stats_on_a_fresh_store(tmp_path, capsys):
    from fuzzer.store import Store

    Store.open(tmp_path).close()
    assert main(["stats", "--workdir", str(tmp_path), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["tests"] == 0 and stats["distinct_signatures"] == 0
