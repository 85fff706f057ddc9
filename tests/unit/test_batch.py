"""Batched exports: packing graphs into one export, splitting the model, bisecting failures,
sizing batches. In-process, with TorchScript-speed fake exporters (tests/plugins/batchy.py)."""
import numpy as np
import pytest

from fuzzer.batch import BatchSpec, run_batch
from fuzzer.case import CaseSpec, run_case, start_case
from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, generate
from fuzzer.ir import Graph
from fuzzer.plugin import ENV_VAR, load_plugin
from tests.plugins.batchy import PLUGINS

PLAIN = GenConfig(min_nodes=2, max_nodes=4, ops=("neg", "abs", "add", "mul", "relu"), dtypes=frozenset({"float32"}))
TANH = GenConfig(min_nodes=2, max_nodes=3, ops=("tanh",), dtypes=frozenset({"float32"}))
RUNTIMES = ["onnxruntime", "onnx-reference"]


@pytest.fixture(autouse=True)
def batchy(monkeypatch):
    monkeypatch.setenv(ENV_VAR, PLUGINS)
    monkeypatch.setenv("ONNXFUZZ_EXPORT_GAPS", "0")  # no failing op remembered from earlier runs


def _specs(exporter, configs, opset=17):
    """One CaseSpec per config, each carrying its graph (so the test knows which holds a Tanh)."""
    out = []
    for i, config in enumerate(configs):
        graph = generate(NumpyChoices(100 + i), config)
        out.append(CaseSpec(case_id=i + 1, seed=100 + i, config=config, exporters=[exporter], runtimes=RUNTIMES,
                            opset=opset, graph_json=graph.dumps()))
    return out


def _batch(specs):
    announced = []
    messages = list(run_batch(BatchSpec(specs), lambda *a: announced.append(a)))
    assert all(m[0] == "done" for m in messages), [m for m in messages if m[0] != "done"]
    return {m[1].case_id: m[1] for m in messages}, announced


def _verdicts(result):
    return sorted((v.path, v.runtime, v.kind.value, v.stage.value, v.error.splitlines()[0] if v.error else "")
                  for v in result.verdicts)


def test_split_models_compute_what_single_exports_do():
    import onnx
    import onnxruntime as ort

    from fuzzer.convert.batch import PackedRequest

    exporter = load_plugin("converter", "ts-batch")
    cases = [start_case(s) for s in _specs("ts-batch", [PLAIN, PLAIN, PLAIN])]
    packed = PackedRequest.of([c.request(exporter, 17) for c in cases], 17)
    whole = onnx.load_model_from_string(exporter.export(packed))
    parts = packed.split(whole.SerializeToString())
    rng = np.random.default_rng(0)
    seen_nodes, seen_inits = set(), set()
    whole_outs = {o for n in whole.graph.node for o in n.output}
    whole_inits = {t.name for t in whole.graph.initializer}
    for case, part in zip(cases, parts):
        onnx.checker.check_model(part, full_check=True)
        # only this graph's nodes and weights: nothing another part holds, nothing foreign
        outs = {o for n in part.graph.node for o in n.output} - {o.name for o in part.graph.output}
        inits = {t.name for t in part.graph.initializer}
        assert outs <= whole_outs and inits <= whole_inits
        assert not outs & seen_nodes and not inits & seen_inits
        seen_nodes |= outs
        seen_inits |= inits
        assert [i.name for i in part.graph.input] == [v.name for v in case.graph.inputs]
        assert [o.name for o in part.graph.output] == [f"out{i}" for i in range(len(case.graph.outputs))]
        single = exporter.export(case.request(exporter, 17))
        assert len(part.graph.node) == len(onnx.load_model_from_string(single).graph.node)
        a = ort.InferenceSession(part.SerializeToString(), providers=["CPUExecutionProvider"])
        b = ort.InferenceSession(single, providers=["CPUExecutionProvider"])
        for _ in range(3):
            feeds = {v.name: rng.standard_normal(v.type.shape).astype(np.float32) for v in case.graph.inputs}
            for x, y in zip(a.run(None, feeds), b.run(None, feeds)):
                np.testing.assert_array_equal(x, y)
    # every node of the packed model went to exactly one part
    assert sum(len(p.graph.node) for p in parts) == len(whole.graph.node)


