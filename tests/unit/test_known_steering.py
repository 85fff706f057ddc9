"""Known-defect steering (fuzzer.campaign.known): which defects steer, and how a case is steered."""
import json
from collections import Counter

import pytest

from fuzzer.campaign.known import Defect, KnownDefects, defects_in, family, triggers
from fuzzer.ir import Graph


def parsed(*ops):
    return Graph.from_json(graph(*ops))


def graph(*ops):
    nodes = [{"id": 0, "op": "input", "attrs": {}, "inputs": [], "outputs": [{"dtype": "float32", "shape": [2]}]}]
    nodes += [{"id": i + 1, "op": op, "attrs": {}, "inputs": [[i, 0]], "outputs": [{"dtype": "float32", "shape": [2]}]}
              for i, op in enumerate(ops)]
    return {"format": "onnxfuzz-graph/1", "nodes": nodes, "outputs": [[len(ops), 0]]}


def write(bugs, name, system, ops, **bug):
    (bugs / name).mkdir(parents=True)
    (bugs / name / "case.json").write_text(json.dumps({"bug": {"system": system, **bug}, "graph": graph(*ops)}))


def test_an_opinfo_variant_its_method_and_the_plain_spec_are_one_family():
    assert family("opinfo.diagonal.method") == family("opinfo.diagonal") == family("diagonal") == "diagonal"
    assert family("opinfo.add.inplace_operator") == family("opinfo.add.reflected") == "add"
    assert family("opinfo.nn.functional.adaptive_max_pool2d") == family("adaptive_max_pool2d")
    # variants that compute otherwise, and the ONNX frontend's ops, stay apart
    assert family("opinfo.scatter_reduce.amax") != family("opinfo.scatter_reduce.sum.method")
    assert family("opinfo.div.floor_rounding") != family("opinfo.div.trunc_rounding")
    assert family("Sum") != family("sum") and family("onnx.ConcatFromSequence") == "onnx.ConcatFromSequence"
    assert family("motif_opt_squeeze_squeeze") == "motif_opt_squeeze_squeeze"


def test_an_alias_is_the_family_of_the_op_it_spells():
    """Torch's op database names the op behind each alias: review 12's moveaxis repeated a
    movedim defect, review 18's less a lt one."""
    assert family("opinfo.moveaxis") == family("opinfo.movedim.method") == "movedim"
    assert family("opinfo.less.inplace") == family("opinfo.lt") == "lt"
    assert family("opinfo.maximum") == family("opinfo.max.binary") != family("opinfo.max.reduction_no_dim")
    assert family("opinfo.conv1d") == family("opinfo.nn.functional.conv1d") == "conv1d"
    assert family("not_an_op.method") == "not_an_op"


def test_triggers_are_the_families_half_the_records_and_two_of_them_share():
    assert triggers([parsed("unique", "eq"), parsed("opinfo.unique", "mv"), parsed("unique.method")]) == {"unique"}
    # one record: a minimal graph holds only the ops its failure needs, so all of them
    assert triggers([parsed("unique", "eq")]) == {"unique", "eq"}
    assert triggers([parsed("unique", "eq"), parsed("add")]) == frozenset()  # two records share nothing
    # two of four records hold remainder: half
    assert triggers([parsed("remainder"), parsed("remainder", "add"), parsed("fmod"), parsed("Mod")]) == {"remainder"}
    # one of three: not half
    assert triggers([parsed("a", "b"), parsed("a", "c"), parsed("d")]) == {"a"}


def test_live_folders_steer_by_the_ops_their_records_share(tmp_path):
    write(tmp_path, "ts-a", "torchscript", ["unique", "eq"], kind="shape_mismatch")
    for i in range(3):
        write(tmp_path, f"ts-a-dup{i}", "torchscript", ["opinfo.unique", f"x{i}"], duplicate_of="ts-a")
    write(tmp_path, "ts-a-gone", "torchscript", ["unique"], duplicate_of="ts-a", withdrawn=True)
    write(tmp_path, "alone", "tract", ["Mod"])  # one record: steers its own ops
    write(tmp_path, "unshared", "openvino", ["a"])
    write(tmp_path, "unshared-dup", "openvino", ["b"], duplicate_of="unshared")
    write(tmp_path, "retired", "tract", ["Mod"], withdrawn=True)
    write(tmp_path, "retired-dup", "tract", ["Mod"], duplicate_of="retired")  # points at a withdrawn bug
    write(tmp_path, "no-graph-dup", "torchscript", [], duplicate_of="ts-a")
    (tmp_path / "no-graph-dup" / "case.json").write_text(json.dumps({"bug": {"system": "torchscript", "duplicate_of": "ts-a"}}))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "case.json").write_text("{not json")
    assert sorted(defects_in([tmp_path]), key=lambda d: d.folder) == [
        Defect("alone", "tract", 1, frozenset({"Mod"})), Defect("ts-a", "torchscript", 5, frozenset({"unique"}))]


