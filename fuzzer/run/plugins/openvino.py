"""OpenVINO on CPU: its ONNX frontend converts the model, its CPU plugin compiles and runs it.

On CPUs with bfloat16 or float16 support (AVX512-BF16, AMX, AVX512-FP16) the
CPU plugin defaults to computing float32 models in bf16 (its inference
precision hint). That is a documented speed trade, not a bug, and it would
drown the oracles in rounding noise, so the hint is forced to f32: float32
models compute in float32, and float16 models compute wider and round once.
"""
from __future__ import annotations

import re

from fuzzer.run.base import Runtime

# Gaps in OpenVINO's own words, only for a missing op translation, an op form
# or element type it declares unsupported, or a missing kernel:
# - frontend: "No conversion rule found for operations: Foo-17"
# - frontend: "Unsupported data type FLOAT8E4M3FNUZ expected: ...", "Unsupported padding mode: [wrap]",
#   "... coordinate transformation mode is not supported", "GridSample is only supported for 4D input
#   tensors", "'split' input must be a constant" (it needs some inputs constant)
# - CPU plugin: "CPU plug-in doesn't support Unsqueeze operation with dynamic rank",
#   "Supported primitive descriptors list is empty for node" (no kernel for these types)
# - core op validation listing the element types an op takes: "FFT op input element type must be
#   f32, f16, or bf16" (a float64 DFT: review 22)
_GAP = re.compile(
    r"No conversion rule found for operations"
    r"|Unsupported data type"
    r"|Unsupported (?:input |output )?precision"
    r"|unsupported element type"
    r"|Unsupported \w+ mode"
    r"|\bis not supported\b"
    r"|\bis only supported for\b"
    r"|input must be a (?:scalar or \S+ )?constant"
    r"|plug-in doesn't support"
    r"|Supported primitive descriptors list is empty"
    r"|element type must be (?:bf16|[fiu]\d+)(?:,? (?:or )?(?:bf16|[fiu]\d+))+",
    re.I,
)

CONFIG = {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": "1"}

#: settings added to CONFIG, as JSON, from the environment: the localizer turns a subsystem of the
#: CPU plugin off with them (SUBSYSTEMS), in a process of its own
CONFIG_ENV = "ONNXFUZZ_OPENVINO_CONFIG"

#: parts of the CPU plugin that its settings turn off, by the words a report names them with: its
#: low precision transformations (the quantized-model rewrites) and its snippets (the subgraphs it
#: fuses and compiles); neither changes what a model computes, only how
SUBSYSTEMS = {"the CPU plugin's low precision transformations": {"LP_TRANSFORMS_MODE": "NO"},
              "the CPU plugin's snippets": {"SNIPPETS_MODE": "DISABLE"}}


def _config() -> dict:
    import json
    import os

    extra = os.environ.get(CONFIG_ENV)
    return {**CONFIG, **json.loads(extra)} if extra else CONFIG


class OpenVinoCpu(Runtime):
    name = "openvino"
    # the CPU plugin's documented integer inference precision is i32 (the "Supported Inference
    # Data Types" of its CPU device page): int64 values past int32 wrap there by design
    int64_limit = 2**31 - 1
    requires = ("openvino",)
    imports = ("openvino",)

    def load(self, model: bytes):
        import onnx

        outputs = [o.name for o in onnx.load_model_from_string(model).graph.output]
        core = _core()
        compiled = core.compile_model(core.read_model(model), "CPU", _config())
        return _Session(compiled, _output_order(compiled, outputs))

    def input_names(self, session):
        return [p.get_any_name() for p in session.compiled.inputs]

    def run(self, session, feeds):
        import numpy as np

        result = session.compiled(feeds)
        return [np.asarray(result[session.compiled.outputs[i]]) for i in session.order]

    def is_unsupported(self, error):
        return bool(_GAP.search(str(error)))

    def repro_source(self) -> str:
        """A standalone run_model() for bug repros (imports openvino only)."""
        return f'''
def run_model(model_bytes, feeds):
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(core.read_model(model_bytes), "CPU", {CONFIG!r})
    result = compiled({{p.get_any_name(): feeds[p.get_any_name()] for p in compiled.inputs}})
    return [result[o] for o in compiled.outputs]
'''


class _Session:
    def __init__(self, compiled, order: list[int]) -> None:
        self.compiled, self.order = compiled, order


def _output_order(compiled, names: list[str]) -> list[int]:
    """For each graph output in order, the index of the compiled output that carries it.

    Matched by tensor name (a compiled output may carry several names); when a
    name cannot be found, by position.
    """
    ports = list(compiled.outputs)
    order = []
    for i, name in enumerate(names):
        found = [j for j, p in enumerate(ports) if name in p.get_names()]
        order.append(found[0] if found else min(i, len(ports) - 1))
    return order


_CORE = None


def _core():
    global _CORE
    if _CORE is None:
        import openvino as ov

        _CORE = ov.Core()
    return _CORE
