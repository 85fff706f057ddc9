"""Which rules of a system rewrite a given model: what a motif's firing test asks.

Unlike the campaign's coverage recording (sampled, budgeted), this always
looks, and looks the most expensive way when that is the only one: ONNX
Runtime's session log at every optimization level, each onnxoptimizer pass
run alone, each onnxslim fusion pattern run alone.

Systems and how each names its rules:
  onnxruntime    graph transformers, as its verbose session log names them
  onnxoptimizer  passes (get_available_passes()) that change the model run alone
  onnxscript     rules of onnxscript.rewriter's default set whose try_rewrite returned a
                 replacement, or raised, while onnxscript.optimizer.optimize ran (named as
                 fuzzer.coverage.onnxscript_rewriter names them); the rewrite stops at the
                 first rule that raises
  onnxslim       fusion/elimination patterns of onnxslim's registry (FusionConvBN, ...) that
                 change the model when run alone, compared with a run that skips them all
  onnxsim        onnxsim.simplify's default optimizer passes (onnxoptimizer's names, run on
                 onnxsim's own copy after its shape inference and constant folding) that change
                 the graph when they alone are not skipped, compared with skipping them all
  tf2onnx        graph rewriters and optimizers (as fuzzer.coverage.tf2onnx names them) that
                 changed the graph while the tf2onnx converter plugin converted the TF function
                 of an IR graph: tf2onnx converts TensorFlow, so its `model` is the IR graph
                 (fuzzer.ir.Graph) the TF frontend lowers, not an ONNX model
"""
from __future__ import annotations

import contextlib
from typing import Iterable


def fired(system: str, model, only: Iterable[str] | None = None, opset: int = 13) -> set[str]:
    """The rules of system that change model (serialized ONNX; for tf2onnx an IR graph).

    only: look at these rules alone (the systems whose rules are tried one by one, onnxoptimizer,
    onnxslim and onnxsim, then try only those); None for every rule.
    opset: the opset tf2onnx converts to (the other systems read the model's own).
    """
    if system == "tf2onnx":
        return _tf2onnx_rules(model, opset)
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

        names = _among(onnxoptimizer.get_available_passes(), only)
        return set(passes_that_change(onnx.load_model_from_string(model), names))
    if system == "onnxscript":
        return _onnxscript_rules(model)
    if system == "onnxslim":
        return _onnxslim_patterns(model, only)
    if system == "onnxsim":
        return _onnxsim_passes(model, only)
    raise ValueError(f"no firing check for system {system!r}")


def _among(names: list[str], only: Iterable[str] | None) -> list[str]:
    if only is None:
        return list(names)
    wanted = set(only)
    return [n for n in names if n in wanted]


def _onnxscript_rules(model: bytes) -> set[str]:
    """The rules onnxscript.optimizer.optimize applies, as the onnxscript-optimizer transformer
    runs it (its constant folding infers the intermediates' types the rules look at)."""
    import onnx
    import onnx_ir as ir
    from onnxscript import optimizer

    hits: set[str] = set()
    with _recording_rewrites(hits):
        try:
            optimizer.optimize(ir.from_proto(onnx.load_model_from_string(model)))
        except Exception:  # a rule that raises did something to the model: it is among hits
            if not hits:
                raise
    return hits


@contextlib.contextmanager
def _recording_rewrites(hits: set[str]):
    """RewriteRule.try_rewrite wrapped, for the block, to add to hits the name of every rule
    that returns a replacement (the wrapper the coverage recorder may have installed stays
    underneath and keeps recording)."""
    from onnxscript.rewriter import _rewrite_rule

    from fuzzer.coverage.onnxscript_rewriter import _replacement_name, _rule_names

    names = _rule_names()
    original = _rewrite_rule.RewriteRule.try_rewrite

    def try_rewrite(self, *args, **kwargs):
        name = names.get(id(self)) or self.name or _replacement_name(self)
        try:
            replacement = original(self, *args, **kwargs)
        except Exception:  # like an onnxoptimizer pass that raises: the rule matched and broke
            hits.add(name)
            raise
        if replacement is not None:
            hits.add(name)
        return replacement

    _rewrite_rule.RewriteRule.try_rewrite = try_rewrite
    try:
        yield
    finally:
        _rewrite_rule.RewriteRule.try_rewrite = original


def onnxslim_patterns() -> list[str]:
    """The names of onnxslim's registered fusion and elimination patterns."""
    import onnxslim.core.pattern.elimination  # noqa: F401  (registers them)
    import onnxslim.core.pattern.fusion  # noqa: F401
    from onnxslim.core.pattern.registry import DEFAULT_FUSION_PATTERNS

    return list(DEFAULT_FUSION_PATTERNS)


def _onnxslim_patterns(model: bytes, only: Iterable[str] | None = None) -> set[str]:
    import onnx
    from onnxslim.core import optimize
    from onnxslim.core.optimization import OptimizationSettings

    names = onnxslim_patterns()
    OptimizationSettings.reset()  # every pass on: an earlier slim() may have left its skips set

    def run(skip: list[str]) -> bytes:
        try:
            return optimize(onnx.load_model_from_string(model), skip).SerializeToString()
        except Exception as e:  # a pattern that raises did something to the model
            return repr(e).encode()

    base = run(names)
    return {name for name in _among(names, only) if run([n for n in names if n != name]) != base}


def _onnxsim_passes(model: bytes, only: Iterable[str] | None = None) -> set[str]:
    import onnx
    import onnxsim
    from onnxsim.onnx_simplifier import C

    names = list(C._list_optimizers())

    def run(skip: list[str]) -> bytes:
        try:
            out, _ = onnxsim.simplify(onnx.load_model_from_string(model), check_n=0, skipped_optimizers=skip)
        except Exception as e:  # a pass that raises did something to the model
            return repr(e).encode()
        # the graph only: the model's metadata records the skipped list
        return out.graph.SerializeToString()

    base = run(names)
    return {name for name in _among(names, only) if run([n for n in names if n != name]) != base}


def _tf2onnx_rules(graph, opset: int) -> set[str]:
    """The rewriters and optimizers that changed graph's TF function while the tf2onnx plugin
    converted it, read from fuzzer.coverage.tf2onnx's recording into a recorder of its own (the
    case in flight, if any, keeps its hits); also when the plugin then refuses the model for
    a TF op tf2onnx left in it."""
    import os

    from fuzzer import coverage
    from fuzzer.convert.base import ExportRequest
    from fuzzer.convert.plugins.tf2onnx import Tf2OnnxExporter
    from fuzzer.coverage.tf2onnx import OPTIMIZERS, REWRITERS

    request = ExportRequest(graph, {}, [v.name for v in graph.inputs],
                            [f"out{i}" for i in range(len(graph.outputs))], opset)
    saved, saved_env = coverage.RECORDER, os.environ.get("ONNXFUZZ_COVERAGE")
    coverage.RECORDER = coverage.Recorder()
    os.environ["ONNXFUZZ_COVERAGE"] = "1"  # the recording looks, whatever the process says
    exporter = Tf2OnnxExporter()
    try:
        try:
            exporter.export(request)
        except Exception as e:  # a TF op left unconverted: the rules that ran before still count
            if not exporter.is_unsupported(e):
                raise
        hits, _ = coverage.RECORDER.take()
    finally:
        coverage.RECORDER = saved
        if saved_env is None:
            os.environ.pop("ONNXFUZZ_COVERAGE", None)
        else:
            os.environ["ONNXFUZZ_COVERAGE"] = saved_env
    return set(hits.get(REWRITERS, [])) | set(hits.get(OPTIMIZERS, []))
