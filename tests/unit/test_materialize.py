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


def test_a_bfloat16_input_read_back_from_an_npz_file_keeps_its_values():
    # np.savez writes ml_dtypes' bfloat16 as 2-byte void records: the filer reads the campaign's
    # inputs back from such a file (a bfloat16 prod, campaign seed 33, failed its triage on them)
    import io

    import ml_dtypes

    from fuzzer.ir.types import read_npz
    from fuzzer.materialize.torch_module import _to_torch

    a = np.array([[1.5, -2.25], [3.0, 0.0]], dtype=ml_dtypes.bfloat16)
    buf = io.BytesIO()
    np.savez(buf, x=a, y=np.arange(3, dtype=np.int16))
    assert np.load(io.BytesIO(buf.getvalue()))["x"].dtype.type is np.void
    back = read_npz(buf.getvalue())
    assert back["x"].dtype == a.dtype and back["x"].tolist() == a.tolist() and back["y"].dtype == np.int16
    t = _to_torch(back["x"], truth=False)
    assert t.dtype == torch.bfloat16 and t.float().tolist() == [[1.5, -2.25], [3.0, 0.0]]
    assert _to_torch(back["x"], truth=True).dtype == torch.float64
