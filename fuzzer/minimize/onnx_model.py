"""Reduce an external ONNX model (one onnxfuzz did not generate) while a check fails.

Unlike cutting a graph at its ends, any node may go: its consumers are fed
from one of its own inputs of the same type (a bypass) or from a new graph
input (a cut), and outputs that do not show the failure are dropped. The
default check is differential (ONNX Runtime against the ONNX reference
evaluator on the same random inputs); --check CMD runs the user's command on
each candidate's path and counts exit code 1 as "still failing".
"""
from __future__ import annotations

import shlex
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

from fuzzer.errors import UsageError


def reduce_onnx_file(path: Path, output: Path | None, check_cmd: str | None, runtimes: list[str], max_seconds: float) -> dict:
    import onnx

    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except Exception as e:
        raise UsageError(f"{path}: not a valid ONNX model: {type(e).__name__}: {e}") from None
    check = _command_check(check_cmd) if check_cmd else _differential_check(runtimes)
    t0 = time.perf_counter()
    original = len(model.graph.node)
    if not check(model):
        return {"reproduced": False, "original_nodes": original, "nodes": original, "candidates": 1,
                "seconds": time.perf_counter() - t0, "output": None}
    best, candidates = model, 1
    progress = True
    while progress and time.perf_counter() - t0 < max_seconds:
        progress = False
        for cand in _candidates(best):
            candidates += 1
            if check(cand):
                best, progress = cand, True
                break
            if time.perf_counter() - t0 >= max_seconds:
                break
    out = output or path.with_name(path.stem + ".reduced.onnx")
    onnx.save(best, str(out))
    return {"reproduced": True, "original_nodes": original, "nodes": len(best.graph.node), "candidates": candidates,
            "seconds": round(time.perf_counter() - t0, 2), "output": str(out)}


def _candidates(model):
    """Smaller models: fewer outputs, then one node fewer (bypassed, or cut into an input)."""
    import onnx

    inferred = onnx.shape_inference.infer_shapes(model)
    types = {vi.name: vi.type for vi in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output)}
    types.update({i.name: onnx.helper.make_tensor_type_proto(i.data_type, list(i.dims)) for i in model.graph.initializer})
    outputs = list(model.graph.output)
    if len(outputs) > 1:
        for keep in [outputs[: len(outputs) // 2], outputs[len(outputs) // 2:]] + [[o] for o in outputs]:
            c = _copy(model)
            del c.graph.output[:]
            c.graph.output.extend(keep)
            yield _prune(c)
    for index in reversed(range(len(model.graph.node))):
        node = model.graph.node[index]
        for mode in ("bypass", "cut"):
            c = _copy(model)
            n = c.graph.node[index]
            rename = {}
            for out in n.output:
                if not out:
                    continue
                if mode == "bypass":
                    same = [i for i in n.input if i and i in types and out in types and types[i] == types[out]]
                    if not same:
                        break
                    rename[out] = same[0]
                else:
                    if out not in types:
                        break
                    c.graph.input.append(onnx.helper.make_value_info(out + "__cut", types[out]))
                    rename[out] = out + "__cut"
            else:
                del c.graph.node[index]
                for other in c.graph.node:
                    for k, name in enumerate(other.input):
                        if name in rename:
                            other.input[k] = rename[name]
                for o in c.graph.output:
                    if o.name in rename:
                        o.name = rename[o.name]  # the value now comes from the bypass or the cut
                if any(o.name in {i.name for i in c.graph.input} for o in c.graph.output):
                    continue  # an output that is a graph input says nothing
                yield _prune(c)
        del node


def _copy(model):
    import onnx

    c = onnx.ModelProto()
    c.CopyFrom(model)
    return c


def _prune(model):
    """Drop nodes, initializers and inputs no output depends on."""
    needed = {o.name for o in model.graph.output}
    keep = []
    for node in reversed(model.graph.node):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
    keep.reverse()
    del model.graph.node[:]
    model.graph.node.extend(keep)
    inits = [i for i in model.graph.initializer if i.name in needed]
    del model.graph.initializer[:]
    model.graph.initializer.extend(inits)
    ins = [i for i in model.graph.input if i.name in needed]
    del model.graph.input[:]
    model.graph.input.extend(ins)
    return model


def random_feeds(model, seed: int = 0) -> dict[str, np.ndarray]:
    import onnx
    from onnx import helper

    rng = np.random.default_rng(seed)
    inits = {i.name for i in model.graph.initializer}
    feeds = {}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        t = vi.type.tensor_type
        shape = [d.dim_value if d.dim_value > 0 else 2 for d in t.shape.dim]
        dtype = helper.tensor_dtype_to_np_dtype(t.elem_type)
        if dtype == np.bool_:
            feeds[vi.name] = rng.random(shape) < 0.5
        elif np.issubdtype(dtype, np.integer):
            feeds[vi.name] = rng.integers(0, 4, size=shape).astype(dtype)
        else:
            feeds[vi.name] = rng.standard_normal(shape).astype(dtype)
    del onnx
    return feeds


def _differential_check(runtimes: list[str]) -> Callable:
    """Still failing: the first two runtimes disagree (one raises, or outputs differ)."""
    from fuzzer.plugin import load_plugin

    names = [r for r in runtimes if r in ("onnxruntime", "onnx-reference")] or runtimes
    if len(names) < 2:
        names = ["onnxruntime", "onnx-reference"]
    a, b = load_plugin("runtime", names[0]), load_plugin("runtime", names[1])

    def run(rt, data, feeds):
        try:
            session = rt.load(data)
            return rt.run(session, {n: feeds[n] for n in rt.input_names(session)})
        except Exception as e:
            return e

    def check(model) -> bool:
        data = model.SerializeToString()
        feeds = random_feeds(model)
        ra, rb = run(a, data, feeds), run(b, data, feeds)
        if isinstance(ra, Exception) or isinstance(rb, Exception):
            return isinstance(ra, Exception) != isinstance(rb, Exception)
        for x, y in zip(ra, rb):
            x, y = np.asarray(x), np.asarray(y)
            if x.shape != y.shape or x.dtype != y.dtype:
                return True
            if not np.allclose(x.astype(np.float64), y.astype(np.float64), rtol=1e-3, atol=1e-4, equal_nan=True):
                return True
        return False

    return check


def _command_check(cmd: str) -> Callable:
    argv = shlex.split(cmd)
    if not argv:
        raise UsageError("--check needs a command")

    def check(model) -> bool:
        import onnx

        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "candidate.onnx"
            onnx.save(model, str(p))
            try:
                r = subprocess.run(argv + [str(p)], capture_output=True, timeout=300)
            except FileNotFoundError:
                raise UsageError(f"--check: command not found: {argv[0]}") from None
            except subprocess.TimeoutExpired:
                return False
            return r.returncode == 1

    return check
