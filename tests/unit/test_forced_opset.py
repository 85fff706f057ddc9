"""`run --opset N` forces every direct model to opset N: ops whose ONNX lowering needs a newer
opset must not be drawn then, or every such case is an invalid model of onnxfuzz's own making."""
from __future__ import annotations

import pytest

from fuzzer.choices import NumpyChoices
from fuzzer.errors import UsageError
from fuzzer.generate import GenConfig, generate
from fuzzer.ops import get_spec


def test_ops_needing_a_newer_opset_are_not_drawn_for_direct_models():
    config = GenConfig(frontend="onnx", max_opset=16, ops=("grid_sample", "bitwise_and", "relu", "add"))
    assert {s.name for s in config.specs()} == {"relu", "add"}
    for seed in range(20):
        graph = generate(NumpyChoices(seed), config)
        assert all(get_spec(n.op_type).opset_floor([v.type for v in n.inputs], n.attrs) <= 16 for n in graph.op_nodes)


def test_the_torch_frontend_is_not_restricted_by_lowering_opsets():
    # the exporter, not onnxfuzz's lowering, decides how a torch op becomes ONNX
    config = GenConfig(frontend="torch", max_opset=16, ops=("grid_sample", "relu"))
    assert "grid_sample" in {s.name for s in config.specs()}


def test_nothing_left_at_the_forced_opset_is_a_usage_error():
    with pytest.raises(UsageError, match="at opset 16"):
        GenConfig(frontend="onnx", max_opset=16, ops=("grid_sample",)).specs()


def test_run_passes_its_opset_to_the_generator(tmp_path, capsys):
    import json

    from fuzzer.cli import main

    code = main(["run", "--converters", "onnx-direct", "--runtimes", "onnx-reference", "--opset", "16",
                 "--ops", "grid_sample,relu", "--max-cases", "4", "--workers", "1", "--minutes", "1",
                 "--workdir", str(tmp_path / "w"), "--json"])
    assert code == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["judged"] == 4
    assert "grid_sample" not in stats["op_coverage"] and stats["op_coverage"].get("relu", 0) > 0
