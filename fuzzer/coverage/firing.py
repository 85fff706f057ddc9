"""Which rules of a system rewrite a given model: what a motif's firing test asks.

Unlike the campaign's coverage recording (sampled, budgeted), this always
looks, and looks the most expensive way when that is the only one: ONNX
Runtime's session log at every optimization level, each onnxoptimizer pass
run alone.
"""
from __future__ import annotations


def fired(system: str, model: bytes) -> set[str]:
    """The rules of system that change model (serialized ONNX)."""
    if system == "onnxruntime":
        from fuzzer.coverage.onnxruntime import LEVELS, session_log, transformers_in

        hits: set[str] = set()
        for level in LEVELS:
            if level == "ORT_DISABLE_ALL":
                continue
            _, log = session_log(model, level)
            hits |= transformers_in(log)[1]
        return hits
    if system == "onnxoptimizer":
        import onnx
        import onnxoptimizer

        from fuzzer.coverage.onnxoptimizer import passes_that_change

        return set(passes_that_change(onnx.load_model_from_string(model), onnxoptimizer.get_available_passes()))
    raise ValueError(f"no firing check for system {system!r}")