def known(*defects):
    return KnownDefects(list(defects), seed=7)


UNIQUE = Defect("ts-a", "torchscript", 10, frozenset({"unique"}))
MOD = Defect("tr-b", "tract", 4, frozenset({"remainder"}))


def test_a_system_keeps_a_case_with_one_over_one_more_than_the_records_of_its_most_repeated_defect():
    k = known(UNIQUE, MOD, Defect("ts-c", "torchscript", 2, frozenset({"unique", "diag"})))
    assert k.chance("torchscript", "unique") == pytest.approx(1 / 11)  # the ten records, not the two
    assert k.chance("torchscript", "diag") == pytest.approx(1 / 3)
    assert k.chance("dynamo", "unique") == 1.0  # another system's defect
    assert k.chance("tract", "add") == 1.0  # ops that trigger nothing
    assert k.chance("tract", "remainder") == pytest.approx(1 / 5)


def test_the_ops_a_system_the_case_cannot_lose_avoids_are_not_avoided_twice():
    """The maintainer review: the lead exporter's swarm losing unique, ONNX Runtime's plugins
    were dropped for the same unique as well."""
    ort_unique = Defect("ort-u", "onnxruntime", 10, frozenset({"unique"}))
    k = known(UNIQUE, ort_unique)
    both = 0
    for cid in range(400):
        s = k.steer(cid, ("unique", "add"), False, ["torchscript"], "torchscript",
                    ["onnxruntime", "onnxruntime-noopt", "tract", "openvino"], [])
        if s.dropped_ops:
            assert s.runtimes == ["onnxruntime", "onnxruntime-noopt", "tract", "openvino"], s
        both += bool(s.dropped_ops)
    assert 320 <= both <= 400
    # ONNX Runtime's two plugins are one system: dropped together, by one draw
    k = known(ort_unique)
    kept = Counter(tuple(k.steer(cid, ("unique",), False, ["dynamo"], "dynamo",
                                 ["onnxruntime", "onnxruntime-noopt", "tract", "openvino"], []).runtimes)
                   for cid in range(1000))
    assert set(kept) == {("onnxruntime", "onnxruntime-noopt", "tract", "openvino"), ("tract", "openvino")}
    assert kept[("tract", "openvino")] / 1000 == pytest.approx(0.9, abs=0.03)


def test_steering_replays_from_the_case_id():
    args = (("unique", "remainder", "add"), False, ["torchscript", "dynamo"], "dynamo",
            ["onnxruntime", "tract", "openvino"], ["onnxoptimizer"])
    first = [known(UNIQUE, MOD).steer(cid, *args) for cid in range(50)]
    again = [known(UNIQUE, MOD).steer(cid, *args) for cid in range(50)]
    assert first == again
    assert len({(tuple(s.exporters), tuple(s.runtimes)) for s in first}) > 1


def test_a_triggered_plugin_is_dropped_about_as_often_as_its_defect_asks():
    k = known(UNIQUE, MOD)
    kept = Counter()
    n = 4000
    for cid in range(n):
        s = k.steer(cid, ("unique", "remainder", "add"), False, ["torchscript", "dynamo"], "dynamo",
                    ["onnxruntime", "tract", "openvino"], [])
        kept.update(s.exporters + s.runtimes)
        assert "dynamo" in s.exporters and len(s.runtimes) >= 2 and s.dropped_ops == ()
    assert kept["dynamo"] == kept["onnxruntime"] == kept["openvino"] == n
    assert kept["torchscript"] / n == pytest.approx(1 / 11, abs=0.02)
    assert kept["tract"] / n == pytest.approx(1 / 5, abs=0.03)
    assert k.summary()["plugins_dropped"] == 2 * n - kept["torchscript"] - kept["tract"]


