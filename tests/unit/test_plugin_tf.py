"""The TensorFlow frontend computes the same function as the torch truth, and the tf2onnx
exporter plugin turns it into a valid ONNX model with the campaign's input/output names.

For every op in TF_LOWERINGS, graphs drawn for the "tf" frontend (the op plus cast/add,
in the default dtype mix and in every dtype) are run in TF and judged by the campaign's
own judge against the torch float64 truth: shapes and dtypes exact, values within the
per-element tolerance.
"""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from fuzzer.choices import NumpyChoices  # noqa: E402
from fuzzer.generate import GenConfig, generate  # noqa: E402
from fuzzer.ir import FLOATS, INTS, DType  # noqa: E402
from fuzzer.materialize.frontends import supports  # noqa: E402
from fuzzer.materialize.tf_model import TF_LOWERINGS, run_tf  # noqa: E402
from fuzzer.ops import all_specs, get_spec  # noqa: E402
from fuzzer.run.eager import reference  # noqa: E402
from oracles import judge_outputs  # noqa: E402
from oracles.verdict import Kind  # noqa: E402

ALL_DTYPES = frozenset(FLOATS | INTS | {DType.bool})
SEEDS = range(3)


@pytest.fixture(scope="module")
def tf():
    # one import for the module: TensorFlow takes seconds to load
    from fuzzer.materialize.tf_model import import_tf

    return import_tf()


def _config(name: str, dtypes) -> GenConfig:
    ops = (name,) + tuple(h for h in ("cast", "add") if h != name)
    return GenConfig(ops=ops, max_nodes=4, dtypes=dtypes, frontend="tf")


def test_table_is_importable_without_tensorflow_and_names_real_specs():
    import subprocess
    import sys

    code = ("import sys; from fuzzer.materialize.tf_model import TF_LOWERINGS; "
            "assert 'tensorflow' not in sys.modules; print(len(TF_LOWERINGS))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) == len(TF_LOWERINGS) >= 60
    for name in TF_LOWERINGS:
        assert supports("tf", get_spec(name))


def test_frontend_serves_only_lowered_ops():
    served = {s.name for s in all_specs() if supports("tf", s)}
    assert served == set(TF_LOWERINGS)


@pytest.mark.parametrize("name", sorted(TF_LOWERINGS))
def test_tf_lowering_matches_torch_truth(tf, name):
    seen = judged = 0
    for dtypes in (GenConfig().dtypes, ALL_DTYPES):
        for seed in SEEDS:
            g = generate(NumpyChoices(seed), _config(name, dtypes))
            if name not in g.op_types():
                continue
            seen += 1
            got = reference(g, NumpyChoices(seed + 3000))
            if got is None:  # no finite draw: the campaign discards such a case too
                continue
            ref, inputs = got
            try:
                outs = run_tf(g, inputs)
            except Exception as e:
                raise AssertionError(f"op {name}, seed {seed}:\n{g.summary()}") from e
            verdict = judge_outputs(ref, outs, "tf", "tensorflow")
            if verdict.kind == Kind.UNSTABLE:
                continue
            assert verdict.kind == Kind.PASS, f"op {name}, seed {seed}: {verdict.kind}: {verdict.error}\n{g.summary()}"
            judged += 1
    assert seen > 0, f"op {name} never appeared in a generated tf graph"
    assert judged > 0, f"op {name}: no generated graph had a stable truth to judge against"
