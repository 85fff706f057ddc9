"""Dynamic shapes: the planner, the exporters' dynamic dims, and judging at every size."""
from __future__ import annotations

import io
import json

import numpy as np
import onnx
import pytest

from fuzzer.case import CaseSpec, run_case
from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig
from fuzzer.generate.dynamic import DynamicPlan, plan, replay, retype
from fuzzer.ir import DType, Graph, TensorType
from fuzzer.ops import get_spec
from fuzzer.plugin import ENV_VAR
from fuzzer.run.eager import types_hold
from tests.plugins.faulty_dynamic import PLUGINS as FIRST_SIZE

F32 = DType.float32


def _node(g: Graph, op: str, inputs, attrs=None):
    attrs = attrs or {}
    outs = get_spec(op).infer([v.type for v in inputs], attrs)
    return g.add_node(op, inputs, attrs, outs).outputs[0]


def conv_relu_add() -> Graph:
    """conv2d(x) -> relu -> + y: the batch dim is free, x's channels are tied to the weight."""
    g = Graph()
    x = g.add_input(TensorType(F32, (2, 3, 5, 5)))
    w = g.add_const(np.full((4, 3, 3, 3), 0.1, np.float32))
    y = g.add_input(TensorType(F32, (2, 4, 5, 5)))
    h = _node(g, "relu", [_node(g, "conv2d", [x, w], {"padding": 1})])
    g.outputs = [_node(g, "add", [h, y])]
    return g


def reshape_fixed(shape) -> Graph:
    g = Graph()
    x = g.add_input(TensorType(F32, (4, 6)))
    g.outputs = [_node(g, "relu", [_node(g, "reshape", [x], {"shape": list(shape)})])]
    return g


def _check(choices):
    return lambda g: types_hold(g, choices)


def test_conv_relu_add_is_dynamic_in_batch_and_never_in_channels():
    g = conv_relu_add()
    found_batch = False
    for seed in range(12):
        c = NumpyChoices(seed)
        p = plan(g, c, _check(c))
        assert p is not None, "the batch dim (and the spatial dims, padding 1 keeps them) can always vary"
        x, y = (v.name for v in g.inputs)
        assert 1 not in p.dims.get(x, {}), "x's channels are tied to the weight"
        if 1 in p.dims.get(y, {}):  # y's channels meet the conv's 4 in the add: only 1 broadcasts
            assert all(size[p.dims[y][1]] == 1 for size in p.sizes)
        if 0 in p.dims.get(x, {}):
            found_batch = True
            # x and y meet in the add: their batch dims are one symbol
            assert p.dims[y][0] == p.dims[x][0]
        for size, alt in zip(p.sizes, p.graphs):
            assert size != p.base
            for v, w in zip(g.inputs, alt.inputs):
                axes = p.dims.get(v.name, {})
                assert w.type.shape == tuple(size[axes[i]] if i in axes else d for i, d in enumerate(v.type.shape))
            assert alt.outputs[0].type.shape[0] == alt.inputs[0].type.shape[0]
            assert types_hold(alt, c)
    assert found_batch


def test_a_channel_change_is_refused_and_a_batch_change_accepted():
    g = conv_relu_add()
    x, y = (v.name for v in g.inputs)
    c = NumpyChoices(0)
    # conv2d's infer does not look at the weight's channels: torch eager is what refuses them
    wrong = retype(g, {x: (3, 4, 5, 5), y: (3, 4, 5, 5)})
    assert wrong is None or not types_hold(wrong, c)
    assert retype(g, {x: (3, 3, 5, 5), y: (3, 5, 5, 5)}) is None, "the add's broadcast fails in infer"
    alt = retype(g, {x: (5, 3, 5, 5), y: (5, 4, 5, 5)})
    assert alt is not None and alt.outputs[0].type.shape == (5, 4, 5, 5) and types_hold(alt, c)
    assert g.outputs[0].type.shape == (2, 4, 5, 5), "the original graph is left as it was"


def test_a_reshape_to_a_hard_coded_shape_is_not_dynamic():
    g = reshape_fixed((3, 8))
    for seed in range(8):
        c = NumpyChoices(seed)
        assert plan(g, c, _check(c)) is None


def test_a_reshape_with_minus_one_stays_dynamic_in_the_leading_dim():
    g = reshape_fixed((-1, 6))
    plans = [plan(g, c, _check(c)) for c in map(NumpyChoices, range(8))]
    assert all(p is not None for p in plans)
    assert any(0 in p.dims["x0"] for p in plans)
    for p in plans:
        if 1 in p.dims["x0"]:  # the width may change only where the -1 still comes out whole
            sym0, sym1 = p.dims["x0"].get(0), p.dims["x0"][1]
            assert all(size.get(sym0, 4) * size[sym1] % 6 == 0 for size in p.sizes)


