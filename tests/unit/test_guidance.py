"""Coverage guidance (fuzzer.campaign.guidance): the corpus of cases that first hit a rule, its
mutation, and the ops linked to rules not yet hit."""
from fuzzer.campaign.guidance import Guide, linked_ops
from fuzzer.case import CaseResult, keep_for_corpus
from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, generate
from fuzzer.ir import Graph
from fuzzer.store import Store

RELU = GenConfig(min_nodes=2, max_nodes=3, ops=("relu", "neg", "add"), dtypes=frozenset({"float32"}))


def _graph(seed=1):
    return generate(NumpyChoices(seed), RELU)


def test_a_case_that_first_hits_a_rule_joins_the_corpus_and_no_later_one_for_it(tmp_path):
    store = Store.open(tmp_path)
    session = store.begin_session(0, 1, {})
    first = CaseResult(1, 0, "judged", rule_hits={"s": ["a"]}, notes={"corpus_graph": _graph(1).dumps()})
    again = CaseResult(2, 0, "judged", rule_hits={"s": ["a"]}, notes={"corpus_graph": _graph(2).dumps()})
    more = CaseResult(3, 0, "judged", rule_hits={"s": ["a", "b"], "t": ["x"]}, notes={"corpus_graph": _graph(3).dumps()})
    no_graph = CaseResult(4, 0, "judged", rule_hits={"s": ["c"]})  # its worker had seen c: no graph, no entry
    for r in (first, again, more, no_graph):
        store.record(r, session, ["torchscript"])
    corpus = store.corpus()
    assert [(e["case_id"], e["rules"]) for e in corpus] == [(1, [["s", "a"]]), (3, [["s", "b"], ["t", "x"]])]
    assert corpus[0]["graph"] == _graph(1).dumps() and corpus[0]["exporters"] == ["torchscript"]


def test_a_worker_keeps_the_graph_of_a_case_only_for_rules_new_to_it(monkeypatch):
    from fuzzer import coverage

    monkeypatch.setattr(coverage, "_SEEN", set())
    graph = _graph()
    hits = CaseResult(1, 0, "judged", rule_hits={"s": ["a"]})
    keep_for_corpus(hits, graph)
    assert Graph.loads(hits.notes["corpus_graph"]).dumps() == graph.dumps()
    again = CaseResult(2, 0, "judged", rule_hits={"s": ["a"]})
    keep_for_corpus(again, graph)
    assert "corpus_graph" not in again.notes
    failing = CaseResult(3, 0, "judged", rule_hits={"s": ["b"]}, graph_json=graph.dumps())
    keep_for_corpus(failing, graph)
    assert "corpus_graph" not in failing.notes  # it carries its graph anyway


def test_guided_cases_mutate_corpus_graphs_the_least_picked_first_and_replay(tmp_path):
    store = Store.open(tmp_path)
    session = store.begin_session(0, 1, {})
    for cid in (1, 2):
        store.record(CaseResult(cid, 0, "judged", rule_hits={"s": [f"r{cid}"]},
                                notes={"corpus_graph": _graph(cid).dumps()}), session, ["torchscript"])
    guide = Guide(store, seed=7, config=RELU, corpus_ratio=1.0)
    graphs = [guide.graph_for(cid, ["torchscript"]) for cid in (10, 11)]
    assert all(g is not None for g in graphs)
    assert sorted(e["picked"] for e in store.corpus()) == [1, 1]  # each entry once before any twice
    again = Guide(store, seed=7, config=RELU, corpus_ratio=1.0)
    store.conn.execute("UPDATE corpus SET picked = 0")
    assert again.graph_for(10, ["torchscript"]) == graphs[0]  # drawn from the case id alone
    assert Guide(store, seed=7, config=RELU, corpus_ratio=0.0).graph_for(12, ["torchscript"]) is None
    assert guide.summary()["corpus_mutated"] == 2


def test_an_empty_corpus_generates_from_scratch(tmp_path):
    assert Guide(Store.open(tmp_path), seed=1, config=RELU, corpus_ratio=1.0).graph_for(1, ["torchscript"]) is None


