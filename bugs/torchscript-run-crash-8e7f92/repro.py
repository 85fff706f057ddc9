#!/usr/bin/env python3
"""onnxfuzz bug onnxruntime-run-crash-8e7f92: onnxruntime: fails to run a valid model for unique -> add -> unique -> relu

Exits 1 while the bug reproduces and 0 once it is fixed; prints what it saw.
Found with: numpy 2.4.6, onnx 1.23.2, onnxruntime 1.32.0, torch 2.13.0+cpu
"""
import base64
import os
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

warnings.filterwarnings("ignore")  # exporter deprecation notices would bury the finding
HERE = pathlib.Path(__file__).resolve().parent
SYMPTOM = 'run_crash'  # the runtime fails while running a valid model
STAGE = 'run'
OPSET = 18
FROM_SOURCE = False  # True: export the torch model below; False: use model.onnx
INPUT_NAMES = ['x0', 'x3']
OUTPUT_NAMES = ['out0', 'out1', 'out2', 'out3', 'out4']
OUTPUT_DTYPES = ['int64', 'int64', 'int64', 'int64', 'int64']
RTOL = {'float16': 0.02, 'bfloat16': 0.1, 'float32': 0.001, 'float64': 1e-05}
DIES = False  # the failing step kills the process: run it in a child and report the death
# dims exported as dynamic, {input or output name: {axis: symbol}} (a model.onnx declares them itself); None: static
DYNAMIC = None
# the sizes to run at, base first: (the size in words, the suffix of its inputs in inputs.npz)
SIZES = [('base', '')]

# ---- the model ------------------------------------------------------------
class Model(torch.nn.Module):
    def __init__(self, consts):
        super().__init__()
        pass

    def forward(self, x0, x3):
        v2, v2_1 = (lambda u: (u[1], u[2][u[1]]))(torch.unique(x0, sorted=True, return_inverse=True, return_counts=True))
        v4 = torch.add(v2_1, x3)
        v5, v5_1 = (lambda u: (u[1], u[2][u[1]]))(torch.unique(x3, sorted=True, return_inverse=True, return_counts=True))
        v6 = torch.relu(v5_1)
        return (v2, v4, v5, v6, v6,)

    def trace(self, x0, x3):
        """Every intermediate value, by name (the ground truth checks them for overflow)."""
        v2, v2_1 = (lambda u: (u[1], u[2][u[1]]))(torch.unique(x0, sorted=True, return_inverse=True, return_counts=True))
        v4 = torch.add(v2_1, x3)
        v5, v5_1 = (lambda u: (u[1], u[2][u[1]]))(torch.unique(x3, sorted=True, return_inverse=True, return_counts=True))
        v6 = torch.relu(v5_1)
        return {k: v for k, v in locals().items() if k != 'self'}


class TruthModel(torch.nn.Module):
    def __init__(self, consts):
        super().__init__()
        pass

    def forward(self, x0, x3):
        v2, v2_1 = (lambda u: (u[1], u[2][u[1]]))(torch.unique(x0, sorted=True, return_inverse=True, return_counts=True))
        v4 = torch.add(v2_1, x3)
        v5, v5_1 = (lambda u: (u[1], u[2][u[1]]))(torch.unique(x3, sorted=True, return_inverse=True, return_counts=True))
        v6 = torch.relu(v5_1)
        return (v2, v4, v5, v6, v6,)

    def trace(self, x0, x3):
        """Every intermediate value, by name (the ground truth checks them for overflow)."""
        v2, v2_1 = (lambda u: (u[1], u[2][u[1]]))(torch.unique(x0, sorted=True, return_inverse=True, return_counts=True))
        v4 = torch.add(v2_1, x3)
        v5, v5_1 = (lambda u: (u[1], u[2][u[1]]))(torch.unique(x3, sorted=True, return_inverse=True, return_counts=True))
        v6 = torch.relu(v5_1)
        return {k: v for k, v in locals().items() if k != 'self'}


def _tensor(b64, dtype, shape):
    raw = base64.b64decode(b64)
    if dtype == 'bfloat16':  # numpy has no bfloat16 of its own: rebuild it from the bits
        return torch.from_numpy(np.frombuffer(raw, dtype=np.int16).reshape(shape).copy()).view(torch.bfloat16)
    return torch.from_numpy(np.frombuffer(raw, dtype=dtype).reshape(shape).copy())


CONSTS = {

}


def build_model():
    return Model(CONSTS).eval()


def build_truth_model():
    return TruthModel({k: v.double() if v.is_floating_point() else v for k, v in CONSTS.items()}).eval()

# ---- the systems on the path ----------------------------------------------
def run_session(session, feeds):
    """session.run, except that bfloat16 goes in and out through OrtValues: ORT's numpy
    bridge has no bfloat16 and would fail the run for a reason outside the model."""
    import numpy as np

    bf16 = [o.name for o in session.get_outputs() if o.type == "tensor(bfloat16)"]
    if not bf16 and not any(getattr(v, "dtype", None) is not None and v.dtype.name == "bfloat16" for v in feeds.values()):
        return session.run(None, feeds)
    import ctypes

    import ml_dtypes
    import onnxruntime as ort

    values = {}
    for name, v in feeds.items():
        if v.dtype.name == "bfloat16":
            values[name] = ort.OrtValue.ortvalue_from_numpy_with_onnx_type(np.ascontiguousarray(v).view(np.uint16), 16)
        else:
            values[name] = ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(v))
    outputs = []
    for o in session.run_with_ort_values([o.name for o in session.get_outputs()], values):
        if o.data_type() != "tensor(bfloat16)":
            outputs.append(o.numpy())
            continue
        shape = tuple(o.shape())
        n = int(np.prod(shape, dtype=np.int64))
        raw = np.frombuffer((ctypes.c_uint16 * n).from_address(o.data_ptr()), dtype=np.uint16) if n else np.zeros(0, np.uint16)
        outputs.append(raw.copy().reshape(shape).view(ml_dtypes.bfloat16))
    return outputs