def test_a_size_one_dim_that_broadcasts_is_never_made_dynamic():
    g = Graph()
    x = g.add_input(TensorType(F32, (3, 4)))
    y = g.add_input(TensorType(F32, (1, 4)))
    g.outputs = [_node(g, "add", [x, y])]
    for seed in range(10):
        c = NumpyChoices(seed)
        p = plan(g, c, _check(c))
        assert p is not None and 0 not in p.dims.get(y.name, {})


def test_a_plan_round_trips_through_json_and_replays_on_the_same_graph():
    g = conv_relu_add()
    c = NumpyChoices(3)
    p = plan(g, c)
    back = DynamicPlan.from_json(json.loads(json.dumps(p.to_json())))
    assert (back.dims, back.base, back.sizes) == (p.dims, p.base, p.sizes)
    again = replay(g, back)
    assert again.sizes == p.sizes and [h.dumps() for h in again.graphs] == [h.dumps() for h in p.graphs]
    with pytest.raises(ValueError, match="not a dynamic-shape plan"):
        DynamicPlan.from_json({"dims": 3})


def _dims(model: bytes) -> list[list]:
    m = onnx.load_model_from_string(model)
    return [[d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in m.graph.input]


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo", "onnx-direct"])
def test_every_exporter_declares_the_dims_dynamic_and_the_model_passes_at_every_size(exporter):
    g = conv_relu_add() if exporter != "onnx-direct" else _direct_graph()
    stored = {"dims": {v.name: {"0": "d0"} for v in g.inputs}, "base": {"d0": 2}, "sizes": [{"d0": 1}, {"d0": 3}]}
    r = run_case(CaseSpec(case_id=1, seed=4, config=GenConfig(), exporters=[exporter], runtimes=["onnxruntime", "onnx-reference"],
                          graph_json=g.dumps(), dynamic=stored, keep_models=frozenset({f"{exporter}@18"}), opset=18))
    assert r.dynamic == stored
    assert [v.kind.value for v in r.verdicts] == ["pass", "pass"], [v.error for v in r.verdicts]
    assert all(v.stats.get("sizes") == 3 for v in r.verdicts), "judged at the base size and both others"
    assert all(dims[0] == "d0" for dims in _dims(r.models[f"{exporter}@18"]))
    # the inputs of every size are kept for a rerun
    saved = np.load(io.BytesIO(r.inputs_npz))
    assert saved[f"{g.inputs[0].name}@0"].shape[0] == 1 and saved[f"{g.inputs[0].name}@1"].shape[0] == 3


def _direct_graph() -> Graph:
    g = Graph()
    x = g.add_input(TensorType(F32, (2, 3)))
    y = g.add_input(TensorType(F32, (2, 3)))
    g.outputs = [_node(g, "add", [_node(g, "relu", [x]), y])]
    return g


def test_a_runtime_wrong_only_at_another_size_is_caught_there(monkeypatch):
    monkeypatch.setenv(ENV_VAR, FIRST_SIZE)
    g = conv_relu_add()
    stored = {"dims": {v.name: {"0": "d0"} for v in g.inputs}, "base": {"d0": 2}, "sizes": [{"d0": 3}]}
    spec = CaseSpec(case_id=1, seed=4, config=GenConfig(), exporters=["torchscript"], runtimes=["onnxruntime", "firstsize"],
                    graph_json=g.dumps(), dynamic=stored, opset=17)
    r = run_case(spec)
    by_runtime = {v.runtime: v for v in r.verdicts}
    assert by_runtime["onnxruntime"].kind.value == "pass"
    bad = by_runtime["firstsize"]
    assert bad.kind.value == "value_mismatch" and bad.path == "torchscript@17"
    assert bad.error.splitlines()[-1] == "at size x0[0]=3, x2[0]=3" and bad.stats["size"] == "x0[0]=3, x2[0]=3"
    # the same fault without the dynamic plan goes unseen: only the other size shows it
    static = run_case(CaseSpec(**{**spec.__dict__, "dynamic": None}))
    assert {v.kind.value for v in static.verdicts} == {"pass"}
    # and the signature is what it would be at the base size: the size is not part of it
    assert bad.signature == type(bad)(bad.kind, bad.stage, bad.path, bad.runtime, bad.ops, bad.error.splitlines()[0]).signature


def test_a_static_config_has_no_plan_and_a_dynamic_one_usually_does():
    static = run_case(CaseSpec(case_id=1, seed=2, config=GenConfig(max_nodes=4), exporters=["torchscript"], runtimes=["onnxruntime"], opset=17))
    assert static.dynamic is None
    planned = [run_case(CaseSpec(case_id=1, seed=s, config=GenConfig(max_nodes=4, dynamic=True), exporters=["torchscript"],
                                 runtimes=["onnxruntime"], opset=17)).dynamic for s in range(4)]
    assert any(p is not None for p in planned)


def _old_store(workdir) -> None:
    """A workdir as the first schema left it, holding one judged static case."""
    import sqlite3
    import time

    from fuzzer.store.db import DB_NAME
    from fuzzer.store.migrations import MIGRATIONS

    workdir.mkdir(exist_ok=True)
    conn = sqlite3.connect(workdir / DB_NAME)
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied REAL NOT NULL)")
    name, sql = MIGRATIONS[0]
    conn.executescript(f"BEGIN; {sql}; INSERT INTO _migrations VALUES ('{name}', {time.time()}); COMMIT;")
    with conn:
        conn.execute("INSERT INTO sessions VALUES (1, 0, 1, 1, 1, '{}')")
        conn.execute("INSERT INTO cases VALUES (1, 1, 5, 1, 'judged', 1, '[\"relu\"]', '[\"torchscript\"]', 0, 0, '{}', 1)")
    conn.close()


