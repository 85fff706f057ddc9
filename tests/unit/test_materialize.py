import numpy as np
import torch

from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, draw_inputs, generate
from fuzzer.materialize import build_module, repro_model_source, torch_inputs
from fuzzer.materialize.torch_source import HEADER


def test_repro_source_rebuilds_both_models_bit_for_bit():
    for seed in range(25):
        c = NumpyChoices(seed)
        g = generate(c, GenConfig(max_nodes=8))
        inputs = draw_inputs(g, c)
        namespace: dict = {}
        exec(compile(HEADER + "import base64\nimport numpy as np\n" + repro_model_source(g), "<repro>", "exec"), namespace)
        for truth, builder in ((False, "build_model"), (True, "build_truth_model")):
            with torch.no_grad():
                want = build_module(g, truth=truth)(*torch_inputs(g, inputs, truth=truth))
                got = namespace[builder]()(*torch_inputs(g, inputs, truth=truth))
            for a, b in zip(want, got):
                assert a.dtype == b.dtype and a.shape == b.shape
                if a.dtype == torch.bfloat16:  # numpy has no bfloat16: compare the bits
                    a, b = a.view(torch.int16), b.view(torch.int16)
                assert np.array_equal(a.numpy(), b.numpy(), equal_nan=True)


def test_repro_source_imports_no_onnxfuzz():
    g = generate(NumpyChoices(1), GenConfig(max_nodes=6))
    src = repro_model_source(g)
    assert "fuzzer" not in src and "oracles" not in src


def test_truth_mode_computes_in_float64():
    g = generate(NumpyChoices(2), GenConfig(max_nodes=6, dtypes=frozenset({"float32"})))
    outs = build_module(g, truth=True)(*torch_inputs(g, draw_inputs(g, NumpyChoices(2)), truth=True))
    assert all(o.dtype in (torch.float64, torch.bool, torch.int64) for o in outs)
    assert any(o.dtype == torch.float64 for o in outs)
