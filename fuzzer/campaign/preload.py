"""What the workers' forkserver imports once, so that a worker forked from it starts warm.

A worker spawned afresh spends seconds importing torch, onnx, onnxscript and
torch.onnx's exporter before its first case; a campaign restarts a worker after
every death (a runtime that segfaults or aborts), and the minimizer does after
every reproduction of one. The supervisor starts workers from a forkserver
instead (fuzzer.campaign.supervisor.worker_context): a process started once,
fresh (fork and exec, never a fork of the campaign or of a threaded Dask
worker), that imports this module and then forks each worker on request.

Only modules that start no thread when imported are preloaded: a fork copies
the forking thread alone, and a lock another thread held stays locked forever
in the child. onnxruntime (its own thread at import), OpenVINO and TensorFlow
start threads, so each worker imports them itself, as before. Nothing here
computes with torch either: a child forked after torch's OpenMP pool exists
hangs in its first op. tests/unit/test_worker_start.py checks that the
preloaded process has one thread.

It also fills the dynamo plugin's caches (fuzzer.convert.plugins.dynamo.warm_caches):
the registry it keeps per opset and torch's CIA ops, as the first exports of
each fresh worker would. Each import or warm-up that fails is left to the
worker, which reports it as it always did.
"""
from __future__ import annotations

import importlib
import logging
import os
import warnings

#: imported in this order; heavy third-party modules first, then onnxfuzz's own that a worker
#: imports before its first case (none of them reads the environment at import)
MODULES = (
    "numpy",
    "torch",
    "torch.export",
    "torch.export._trace",  # torch._dynamo, torch._inductor's config, torch.distributed: 1.3 s
    "torch._functorch.aot_autograd",
    "onnx",
    "onnx.reference",
    "onnxscript",
    "onnxscript.optimizer",
    "onnxscript.rewriter",
    "torch.onnx",
    "torch.onnx._internal.exporter._core",
    "torch.onnx._internal.exporter._registration",
    "torch.onnx._internal.exporter._capture_strategies",
    "onnxscript.function_libs.torch_lib.ops",  # torchlib: what a registry is built from
    "tract",
    "fuzzer.case",
    "fuzzer.batch",
    "fuzzer.campaign.worker",
    "fuzzer.generate.diversity",
    "fuzzer.ops",
    "fuzzer.materialize.torch_module",
    "fuzzer.run.eager",
    "fuzzer.run.plugins.reference",
    "fuzzer.run.plugins.tract",
    "fuzzer.coverage.runtimes",
    "fuzzer.convert.plugins.dynamo",
    "fuzzer.coverage.torch_exporters",
    "fuzzer.coverage.onnxscript_rewriter",
)

# as a worker does before it imports torch (OpenMP reads it when its library loads); the
# forked worker inherits it, and the environment the supervisor hands it keeps or sets it again
os.environ.setdefault("OMP_NUM_THREADS", "1")
# the forkserver writes to the campaign's terminal: import-time warnings stay out of it
warnings.filterwarnings("ignore")


def _preload() -> list[str]:
    failed = []
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the worker imports it again and reports the error
            failed.append(name)
    try:
        import fuzzer.ops

        fuzzer.ops.all_specs()  # imports every op module once (the generator's registry)
    except Exception:  # noqa: BLE001 - as above
        failed.append("fuzzer.ops.all_specs")
    # building the registry logs what torchlib skips ("torchvision is not installed"); a worker's
    # log gets that, the campaign's terminal (where the forkserver writes) should not
    logging.disable(logging.WARNING)
    try:
        from fuzzer.convert.plugins.dynamo import warm_caches

        warm_caches()  # torchlib's registry per opset, torch's CIA ops: 3 s a fresh worker pays again
    except Exception:  # noqa: BLE001 - each worker builds what it needs itself
        failed.append("fuzzer.convert.plugins.dynamo.warm_caches")
    finally:
        logging.disable(logging.NOTSET)
    return failed


#: modules whose import failed here (the workers import them themselves)
FAILED = _preload()