def test_an_old_store_migrates_and_stats_count_dynamic_and_control_flow_cases(tmp_path, monkeypatch):
    from fuzzer.case import CaseResult
    from fuzzer.ops import all_specs
    from fuzzer.store import Store
    from oracles import Kind, Stage, Verdict

    _old_store(tmp_path)
    store = Store.open(tmp_path)
    try:
        assert store.stats()["cases_with"] == {"dynamic": 0, "control_flow": 0}, "the old case counts as static"
        flow = [s.name for s in all_specs() if s.control_flow]
        plan_json = {"dims": {"x0": {"0": "d0"}}, "base": {"d0": 2}, "sizes": [{"d0": 1}]}
        passed = Verdict(Kind.PASS, Stage.JUDGE, "torchscript@17", "onnxruntime", stats={"sizes": 2})
        store.record(CaseResult(2, 6, "judged", ops=["relu"], verdicts=[passed], dynamic=plan_json), 1, ["torchscript"])
        store.record(CaseResult(3, 7, "judged", ops=flow[:1] or ["relu"]), 1, ["onnx-direct"])
        store.record(CaseResult(4, 8, "discarded", ops=["relu"], dynamic=plan_json), 1, ["torchscript"])
        stats = store.stats()
        stored = store.conn.execute("SELECT dynamic FROM cases WHERE id = 2").fetchone()[0]
    finally:
        store.close()
    assert json.loads(stored) == plan_json
    assert stats["cases_with"] == {"dynamic": 1, "control_flow": 1 if flow else 0}, "a discarded case was not judged"
    assert stats["cases_with_by_session"] == {"1": stats["cases_with"]}
    assert stats["verdicts_at_several_sizes"] == 1


def test_an_index_constant_ties_the_dims_it_indexes():
    # torch.gather accepts any index within bounds, and the index was drawn for the base
    # shape: at another size it would be out of range, or (smaller than the input) mean
    # something ONNX GatherElements does not
    g = Graph()
    x = g.add_input(TensorType(F32, (4, 3)))
    index = g.add_const(np.array([[0, 1, 2]] * 4, np.int64))
    g.outputs = [_node(g, "gather", [x, index], {"dim": 1})]
    for seed in range(6):
        c = NumpyChoices(seed)
        assert plan(g, c, _check(c)) is None


def test_a_dim_torch_export_specializes_is_unsupported_for_dynamo_and_judged_for_torchscript():
    # y's channels meet the conv's 4 channels in the add: 1 broadcasts, so the dim may vary
    # between 4 and 1, but torch.export assumes a dynamic dim is never 1 and pins it to 4
    g = conv_relu_add()
    y = g.inputs[1].name
    stored = {"dims": {y: {"1": "d0"}}, "base": {"d0": 4}, "sizes": [{"d0": 1}]}
    base = dict(case_id=1, seed=4, config=GenConfig(), runtimes=["onnxruntime"], graph_json=g.dumps(), dynamic=stored, opset=18)
    dynamo = run_case(CaseSpec(exporters=["dynamo"], **base))
    assert [(v.kind.value, v.stage.value) for v in dynamo.verdicts] == [("unsupported", "export")]
    assert "d0" in dynamo.verdicts[0].error
    traced = run_case(CaseSpec(exporters=["torchscript"], **base))
    assert [(v.kind.value, v.stats.get("sizes")) for v in traced.verdicts] == [("pass", 2)]


def test_types_hold_reuses_the_module_it_is_given(monkeypatch):
    """The planner builds the graph's module once and asks about every size with it (a torch
    lowering never sees shapes): types_hold must not build another one per size."""
    import fuzzer.run.eager as eager

    g = reshape_fixed((6, 4))
    module = eager.build_module(g)
    built = []
    monkeypatch.setattr(eager, "build_module", lambda *a, **k: built.append(1))
    assert types_hold(g, NumpyChoices(0), module)
    assert built == []
