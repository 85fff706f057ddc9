"""Every architecture seed is a valid graph: JSON in sync with its builder, exact
types in torch eager (float32 and the float64 truth), a TorchScript export the
checker accepts, and an ONNX Runtime result that matches the truth."""
from __future__ import annotations

import json

import pytest

from fuzzer.case import CaseSpec, run_case
from fuzzer.errors import UsageError
from fuzzer.generate import GenConfig
from fuzzer.ir import Graph
from oracles import Kind
from seeds import HERE, SEEDS, load_seed, load_seeds
from tests.unit.test_op_specs import _check_graph

NAMES = sorted(SEEDS)


def test_there_are_eight_architecture_seeds():
    assert len(SEEDS) == 8
    for name in NAMES:
        g = load_seed(name)
        assert len(g) >= 5, name
        assert g.outputs, name


@pytest.mark.parametrize("name", NAMES)
def test_json_file_matches_builder(name):
    on_disk = json.loads((HERE / f"{name}.json").read_text())
    assert on_disk == load_seed(name).to_json(), f"seeds/{name}.json is stale: run python -m seeds.dump"


@pytest.mark.parametrize("name", NAMES)
def test_seed_types_exact_in_torch(name):
    _check_graph(load_seed(name), seed=0)


@pytest.mark.parametrize("name", NAMES)
def test_seed_exports_and_matches_onnxruntime(name):
    g = load_seed(name)
    spec = CaseSpec(case_id=0, seed=1, config=GenConfig(), exporters=["torchscript"],
                    runtimes=["onnxruntime"], graph_json=g.dumps(), opset=17)
    result = run_case(spec)
    assert result.status == "judged", result.error
    kinds = [(v.path, v.runtime, v.kind) for v in result.verdicts]
    # one verdict, for the one path and runtime, and a pass: exported, checked (full_check
    # with strict shape inference) and run, with values inside the truth's tolerance
    assert kinds == [("torchscript@17", "onnxruntime", Kind.PASS)], result.verdicts


def test_load_seeds_forms(tmp_path):
    two = load_seeds("resnet_basic, unet_up")
    assert sorted(two) == ["resnet_basic", "unet_up"]
    (tmp_path / "mine.json").write_text(load_seed("vit_patch_embedding").dumps())
    from_dir = load_seeds(str(tmp_path))
    assert list(from_dir) == ["mine"] and isinstance(from_dir["mine"], Graph)


def test_unknown_seed_is_usage_error(tmp_path):
    with pytest.raises(UsageError, match="unknown seed 'nosuch'"):
        load_seeds("nosuch")
    with pytest.raises(UsageError, match="holds no"):
        load_seeds(str(tmp_path))
    (tmp_path / "bad.json").write_text('{"format": "other"}')
    with pytest.raises(UsageError, match="not an onnxfuzz graph"):
        load_seeds(str(tmp_path))
