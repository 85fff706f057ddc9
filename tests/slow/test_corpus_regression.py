"""The regression corpus (corpus/): every case still runs, and still hits the rules it was kept for.

corpus/ holds a few cases that together first hit the rules of the systems under test a guided
campaign reached (`onnxfuzz coverage --workdir W --export-corpus corpus/`). A case that no
longer hits one of its rules means a generator, lowering or plugin change lost that reach (or
a system under test changed its rules: then re-export the corpus from a fresh campaign).
"""
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
ENTRIES = sorted(CORPUS.glob("case-*.json"))


def test_the_corpus_is_there():
    assert len(ENTRIES) >= 10, f"corpus/ holds {len(ENTRIES)} cases"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda p: p.stem)
def test_a_corpus_case_runs_and_hits_its_rules(entry):
    from fuzzer.campaign.corpus import replay
    from fuzzer.plugin import select

    import json

    needs = json.loads(entry.read_text())
    available = {p.name for p in select("converter", None)} | {p.name for p in select("runtime", None)}
    missing_plugins = [n for n in needs["exporters"] + needs["transformers"] if n not in available]
    if missing_plugins:
        pytest.skip(f"needs {missing_plugins} (an optional extra)")
    result, lost = replay(entry)
    assert result.status in ("judged", "unstable", "discarded"), result.error
    assert lost == [], f"{entry.name} no longer hits {lost}"
