"""What a maintainer calls the systems onnxfuzz tests, and which of them are deprecated.

A plugin's name (`onnxruntime-noopt`, `version-down`, `onnx-direct`) is onnxfuzz's
shorthand; whatever a maintainer reads (titles, reports, repros) names the system
and its configuration in the maintainer's own words instead.
"""
from __future__ import annotations

#: plugin name -> the system and configuration, as its maintainers would say it
SYSTEM_NAMES = {
    "onnxruntime": "ONNX Runtime",
    "onnxruntime-noopt": "ONNX Runtime with graph optimizations disabled",
    "onnxruntime-basic": "ONNX Runtime with basic graph optimizations",
    "onnxruntime-extended": "ONNX Runtime with extended graph optimizations",
    "onnxruntime-mt": "ONNX Runtime (multi-threaded)",
    "onnx-reference": "the ONNX reference evaluator (onnx.reference)",
    "tract": "tract",
    "openvino": "OpenVINO (CPU)",
    "torchscript": "torch.onnx.export (TorchScript exporter, dynamo=False)",
    "dynamo": "torch.onnx.export (dynamo exporter)",
    "dynamo-noopt": "torch.onnx.export (dynamo exporter, optimize=False)",
    "tf2onnx": "tf2onnx",
    "onnx-direct": "a model written directly in ONNX",
    "float16": "onnxconverter-common's float16 conversion",
    "onnxsim": "onnx-simplifier (onnxsim)",
    "onnxslim": "onnxslim",
    "onnxoptimizer": "onnxoptimizer",
    "onnxscript-optimizer": "the onnxscript optimizer",
    "version-down": "the ONNX version converter (converting to an older opset)",
    "version-up": "the ONNX version converter (converting to a newer opset)",
    "ort-quantize": "ONNX Runtime's dynamic quantization (quantize_dynamic)",
    "ort-offline-basic": "ONNX Runtime's offline graph optimization (basic level)",
    "ort-offline-extended": "ONNX Runtime's offline graph optimization (extended level)",
    "ort-offline-all": "ONNX Runtime's offline graph optimization (all levels)",
}

#: plugin name -> the GitHub repository whose issue tracker takes its bugs
TRACKERS = {
    "onnxruntime": "microsoft/onnxruntime", "onnx-reference": "onnx/onnx", "version-down": "onnx/onnx",
    "version-up": "onnx/onnx", "tract": "sonos/tract", "openvino": "openvinotoolkit/openvino",
    "torchscript": "pytorch/pytorch", "dynamo": "pytorch/pytorch", "dynamo-noopt": "pytorch/pytorch",
    "tf2onnx": "onnx/tensorflow-onnx", "float16": "microsoft/onnxconverter-common",
    "onnxsim": "daquexian/onnx-simplifier", "onnxslim": "inisis/OnnxSlim", "onnxoptimizer": "onnx/optimizer",
    "onnxscript-optimizer": "microsoft/onnxscript", "ort-quantize": "microsoft/onnxruntime",
    "ort-offline-basic": "microsoft/onnxruntime", "ort-offline-extended": "microsoft/onnxruntime",
    "ort-offline-all": "microsoft/onnxruntime",
}


def tracker(name: str) -> str | None:
    """The repository whose issue tracker takes bugs of the system a plugin name stands for."""
    for prefix in (name, name.split("-")[0]):
        if prefix in TRACKERS:
            return TRACKERS[prefix]
    return None


#: plugin name -> why its reports are of less use upstream: the system is deprecated
DEPRECATED = {
    "torchscript": "the TorchScript-based exporter is deprecated: torch.onnx.export defaults to "
                   "dynamo=True (as in torch 2.13, the pinned version)",
}


#: verdict kind (oracles.Kind) -> what it means, in plain words, for a table a maintainer reads
VERDICT_WORDS = {
    "pass": "correct", "unsupported": "not supported (a documented gap)",
    "unstable": "inconclusive (float32 and float64 results disagree)",
    "export_crash": "the export raises", "convert_crash": "the conversion raises",
    "invalid_model": "the model fails the ONNX checker", "load_crash": "fails to load the model",
    "run_crash": "fails to run the model", "hang": "hangs", "oom": "runs out of memory",
    "shape_mismatch": "wrong output shape", "dtype_mismatch": "wrong output type",
    "value_mismatch": "wrong values", "nan_inf": "NaN/Inf where the result is finite",
}


def verdict_words(kind: str) -> str:
    """A verdict kind ("value_mismatch") as a maintainer would say it ("wrong values")."""
    return VERDICT_WORDS.get(str(kind), str(kind).replace("_", " "))


def system_name(name: str) -> str:
    """The system behind a plugin name, in its maintainers' words (the name itself when unknown)."""
    return SYSTEM_NAMES.get(name, name)


def at_fault_words(meta: dict) -> str:
    """Who is at fault, in words: the system, or the component it runs first that fails on its
    own ("torch.jit.trace (run by torch.onnx.export ...)")."""
    who = system_name(meta["system"])
    return f"{meta['component']} (run by {who})" if meta.get("component") else who


def deprecation(name: str) -> str | None:
    return DEPRECATED.get(name)


def path_words(path: str, runtime: str = "") -> str:
    """A campaign path ("torchscript@17>onnxsim", run on "onnxruntime-noopt") in words."""
    steps = path.split(">")
    name, _, opset = steps[0].partition("@")
    if name == "onnx-direct":
        words = f"written directly in ONNX at opset {opset}"
    elif name == "model":
        words = f"the user's model (opset {opset})"
    else:
        words = f"exported by {system_name(name)} at opset {opset}"
    for step in steps[1:]:
        words += f", then converted by {system_name(step)}"
    if runtime:
        words += f"; run on {system_name(runtime)}"
    return words


def explain(text: str) -> str:
    """text with every plugin name in it replaced by the system it stands for."""
    import re

    names = sorted(SYSTEM_NAMES, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(n) for n in names) + r")(?:@\d+)?(?![\w-])")
    # a name inside a system's words already ("float16" in "onnxconverter-common's float16
    # conversion") stays: explaining an explained text again must change nothing
    said = [m.span() for words in set(SYSTEM_NAMES.values()) for m in re.finditer(re.escape(words), text)]

    def replace(m):
        inside = any(a <= m.start() and m.end() <= b for a, b in said)
        return m.group(0) if inside else SYSTEM_NAMES[m.group(1)]

    return pattern.sub(replace, text)


def sentence_start(text: str) -> str:
    """text made to start a sentence: its first letter capitalised, unless it starts with the name
    of a system spelled in lower case (tf2onnx, onnxslim, torch.onnx.export), which stays as
    its project writes it."""
    names = {n.split()[0].split("'")[0] for n in SYSTEM_NAMES.values() if n[:1].islower()} - {"the", "a"}
    first = text.split(" ", 1)[0].split("'")[0]
    return text if first in names else text[:1].upper() + text[1:]