def test_a_plugin_the_case_cannot_lose_keeps_it_and_the_swarm_loses_the_triggering_ops():
    k = known(UNIQUE, MOD)
    dropped = 0
    for cid in range(200):
        # the lead exporter, and a runtime of the last two, stay
        s = k.steer(cid, ("opinfo.unique", "unique", "add"), False, ["torchscript"], "torchscript",
                    ["onnxruntime", "tract"], [])
        assert s.exporters == ["torchscript"] and s.runtimes == ["onnxruntime", "tract"]
        assert s.dropped_ops in ((), ("opinfo.unique", "unique"))
        dropped += bool(s.dropped_ops)
    assert 165 <= dropped <= 200  # ten in eleven
    # a swarm of nothing but triggering ops keeps them (the generator would fall back to every op)
    assert all(k.steer(cid, ("unique",), False, ["torchscript"], "torchscript", ["onnxruntime", "tract"], []).dropped_ops == ()
               for cid in range(50))
    # a given graph (corpus, seed) keeps its ops
    assert all(k.steer(cid, ("unique", "add"), True, ["torchscript"], "torchscript", ["onnxruntime", "tract"], []).dropped_ops == ()
               for cid in range(50))


def test_a_defect_with_one_record_steers_at_one_case_in_two():
    k = known(Defect("tr-one", "tract", 1, frozenset({"remainder"})))
    kept = sum("tract" in k.steer(cid, ("remainder", "add"), False, ["dynamo"], "dynamo",
                                  ["onnxruntime", "tract", "openvino"], []).runtimes for cid in range(2000))
    assert kept / 2000 == pytest.approx(0.5, abs=0.04)


def test_the_floors_spare_no_system_for_its_place_in_the_plugin_list():
    """The maintainer review of stop 31: systems visited in list order dropped the first-listed
    runtimes until two were left, so the last ones were always spared."""
    k = known(Defect("ort", "onnxruntime", 10, frozenset({"x"})), Defect("tr", "tract", 10, frozenset({"x"})),
              Defect("ov", "openvino", 10, frozenset({"x"})))
    kept = Counter()
    for cid in range(3000):
        s = k.steer(cid, ("x", "add"), False, ["dynamo"], "dynamo", ["onnxruntime", "tract", "openvino", "onnx-reference"], [])
        assert len(s.runtimes) >= 2
        kept.update(s.runtimes)
    # two of the three avoiding systems go in most cases; which two is the case's draw
    for runtime in ("onnxruntime", "tract", "openvino"):
        assert kept[runtime] / 3000 == pytest.approx(1 / 3, abs=0.07), kept


def test_untriggered_cases_are_not_steered():
    k = known(UNIQUE, MOD)
    for cid in range(100):
        s = k.steer(cid, ("add", "mul"), False, ["torchscript", "dynamo"], "dynamo", ["onnxruntime", "tract"], ["onnxoptimizer"])
        assert (s.exporters, s.runtimes, s.transformers, s.dropped_ops) == (
            ["torchscript", "dynamo"], ["onnxruntime", "tract"], ["onnxoptimizer"], ())
    assert k.summary() == {"defects": 2, "cases_steered": 0, "plugins_dropped": 0, "ops_dropped": 0}


def test_the_reviewed_collection_steers_from_its_most_repeated_defects():
    from pathlib import Path

    bugs = Path(__file__).resolve().parents[2] / "bugs"
    found = {d.folder: d for d in defects_in([bugs])}
    # reviews pointed nine duplicate records at TorchScript's unique: every one of them holds a unique
    unique = found["torchscript-shape-mismatch-4c7764"]
    assert unique.system == "torchscript" and unique.records >= 10 and "unique" in unique.triggers
    assert all(d.triggers for d in found.values())
    # every live folder whose minimal graph holds an op steers, those with one record too
    assert sum(d.records == 1 for d in found.values()) > 100


def test_no_steer_known_needs_file_bugs(capsys):
    from fuzzer.cli import main

    assert main(["run", "--minutes", "0.01", "--no-steer-known"]) == 2
    assert "--no-steer-known needs --file-bugs" in capsys.readouterr().err
