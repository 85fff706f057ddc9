"""The regression corpus (fuzzer.campaign.corpus): exported from a workdir's corpus by greedy rule
cover, replayed with every sampled recording forced."""
import json

import pytest

from fuzzer.campaign.corpus import export_corpus, replay
from fuzzer.case import CaseResult
from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, generate
from fuzzer.store import Store

RELU = GenConfig(min_nodes=1, max_nodes=1, ops=("relu",), dtypes=frozenset({"float32"}))


def _workdir(tmp_path):
    store = Store.open(tmp_path / "w")
    session = store.begin_session(0, 1, {})
    graph = generate(NumpyChoices(3), RELU).dumps()
    cases = [
        (1, {"torchscript:symbolic": ["aten::relu"]}),
        (2, {"torchscript:symbolic": ["aten::gone"]}),  # a rule this onnxfuzz no longer hits
        (3, {"torchscript:symbolic": ["aten::relu"]}),  # adds none: never picked
    ]
    for cid, hits in cases:
        store.record(CaseResult(cid, 10 + cid, "judged", rule_hits=hits, notes={"corpus_graph": graph}),
                     session, ["torchscript"])
    return store


def test_export_covers_the_most_rules_first_and_writes_replayable_entries(tmp_path):
    store = _workdir(tmp_path)
    written = export_corpus(store, tmp_path / "corpus", limit=5)
    assert [p.name for p in written] == ["case-1.json", "case-2.json"]
    first = json.loads(written[0].read_text())
    assert first["exporters"] == ["torchscript"] and first["seed"] == 11
    assert first["runtimes"] == ["onnxruntime-noopt", "onnx-reference"]
    assert len(export_corpus(store, tmp_path / "one", limit=1)) == 1


def test_replay_reports_the_rules_an_entry_no_longer_hits(tmp_path):
    pytest.importorskip("torch")
    store = _workdir(tmp_path)
    first, second = export_corpus(store, tmp_path / "corpus")
    result, missing = replay(first)
    assert result.status == "judged" and missing == []
    _, missing = replay(second)
    assert missing == [["torchscript:symbolic", "aten::gone"]]


def test_export_corpus_from_the_cli(tmp_path, capsys):
    from fuzzer.cli import main

    _workdir(tmp_path).close()
    assert main(["coverage", "--workdir", str(tmp_path / "w"), "--export-corpus", str(tmp_path / "c")]) == 0
    assert "2 corpus cases written" in capsys.readouterr().out
    assert main(["coverage", "--workdir", str(tmp_path / "w"), "--export-corpus", str(tmp_path / "c"),
                 "--limit", "0"]) == 2


def test_an_entry_replays_on_the_runtimes_its_rules_need():
    from fuzzer.campaign.corpus import _runtimes_for
    from fuzzer.plugin import select

    available = {p.name for p in select("runtime", None)}
    wanted = _runtimes_for([["onnxruntime:transformers@extended", "ConstantFolding"], ["tract:ops", "Relu-14:float32"]])
    assert wanted[:2] == ["onnxruntime-noopt", "onnx-reference"]
    assert ("onnxruntime-extended" in wanted) == ("onnxruntime-extended" in available)
    assert ("tract" in wanted) == ("tract" in available)