def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return run_session(session, {i.name: feeds[i.name] for i in session.get_inputs()})



def compare(outputs, expected):
    """Lines describing every output that differs from the float64 truth."""
    problems = []
    if len(outputs) != len(expected):
        return [f"{len(outputs)} outputs, expected {len(expected)}"]
    for i, (got, want) in enumerate(zip(outputs, expected)):
        got = np.asarray(got)
        if got.shape != want.shape:
            problems.append(f"output {i}: shape {list(got.shape)}, expected {list(want.shape)}")
            continue
        if got.dtype.name != OUTPUT_DTYPES[i]:
            problems.append(f"output {i}: dtype {got.dtype.name}, expected {OUTPUT_DTYPES[i]}")
            continue
        g, w = got.astype(np.float64), want.astype(np.float64)
        rtol = RTOL.get(OUTPUT_DTYPES[i], 0.0)
        atol = rtol * (float(np.mean(np.abs(w))) if w.size else 0.0)
        bad = ~(np.abs(g - w) <= atol + rtol * np.abs(w))
        if bad.any():
            idx = tuple(int(j) for j in np.argwhere(bad)[0])
            err = np.where(np.isfinite(g - w), np.abs(g - w), np.inf)
            problems.append(
                f"output {i}: {int(bad.sum())}/{bad.size} elements off, max abs error {float(err.max()):.4g}; "
                f"at {list(idx)} got {g[idx]!r}, expected {w[idx]!r}"
            )
            if w.size <= 24:
                problems.append(f"  got      {g.ravel().tolist()}\n  expected {w.ravel().tolist()}")
    return problems


def main():
    data = np.load(HERE / "inputs.npz")
    runs = [(size, {name: data[name + suffix] for name in INPUT_NAMES}) for size, suffix in SIZES]
    inputs = runs[0][1]
    args = tuple(torch.from_numpy(inputs[n]) for n in INPUT_NAMES)
    print(f"torch {torch.__version__}")
    if DYNAMIC:
        print(f"dynamic dims: {DYNAMIC}; sizes: {'; '.join(size for size, _ in SIZES)}")
    if FROM_SOURCE:
        try:
            extra = {"dynamic": DYNAMIC} if DYNAMIC else {}
            model = export_model(build_model(), args, INPUT_NAMES, OUTPUT_NAMES, OPSET, **extra)
        except Exception as e:
            print(f"export raised {type(e).__name__}: {e}")
            return 1 if STAGE == "export" else 2
        if STAGE == "export":
            print("export succeeded: fixed")
            return 0
    else:
        model = (HERE / "model.onnx").read_bytes()

    if STAGE == "check":
        import onnx
        try:
            onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
        except Exception as e:
            print(f"the checker rejects the model: {type(e).__name__}: {e}")
            return 1
        print("the model passes the checker: fixed")
        return 0
    failing, other = [], False
    for size, feeds in runs:
        where = f" at size {size}" if len(runs) > 1 else ""
        try:
            outputs = run_model(model, feeds)
        except Exception as e:
            print(f"the runtime raised{where}: {type(e).__name__}: {e}")
            if STAGE in ("load", "run"):
                failing.append(size)
            else:
                other = True
            continue
        if STAGE in ("load", "run"):
            if where:
                print(f"the runtime ran the model{where}")
            continue
        with torch.no_grad():
            truth_args = tuple(torch.from_numpy(feeds[n]) for n in INPUT_NAMES)
            truth_args = tuple(a.double() if a.is_floating_point() else a for a in truth_args)
            expected = [t.numpy() for t in build_truth_model()(*truth_args)]
        problems = compare(outputs, expected)
        for line in problems:
            print(f"{where.strip()}: {line}" if where else line)
        if problems:
            failing.append(size)
        elif where:
            print(f"outputs match the float64 truth{where}")
    if failing:
        if len(runs) > 1:
            print(f"fails at size {'; '.join(failing)} (of {len(runs)} sizes)")
        return 1
    if other:
        return 2
    print("the runtime ran the model: fixed" if STAGE in ("load", "run") else "outputs match the float64 truth: fixed")
    return 0


if __name__ == "__main__":
    if DIES and not os.environ.get("REPRO_CHILD"):
        try:
            child = subprocess.run([sys.executable, __file__], env={**os.environ, "REPRO_CHILD": "1"}, timeout=600)
        except subprocess.TimeoutExpired:
            print("the step hung for 600 s")
            sys.exit(1)
        if child.returncode < 0:
            print(f"the process died with signal {-child.returncode}")
            sys.exit(1)
        sys.exit(child.returncode)
    sys.exit(main())