def test_split_follows_subgraphs_to_outer_weights_and_renames_io():
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from fuzzer.convert.batch import split_model

    f = TensorProto.FLOAT
    w = numpy_helper.from_array(np.full([2], 3.0, np.float32), "w0")
    branch = lambda name, op: helper.make_graph([helper.make_node(op, ["b0_x0", "w0"], [name])], name, [],  # noqa: E731
                                                [helper.make_tensor_value_info(name, f, [2])])
    nodes = [
        helper.make_node("ReduceSum", ["b0_x0"], ["s"], keepdims=0),
        helper.make_node("Greater", ["s", "zero"], ["c"]),
        helper.make_node("If", ["c"], ["b0_out0"], then_branch=branch("t", "Add"), else_branch=branch("e", "Mul")),
        helper.make_node("Neg", ["b1_x0"], ["b1_out0"]),
    ]
    graph = helper.make_graph(
        nodes, "packed",
        [helper.make_tensor_value_info("b0_x0", f, [2]), helper.make_tensor_value_info("b1_x0", f, [2])],
        [helper.make_tensor_value_info("b0_out0", f, [2]), helper.make_tensor_value_info("b1_out0", f, [2])],
        [w, numpy_helper.from_array(np.zeros([], np.float32), "zero")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    part = split_model(model, {"b0_x0": "x0"}, {"b0_out0": "out0"})
    onnx.checker.check_model(part, full_check=True)
    assert [n.op_type for n in part.graph.node] == ["ReduceSum", "Greater", "If"]
    assert sorted(t.name for t in part.graph.initializer) == ["w0", "zero"]  # w0 only read inside the If
    sess = ort.InferenceSession(part.SerializeToString(), providers=["CPUExecutionProvider"])
    assert sess.run(None, {"x0": np.array([1.0, 2.0], np.float32)})[0].tolist() == [4.0, 5.0]
    assert sess.run(None, {"x0": np.array([-1.0, -2.0], np.float32)})[0].tolist() == [-3.0, -6.0]
    other = split_model(model, {"b1_x0": "x0"}, {"b1_out0": "out0"})
    assert [n.op_type for n in other.graph.node] == ["Neg"] and not other.graph.initializer


def test_each_case_of_a_batch_is_judged_as_if_it_ran_alone():
    specs = _specs("ts-batch", [PLAIN, PLAIN, PLAIN, PLAIN])
    results, announced = _batch(specs)
    assert sorted(results) == [1, 2, 3, 4]
    for spec in specs:
        alone = run_case(spec)
        mine = results[spec.case_id]
        assert mine.seed == spec.seed and mine.status == alone.status and mine.ops == alone.ops
        assert _verdicts(mine) == _verdicts(alone)
        assert mine.path_seconds["ts-batch"] > 0 and mine.timings["export:ts-batch"] > 0
    # one packed export announced for all four, none alone
    exports = [a for a in announced if a[1] == "export"]
    assert exports == [((1, 2, 3, 4), "export", "ts-batch@17", "")]
    info = results[1].notes["batch"]
    assert [(e["size"], e["ok"]) for e in info["exports"]] == [(4, True)]


def test_an_export_error_is_bisected_to_the_one_graph_and_judged_on_its_own_export():
    specs = _specs("ts-batch-raise", [PLAIN, PLAIN, TANH, PLAIN])
    results, announced = _batch(specs)
    culprit = results[3]
    alone = run_case(specs[2])
    assert _verdicts(culprit) == _verdicts(alone)
    assert [(v.kind.value, v.stage.value) for v in culprit.verdicts] == [("export_crash", "export")]
    assert culprit.graph_json == specs[2].graph_json  # minimization starts from its own graph
    for cid in (1, 2, 4):
        assert {v.kind.value for v in results[cid].verdicts} == {"pass"}
    # 4 fail -> halves: (1, 2) passes, (3, 4) fails -> 3 and 4 export alone, each by its own case
    exports = [a[0] for a in announced if a[1] == "export"]
    assert exports == [(1, 2, 3, 4), (1, 2), (3, 4), 3, 4]
    log = results[1].notes["batch"]["exports"]
    assert [(e["size"], e["ok"]) for e in log] == [(4, False), (2, True), (2, False)]
    # the failed packed exports' seconds are charged to the cases that were in them
    assert results[4].timings["export:ts-batch-raise"] > 0


def test_a_graph_the_error_names_goes_alone_at_once():
    from fuzzer.convert.batch import PackedRequest

    class Node:  # what torch.fx nodes hold: the module path they were traced in
        meta = {"nn_module_stack": {"p": ("", "Packed"), "g": ("graphs.2", "Model")}}

    def translate(node):
        raise RuntimeError("no ONNX function for aten.sort")

    from fuzzer.convert.base import ExportRequest

    packed = PackedRequest.of([ExportRequest(None, {}, ["x0"], ["out0"], 18)] * 4, 18)  # 4 graphs
    try:
        translate(Node())
    except RuntimeError as e:
        assert packed.suspect(e) == 2
    assert packed.suspect(ValueError("tf2onnx: node b1_/Tanh has no handler")) == 1
    assert packed.suspect(ValueError("nodes b1_/Tanh and b3_/Sort")) is None  # two named: no single suspect
    assert packed.suspect(ValueError("shape mismatch")) is None
    assert packed.suspect(ValueError("node b7_/Tanh")) is None  # not a graph of this batch


def test_an_op_that_failed_a_packed_export_keeps_its_later_graphs_out_of_packs(monkeypatch):
    from fuzzer import batch

    monkeypatch.setattr(batch, "FAILING_OPS", {})
    first, announced = _batch(_specs("ts-batch-gap", [PLAIN, TANH, PLAIN]))
    exports = [a[0] for a in announced if a[1] == "export"]
    assert exports == [(1, 2, 3), (1, 3), 2]  # the error named graph 2: it went alone
    assert first[1].notes["batch"]["exports"][0]["failing_op"] == "tanh"
    assert batch.FAILING_OPS == {"ts-batch-gap": {"tanh"}}
    assert [(v.kind.value, v.stage.value) for v in first[2].verdicts] == [("export_crash", "export")]
    # the next batch leaves the graph with a tanh out of its pack from the start
    second, announced = _batch(_specs("ts-batch-gap", [TANH, PLAIN, PLAIN]))
    assert [a[0] for a in announced if a[1] == "export"] == [(2, 3), 1]
    assert [(v.kind.value, v.stage.value) for v in second[1].verdicts] == [("export_crash", "export")]
    assert all(e["ok"] for e in second[2].notes["batch"]["exports"])


def test_an_op_whose_own_export_failed_keeps_its_later_graphs_out_of_packs(monkeypatch):
    from fuzzer import batch

    monkeypatch.setattr(batch, "FAILING_OPS", {})
    first, announced = _batch(_specs("ts-batch-gap", [TANH]))  # one graph: no pack, its case exports it
    assert [a[0] for a in announced if a[1] == "export"] == [1]
    assert [(v.kind.value, v.stage.value) for v in first[1].verdicts] == [("export_crash", "export")]
    assert batch.FAILING_OPS == {"ts-batch-gap": {"tanh"}}
    _, announced = _batch(_specs("ts-batch-gap", [PLAIN, TANH, PLAIN]))
    assert [a[0] for a in announced if a[1] == "export"] == [(1, 3), 2]


def _climb(cost, batches=80, warmup=0):
    """A sizer fed `batches` batches whose packed exports take cost(n) seconds; (sizer, sizes asked)."""
    from fuzzer.campaign.batching import BatchSizer

    sizer, asked = BatchSizer(warmup=warmup), []
    for _ in range(batches):
        n = sizer.next_size()
        asked.append(n)
        sizer.learn([{"exporter": "e", "size": n, "seconds": cost(n), "ok": True}])
    return sizer, asked


def test_sizer_grows_batches_while_a_fixed_cost_makes_them_cheaper_per_graph():
    from fuzzer.campaign.batching import MAX_SIZE

    sizer, _ = _climb(lambda n: 0.5 + 0.1 * n)
    assert sizer.size() == MAX_SIZE


def test_sizer_settles_where_failures_outweigh_the_fixed_cost():
    # expected seconds of a batch of n whose graphs fail with p = 5%: each failure re-exports
    # the rest; per graph (F/n + c)(1 + p n) is least at sqrt(F / (c p)) = 14
    sizer, asked = _climb(lambda n: (1.0 + 0.1 * n) * (1 + 0.05 * n))
    assert 10 <= sizer.size() <= 19 and all(7 <= n <= 24 for n in asked[-20:])


def test_sizer_keeps_batches_small_when_exports_grow_faster_than_their_graphs():
    from fuzzer.campaign.batching import MIN_SIZE

    sizer, _ = _climb(lambda n: 0.05 + 0.03 * n * n)  # tf2onnx-like: no fixed cost to spread
    assert sizer.size() == MIN_SIZE


def test_sizer_is_unmoved_by_a_machine_that_slows_every_export_alike():
    cost = lambda n: (1.0 + 0.1 * n) * (1 + 0.05 * n)  # noqa: E731
    assert _climb(cost)[1] == _climb(lambda n: 3 * cost(n))[1]


def test_sizer_shrinks_batches_whose_export_runs_too_long():
    from fuzzer.campaign.batching import MAX_EXPORT_SECONDS

    sizer, _ = _climb(lambda n: 1.0 + 2.0 * n)  # linear: larger is cheaper, but slow
    assert 1.0 + 2.0 * sizer.size() <= MAX_EXPORT_SECONDS * 1.5


def test_sizer_asks_for_sizes_on_both_sides_of_its_choice():
    from fuzzer.campaign.batching import BatchSizer

    sizer = BatchSizer()
    assert sizer.size() == 6 and [sizer.next_size() for _ in range(4)] == [8, 4, 8, 4]


def test_sizer_skips_the_warmup_exports():
    from fuzzer.campaign.batching import BatchSizer

    sizer = BatchSizer(warmup=1)
    sizer.learn([{"exporter": "e", "size": 8, "seconds": 30.0, "ok": False}])  # a worker's imports
    assert sizer.batches == 0 and sizer.size() == BatchSizer().size()


def test_batcher_groups_batchable_cases_and_passes_the_rest_through():
    from fuzzer.campaign.batching import Batcher

    picks = iter([["ts-batch"]] * 5 + [["torchscript"]] + [["torchscript", "ts-batch"]] * 8)
    ids = iter(range(1, 100))

    def next_spec():
        exporters = next(picks, None)
        if exporters is None:
            return None
        cid = next(ids)
        return CaseSpec(cid, cid, PLAIN, exporters, RUNTIMES)

    batcher = Batcher(["torchscript", "ts-batch"])
    jobs = []
    next_job = batcher.wrap(next_spec)
    while (job := next_job()) is not None:
        jobs.append(job)
    shapes = [(j.ids, j.members[0].exporters) if isinstance(j, BatchSpec) else (j.case_id, j.exporters) for j in jobs]
    # the prior size is sqrt(4 / 0.1) = 6, asked for as 8 and 4 in turn. A TorchScript case ends
    # a batch and goes out next; a case picked for both keeps ts-batch for one job, TorchScript
    # for the next
    assert shapes == [([1, 2, 3, 4, 5], ["ts-batch"]), (6, ["torchscript"]), ([7, 8, 9, 10], ["ts-batch"]),
                      (11, ["torchscript"]), ([12, 13, 14], ["ts-batch"])]
    first = jobs[0]
    assert len({m.opset for m in first.members}) == 1 and first.members[0].opset in load_plugin("converter", "ts-batch").opsets


def test_batcher_never_batches_dynamic_or_retried_cases():
    import dataclasses

    from fuzzer.campaign.batching import Batcher

    batcher = Batcher(["ts-batch"])
    base = CaseSpec(1, 1, PLAIN, ["ts-batch"], RUNTIMES)
    assert batcher._key(base) == ("ts-batch",)
    assert batcher._key(dataclasses.replace(base, config=dataclasses.replace(PLAIN, dynamic=True))) is None
    assert batcher._key(dataclasses.replace(base, skip=frozenset({("ts-batch@17", "")}))) is None


def test_after_death_halves_the_packed_group_and_retries_the_rest():
    specs = [CaseSpec(i, i, PLAIN, ["ts-batch"], RUNTIMES) for i in range(1, 7)]
    batch = BatchSpec(specs)
    # a death in the packed export of cases 1-4: halves of that group, and 5-6 together
    culprit, jobs = batch.after_death((1, 2, 3, 4))
    assert culprit is None
    assert [j.ids for j in jobs] == [[1, 2], [3, 4], [5, 6]]
    # a pair of two halves into single cases: plain CaseSpecs, whose death is recorded as any case's
    culprit, jobs = BatchSpec(specs[:2]).after_death((1, 2))
    assert culprit is None and [type(j) for j in jobs] == [CaseSpec, CaseSpec]
    # a death in one case's own stage: that case, and the rest as a batch
    culprit, jobs = batch.after_death(3)
    assert culprit is specs[2] and [j.ids for j in jobs] == [[1, 2, 4, 5, 6]]
    # nothing announced yet (or a case that had ended): the whole batch is halved
    assert [j.ids for j in batch.after_death(None)[1]] == [[1, 2, 3], [4, 5, 6]]
    assert [j.ids for j in batch.after_death(99)[1]] == [[1, 2, 3], [4, 5, 6]]


def test_no_batch_turns_batching_off(monkeypatch, tmp_path):
    import fuzzer.campaign.campaign
    from fuzzer.campaign.campaign import CampaignOptions
    from fuzzer.cli import main

    seen = []
    monkeypatch.setattr(fuzzer.campaign.campaign, "run_campaign", lambda opts: seen.append(opts) or {})
    argv = ["run", "--converters", "ts-batch", "--runtimes", "onnxruntime", "--workdir", str(tmp_path), "--json"]
    assert main(argv) == 0 and main([*argv, "--no-batch"]) == 0
    assert [o.batch for o in seen] == [True, False]
    monkeypatch.setenv("ONNXFUZZ_BATCH", "0")
    assert CampaignOptions(workdir=tmp_path).batch is False


def test_batcher_measures_a_batch_of_one_by_the_case_own_export():
    from fuzzer.campaign.batching import Batcher, BatchSizer
    from fuzzer.case import CaseResult

    specs = iter([CaseSpec(i, i, PLAIN, ["ts-batch"], RUNTIMES) for i in range(1, 4)])
    batcher = Batcher(["ts-batch"])
    batcher.sizers[("ts-batch",)] = sizer = BatchSizer(start=1)
    next_job = batcher.wrap(lambda: next(specs, None))
    assert [len(next_job().members), type(next_job())] == [2, CaseSpec]  # sizes 2 and 1 in turn
    batcher.learn(CaseResult(3, 3, "judged", timings={"export:ts-batch": 0.25}))
    assert sizer.cost[False] == 0.25  # the smaller size's cost: one graph's own export


def test_an_opinfo_spec_is_matched_to_the_aten_op_its_name_holds():
    from fuzzer.batch import _torch_names

    assert "avg_pool2d" in _torch_names("opinfo.nn.functional.avg_pool2d")
    assert "fmod" in _torch_names("opinfo.fmod.method") and "method" not in _torch_names("opinfo.fmod.method")
    assert _torch_names("amin")[0] == "amin"


def test_the_node_a_failed_torch_export_was_translating_names_its_ir_op():
    from fuzzer.convert.base import ExportRequest
    from fuzzer.convert.batch import PackedRequest
    from fuzzer.materialize.torch_module import SOURCE_NAME, node_at_line
    from fuzzer.materialize.torch_source import HEADER, module_source

    graphs = [generate(NumpyChoices(100 + i), PLAIN) for i in range(3)]
    target = graphs[1].op_nodes[-1]
    # the line of the generated source that calls the target node's op
    source = (HEADER + module_source(graphs[1])).splitlines()
    lineno = next(i + 1 for i, line in enumerate(source) if line.strip().startswith(f"{target.outputs[0].name} ="))
    assert node_at_line(graphs[1], lineno).outputs[0].name == target.outputs[0].name
    assert node_at_line(graphs[1], 1) is None

    class Node:  # a torch.fx node: the submodule it was traced in, and its call's stack trace
        meta = {"nn_module_stack": {"g": ("graphs.1", "Model")},
                "stack_trace": f'  File "packed.py", line 45, in forward\n  File "{SOURCE_NAME}", line {lineno}, in forward'}

    def translate(node):
        raise RuntimeError("No decompositions registered for the real-valued input")

    packed = PackedRequest.of([ExportRequest(g, {}, [v.name for v in g.inputs], ["out0"], 18) for g in graphs], 18)
    try:
        translate(Node())
    except RuntimeError as e:
        assert packed.suspect(e) == 1 and packed.suspect_op(e) == target.op_type
    assert packed.suspect_op(ValueError("no node")) is None


def test_a_prim_the_error_names_is_matched_to_the_family_of_the_ir_op():
    from fuzzer.batch import failing_op, op_family

    assert op_family("opinfo.lgamma.method") == "opinfo.lgamma" == op_family("opinfo.lgamma.inplace")
    assert op_family("opinfo.polygamma.polygamma_n_4.method") == "opinfo.polygamma.polygamma_n_4"
    assert op_family("tanh") == "tanh"
    prim = "Error when translating node %erf_inv : call_function[target=torch.ops.prims.erf_inv.default]"
    assert failing_op(prim, ["neg", "opinfo.erfinv.method"]) == "opinfo.erfinv"
    assert failing_op("target=torch.ops.prims.lgamma.default", ["opinfo.lgamma.inplace"]) == "opinfo.lgamma"
    assert failing_op("target=torch.ops.aten.sort.default", ["neg"]) is None


def test_a_family_learnt_on_one_spelling_keeps_the_others_out_of_packs(monkeypatch):
    from fuzzer import batch

    # learnt off torch.lgamma(x): a graph calling x.lgamma() fails dynamo alike
    monkeypatch.setattr(batch, "FAILING_OPS", {"ts-batch": {"opinfo.lgamma"}})
    lgamma = GenConfig(min_nodes=1, max_nodes=2, ops=("opinfo.lgamma.method",), dtypes=frozenset({"float32"}))
    specs = _specs("ts-batch", [PLAIN, lgamma, PLAIN])
    assert "opinfo.lgamma.method" in Graph.loads(specs[1].graph_json).op_types()
    _, announced = _batch(specs)
    assert [a[0] for a in announced if a[1] == "export"] == [(1, 3), 2]


def test_ops_the_campaign_learnt_keep_graphs_out_of_a_fresh_worker_packs(monkeypatch):
    from fuzzer import batch

    monkeypatch.setattr(batch, "FAILING_OPS", {})  # a worker that learnt nothing yet (just restarted)
    specs = _specs("ts-batch-gap", [TANH, PLAIN, PLAIN])
    announced = []
    messages = list(run_batch(BatchSpec(specs, keep_out={"ts-batch-gap": frozenset({"tanh"})}), lambda *a: announced.append(a)))
    assert [a[0] for a in announced if a[1] == "export"] == [(2, 3), 1]
    results = {m[1].case_id: m[1] for m in messages}
    assert all(e["ok"] for e in results[2].notes["batch"]["exports"])
    # a retry after a death keeps what the batch carried
    assert all(j.keep_out == {"ts-batch-gap": frozenset({"tanh"})}
               for j in BatchSpec(specs, keep_out={"ts-batch-gap": frozenset({"tanh"})}).after_death((1, 2, 3))[1]
               if isinstance(j, BatchSpec))
    assert BatchSpec(specs, {"e": frozenset({"x"})}).after_death(2)[1][0].keep_out == {"e": frozenset({"x"})}


def test_a_documented_gap_of_a_case_exported_alone_is_learnt_and_reported(monkeypatch):
    from fuzzer import batch

    monkeypatch.setattr(batch, "FAILING_OPS", {})
    first, announced = _batch(_specs("ts-batch-unsupported", [TANH]))  # one graph: its case exports it
    assert [(v.kind.value, v.stage.value) for v in first[1].verdicts] == [("unsupported", "export")]
    assert batch.FAILING_OPS == {"ts-batch-unsupported": {"tanh"}}
    assert first[1].notes["batch"]["learned"] == [["ts-batch-unsupported", "tanh"]]
    # a packed export's failure is reported too
    monkeypatch.setattr(batch, "FAILING_OPS", {})
    second, _ = _batch(_specs("ts-batch-gap", [PLAIN, TANH, PLAIN]))
    assert second[3].notes["batch"]["learned"] == [["ts-batch-gap", "tanh"]]


def test_batcher_shares_the_ops_that_failed_any_worker_with_every_later_batch():
    from fuzzer.campaign.batching import Batcher
    from fuzzer.case import CaseResult
    from oracles import Kind, Stage, Verdict

    specs = iter([CaseSpec(i, i, PLAIN, ["ts-batch-gap"], RUNTIMES) for i in range(1, 40)])
    batcher = Batcher(["ts-batch-gap"])
    next_job = batcher.wrap(lambda: next(specs, None))
    assert next_job().keep_out == {}
    # a batch's worker learnt an op; a case run alone (not batched) failed its export on another
    batcher.learn(CaseResult(1, 1, "judged", notes={"batch": {"id": 1, "size": 2, "exporters": ["ts-batch-gap"],
                                                               "exports": [], "learned": [["ts-batch-gap", "tanh"]]}}))
    gap = "Error when translating node %igammac : call_function[target=torch.ops.prims.igammac.default]"
    batcher.learn(CaseResult(9, 9, "judged", ops=["neg", "opinfo.igammac.method"],
                             verdicts=[Verdict(Kind.UNSUPPORTED, Stage.EXPORT, "ts-batch-gap@17", "", [], gap)]))
    job = next_job()
    assert job.keep_out == {"ts-batch-gap": frozenset({"tanh", "opinfo.igammac"})}


def test_sizer_ignores_a_worker_first_packed_export(monkeypatch):
    from fuzzer import batch
    from fuzzer.campaign.batching import BatchSizer

    monkeypatch.setattr(batch, "_WARM", set())  # a fresh worker process
    first, _ = _batch(_specs("ts-batch", [PLAIN, PLAIN]))
    second, _ = _batch(_specs("ts-batch", [PLAIN, PLAIN]))
    assert first[1].notes["batch"]["exports"][0].get("cold") is True
    assert "cold" not in second[1].notes["batch"]["exports"][0]
    sizer = BatchSizer()
    sizer.learn(first[1].notes["batch"]["exports"])
    assert sizer.batches == 0 and sizer.cost == {False: None, True: None}
    sizer.learn(second[1].notes["batch"]["exports"])
    assert sizer.batches == 1


def test_the_ops_a_campaign_learnt_are_known_to_the_next_campaign(monkeypatch, tmp_path):
    from fuzzer.campaign.batching import Batcher, gaps_path
    from fuzzer.case import CaseResult

    monkeypatch.setenv("ONNXFUZZ_EXPORT_GAPS", "1")
    monkeypatch.setenv("ONNXFUZZ_CACHE", str(tmp_path))
    learnt = {"batch": {"id": 1, "size": 2, "exporters": ["ts-batch-gap"], "exports": [], "learned": [["ts-batch-gap", "tanh"]]}}
    Batcher(["ts-batch-gap"]).learn(CaseResult(1, 1, "judged", notes=learnt))
    assert gaps_path(load_plugin("converter", "ts-batch-gap")).parent == tmp_path / "export-gaps"
    specs = iter([CaseSpec(i, i, PLAIN, ["ts-batch-gap"], RUNTIMES) for i in range(1, 20)])
    later = Batcher(["ts-batch-gap"])
    assert later.wrap(lambda: next(specs, None))().keep_out == {"ts-batch-gap": frozenset({"tanh"})}
    assert Batcher(["ts-batch"]).keep_out == {}  # another exporter's gaps are its own
    monkeypatch.setenv("ONNXFUZZ_EXPORT_GAPS", "0")
    assert Batcher(["ts-batch-gap"]).keep_out == {}


def test_the_packed_export_rules_are_named_as_no_one_graph_s(monkeypatch):
    from fuzzer import coverage

    monkeypatch.setattr(coverage, "_SEEN", set())
    results, _ = _batch(_specs("ts-batch", [PLAIN, PLAIN, PLAIN]))
    carriers = [r for r in results.values() if r.notes["batch"]["shared_rules"]]
    assert len(carriers) == 1  # the first case finished after the packed export carries its rules
    shared = carriers[0].notes["batch"]["shared_rules"]
    assert "torchscript:symbolic" in shared
    assert all(set(rules) <= set(carriers[0].rule_hits[s]) for s, rules in shared.items())