def test_ops_linked_to_uncovered_rules():
    coverage = {
        "torchscript:symbolic": {"uncovered": ["aten::softmax", "aten::no_such_op", "prim::Constant"]},
        "dynamo:torchlib": {"uncovered": ["aten_relu"]},
        "onnxruntime:transformers@all": {"uncovered": ["MatMulAddFusion"]},
        "onnxoptimizer:passes": {"uncovered": []},
    }
    ops = linked_ops(coverage)
    assert {"softmax", "relu"} <= ops
    from fuzzer.ops import all_specs
    from fuzzer.ops.motif import is_motif

    motifs = {s.name for s in all_specs() if is_motif(s) and ("onnxruntime", "MatMulAddFusion") in s.rewrites}
    assert motifs and motifs <= ops
    assert linked_ops({}) == frozenset()


def test_a_guided_swarm_favours_the_boosted_ops_and_an_unguided_one_is_unchanged():
    from fuzzer.generate.swarm import draw_swarm

    base = GenConfig()
    plain = [draw_swarm(NumpyChoices(s), base) for s in range(200)]
    assert [draw_swarm(NumpyChoices(s), base, boost=frozenset()) for s in range(200)] == plain
    assert [draw_swarm(NumpyChoices(s), base, boost=frozenset({"no_such_op"})) for s in range(200)] == plain
    boosted = [draw_swarm(NumpyChoices(s), base, boost=frozenset({"softmax"})) for s in range(200)]
    with_it = sum("softmax" in w.ops for w in boosted)
    assert with_it > 2 * sum("softmax" in w.ops for w in plain)
    assert all(4 <= len(w.ops) <= 12 for w in boosted)


def test_a_guided_campaign_keeps_a_corpus_and_mutates_it(tmp_path):
    from fuzzer.campaign.campaign import CampaignOptions, run_campaign

    stats = run_campaign(CampaignOptions(workdir=tmp_path, minutes=5, max_cases=40, workers=1, exporters=["torchscript"],
                                         runtimes=["onnxruntime", "onnx-reference"], quiet=True, guided=True,
                                         corpus_ratio=0.5, batch=False))
    store = Store.open(tmp_path)
    corpus = store.corpus()
    assert corpus, "the first cases hit rules for the first time"
    assert stats["session"]["guidance"]["corpus_mutated"] > 0
    assert sum(e["picked"] for e in corpus) == stats["session"]["guidance"]["corpus_mutated"]


def test_a_batched_case_and_a_runtime_triple_make_no_corpus_entry(tmp_path):
    store = Store.open(tmp_path)
    session = store.begin_session(0, 1, {})
    graph = _graph().dumps()
    store.record(CaseResult(1, 0, "judged", rule_hits={"dynamo:torchlib": ["aten_abs"]},
                            notes={"corpus_graph": graph, "batch": {"size": 4}}), session, ["dynamo"])
    store.record(CaseResult(2, 0, "judged", rule_hits={"onnxruntime:ops": ["Relu-14:float"]},
                            notes={"corpus_graph": graph}), session, ["torchscript"])
    assert store.corpus() == []


def test_a_batched_case_joins_the_corpus_for_the_rules_its_own_stages_hit_first(tmp_path):
    store = Store.open(tmp_path)
    session = store.begin_session(0, 1, {})
    graph = _graph().dumps()
    packed = {"dynamo:torchlib": ["aten_abs"]}  # the batch's packed export: no one graph's
    carrier = CaseResult(1, 0, "judged", rule_hits={**packed, "onnxruntime:transformers@all": ["GeluFusion"]},
                         notes={"corpus_graph": graph, "batch": {"size": 4, "shared_rules": packed}})
    only_shared = CaseResult(2, 0, "judged", rule_hits={"dynamo:torchlib": ["aten_neg"]},
                             notes={"corpus_graph": graph, "batch": {"size": 4, "shared_rules": {"dynamo:torchlib": ["aten_neg"]}}})
    # exported alone inside its batch (a suspect): that export's rules are its own
    alone = CaseResult(3, 0, "judged", rule_hits={"dynamo:torchlib": ["aten_sort"]},
                       notes={"corpus_graph": graph, "batch": {"size": 4, "shared_rules": {}}})
    for r in (carrier, only_shared, alone):
        store.record(r, session, ["dynamo"])
    assert [(e["case_id"], e["rules"]) for e in store.corpus()] == [
        (1, [["onnxruntime:transformers@all", "GeluFusion"]]), (3, [["dynamo:torchlib", "aten_sort"]])]
