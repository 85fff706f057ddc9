"""What the dynamo plugin's reuse of torch's CIA ops saves per export, in one process.

    python benchmarks/dynamo_cia_cache.py [--graphs 10]

Exports the same small graphs (opset 18, one graph per export) with
ONNXFUZZ_DYNAMO_CIA_CACHE off and on, alternating per graph so both see the
same load, and prints the mean seconds per export each way, how often torch
asked for the set and how often it was computed with the reuse on, and what one
fresh collection costs.
"""
from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graphs", type=int, default=10)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    import torch.export.decomp_utils
    import torch.export.exported_program
    from torch._export import utils

    from fuzzer.case import CaseSpec, start_case
    from fuzzer.choices import NumpyChoices
    from fuzzer.convert.plugins.dynamo import reuse_valid_cia_ops
    from fuzzer.generate import GenConfig, generate
    from fuzzer.plugin import load_plugin

    exporter = load_plugin("converter", "dynamo")
    config = GenConfig(min_nodes=3, max_nodes=8, dtypes=frozenset({"float32"}),
                       ops=("add", "mul", "relu", "tanh", "matmul", "softmax", "transpose", "sum", "sigmoid", "sub"))
    requests, seed = [], 1
    while len(requests) < args.graphs:
        graph = generate(NumpyChoices(seed), config)
        case = start_case(CaseSpec(case_id=seed, seed=seed, config=config, exporters=["dynamo"],
                                   runtimes=["onnx-reference"], opset=18, graph_json=graph.dumps()))
        seed += 1
        if case is not None and getattr(case, "graph", None) is not None:
            requests.append(case.request(exporter, 18))
    exporter.export(requests[0])  # first-export costs (registry, imports) out of the way

    # count what torch asks for and what is computed, around whichever function is installed
    modules = (utils, torch.export.exported_program, torch.export.decomp_utils)
    original = utils._collect_all_valid_cia_ops
    original = original.__wrapped__ if getattr(original, "_onnxfuzz_cached", False) else original
    computed = [0]

    def counted():
        computed[0] += 1
        return original()

    for module in modules:
        module._collect_all_valid_cia_ops = counted
    seconds = {"off": 0.0, "on": 0.0}
    asked = [0]
    for i, request in enumerate(requests):
        for side in ("off", "on") if i % 2 else ("on", "off"):
            os.environ["ONNXFUZZ_DYNAMO_CIA_CACHE"] = "0" if side == "off" else "1"
            reuse_valid_cia_ops()  # installs or undoes the reuse (the export does too)
            installed = utils._collect_all_valid_cia_ops

            def asking(installed=installed):
                asked[0] += side == "on"
                return installed()

            asking._onnxfuzz_cached = side == "on"
            for module in modules:
                module._collect_all_valid_cia_ops = asking if side == "on" else installed
            before = computed[0] if side == "on" else None
            t0 = time.perf_counter()
            exporter.export(request)
            seconds[side] += time.perf_counter() - t0
            if side == "on":
                computed.append(computed[0] - before)
            for module in modules:
                module._collect_all_valid_cia_ops = installed
    t0 = time.perf_counter()
    original()
    fresh = time.perf_counter() - t0
    n = len(requests)
    print(f"{n} exports each way: CIA cache off {seconds['off'] / n:.3f} s/export, on {seconds['on'] / n:.3f} s/export, "
          f"saved {(seconds['off'] - seconds['on']) / n:.3f} s/export")
    print(f"with the cache on, torch asked {asked[0]} times and the set was computed {sum(computed[1:])} times; "
          f"one fresh collection takes {fresh:.3f} s")


if __name__ == "__main__":
    main()
