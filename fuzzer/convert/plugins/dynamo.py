"""torch.onnx.export with the dynamo (torch.export) exporter, with its optimizer on and off.

`dynamo` runs the exporter's ONNX optimizer (onnxscript's: constant folding,
dead-code removal, function inlining); `dynamo-noopt` exports without it.
The difference between the two blames a bug on the exporter's translation
or on its optimizer.
"""
from __future__ import annotations

import functools
import os
import re

import numpy as np

from fuzzer.convert.base import EXPORTERS_FUSIONS, EXPORTERS_OPTIMIZER, Exporter, ExportRequest

# ops without a translation: "No decompositions registered", "not supported"; and dims that
# torch.export cannot keep dynamic ("Constraints violated", "specialized it to be a constant",
# or our own check below): the graph is not dynamic for torch.export, which is no bug
_GAP = re.compile(
    r"no decompositions registered|is not supported|unsupported operator|DispatchError"
    # torchlib's explicit refusals of an op form: "only 4D query, key, and value are supported",
    # "... not implemented if/for ..."
    r"|\bonly [\w ,]{1,60} (?:is|are) supported\b|\bnot implemented (?:if|for|when)\b"
    r"|constraints violated|specialized it to be a constant|specializ\w* (the )?dynamic dim",
    re.I,
)


class Specialized(RuntimeError):
    """torch.export kept a dim static that the request marked dynamic."""


def dynamic_shapes(request: ExportRequest):
    """request.dynamic as torch.export's dynamic_shapes: one Dim per symbol, shared where
    the symbol is, in forward() argument order; None when nothing is dynamic."""
    import torch

    if not any(request.dynamic.get(n) for n in request.input_names):
        return None
    dims: dict = {}
    spec = []
    for name in request.input_names:
        axes = request.dynamic.get(name) or {}
        spec.append({int(ax): dims.setdefault(sym, torch.export.Dim(sym)) for ax, sym in axes.items()} or None)
    return tuple(spec)


def check_dynamic(model, request: ExportRequest) -> None:
    """Raise Specialized when a dim the request marked dynamic came out with a fixed size
    (torch.onnx.export falls back to a static export rather than failing)."""
    inputs = {i.name: i for i in model.graph.input}
    for name in request.input_names:
        for ax, sym in (request.dynamic.get(name) or {}).items():
            dim = inputs[name].type.tensor_type.shape.dim[int(ax)] if name in inputs else None
            if dim is not None and dim.HasField("dim_value"):
                raise Specialized(f"torch.export specialized dynamic dim {sym} ({name}[{ax}]) to {dim.dim_value}")


def reuse_torchlib_registry() -> None:
    """Build the exporter's torchlib registry once per process and opset, not once per export.

    torch.onnx.export rebuilds its aten-to-ONNX registry from torchlib on every call
    (ONNXRegistry.from_torchlib: about 0.45 s, most of a small model's export), and only
    reads it afterwards (dispatch, decomposition). A campaign worker exports thousands of
    models, so the plugin keeps the first registry built for each opset. The registry's
    content is the same either way; ONNXFUZZ_DYNAMO_REGISTRY_CACHE=0 turns the reuse off
    (for measuring it).
    """
    from torch.onnx._internal.exporter import _registration

    installed = _registration.ONNXRegistry.__dict__["from_torchlib"]
    cached = getattr(installed.__func__, "_onnxfuzz_cached", False)
    if os.environ.get("ONNXFUZZ_DYNAMO_REGISTRY_CACHE", "1") == "0":
        if cached:  # installed by a process this one was forked from (the workers' forkserver)
            _registration.ONNXRegistry.from_torchlib = installed.__func__._onnxfuzz_original
        return
    if cached:
        return
    built = functools.lru_cache(maxsize=None)(installed.__func__)

    def from_torchlib(cls, *args, **kwargs):
        return built(cls, *args, **kwargs)

    from_torchlib._onnxfuzz_cached = True
    from_torchlib._onnxfuzz_original = installed
    _registration.ONNXRegistry.from_torchlib = classmethod(from_torchlib)


#: the set reuse_valid_cia_ops keeps, under the state of torch it was computed in
_CIA_KEPT: dict = {}


def reuse_valid_cia_ops() -> None:
    """Collect torch's preservable CompositeImplicitAutograd ops once per process, not twice per export.

    torch.export's decompositions ask torch._export.utils._collect_all_valid_cia_ops for
    that set twice in every torch.onnx.export (splitting the decomposition table, and
    materializing the default one): it walks every operator namespace and re-queries the
    C++ dispatcher each time (about 0.1 s per export). The set changes only when operators
    are registered or a new namespace is touched, so it is kept under a key of exactly those
    (the namespaces torch.ops knows, and the dispatcher's CompositeImplicitAutograd
    registrations) and recomputed when the key changes. Callers get a copy: torch's own
    callers only read it. ONNXFUZZ_DYNAMO_CIA_CACHE=0 turns the reuse off (for measuring it).
    """
    import torch
    import torch.export.decomp_utils
    import torch.export.exported_program
    from torch._export import utils

    # the two modules that call it imported the name itself: patch it where it is looked up
    modules = (utils, torch.export.exported_program, torch.export.decomp_utils)
    collect = utils._collect_all_valid_cia_ops
    if os.environ.get("ONNXFUZZ_DYNAMO_CIA_CACHE", "1") == "0":
        if getattr(collect, "_onnxfuzz_cached", False):  # installed by the process this one was forked from
            for module in modules:
                if getattr(module, "_collect_all_valid_cia_ops", None) is collect:
                    module._collect_all_valid_cia_ops = collect.__wrapped__
        return
    if getattr(collect, "_onnxfuzz_cached", False):
        return
    kept = _CIA_KEPT

    def state():
        return (tuple(torch.ops._dir),
                frozenset(torch._C._dispatch_get_registrations_for_dispatch_key("CompositeImplicitAutograd")))

    def collect_all_valid_cia_ops():
        found = kept.get(state())
        if found is None:
            found = frozenset(collect())
            kept.clear()
            kept[state()] = found  # the state it leaves: collecting touches namespaces itself
        return set(found)

    collect_all_valid_cia_ops._onnxfuzz_cached = True
    collect_all_valid_cia_ops.__wrapped__ = collect
    for module in modules:
        if getattr(module, "_collect_all_valid_cia_ops", None) is collect:
            module._collect_all_valid_cia_ops = collect_all_valid_cia_ops


def warm_caches() -> None:
    """Fill both per-process caches ahead of any export: the registry of every opset the
    plugin exports to (about 0.45 s each) and the CIA ops. The workers' forkserver does this
    once (fuzzer.campaign.preload), so that a worker forked to replace a dead one does not
    pay it again. Each cache is filled only where its variable leaves it on; a worker whose
    environment turns one off undoes it at its first export (the reuse functions above)."""
    reuse_torchlib_registry()
    reuse_valid_cia_ops()
    if os.environ.get("ONNXFUZZ_DYNAMO_REGISTRY_CACHE", "1") != "0":
        from torch.onnx._internal.exporter import _registration

        for opset in DynamoExporter.opsets:
            _registration.ONNXRegistry.from_torchlib(opset_version=opset)  # torch.onnx.export's spelling
    if os.environ.get("ONNXFUZZ_DYNAMO_CIA_CACHE", "1") != "0":
        from torch._export import utils

        utils._collect_all_valid_cia_ops()


class DynamoExporter(Exporter):
    name = "dynamo"
    requires = ("torch", "onnx", "onnxscript")
    imports = ("torch.onnx", "onnxscript")
    # Below 18 the exporter goes through the version converter, whose missing
    # adapters are a limit of that tool, not a bug: keep to native opsets.
    opsets = tuple(range(18, 24))
    optimize = True
    #: honours ExportRequest.dynamic
    supports_dynamic = True
    #: torch.export and the torchlib registry cost about half a second per export whatever the size
    batchable = True

    def export(self, request: ExportRequest) -> bytes:
        import torch

        from fuzzer.coverage.torch_exporters import instrument_dynamo

        instrument_dynamo()  # once per process: its dispatcher records each aten op's torchlib function
        reuse_torchlib_registry()
        reuse_valid_cia_ops()
        if self.optimize:
            from fuzzer.coverage.onnxscript_rewriter import instrument

            instrument()  # and the rewrite rules its optimizer (onnxscript's) fires
        with torch.no_grad():
            program = torch.onnx.export(
                request.module,
                request.args,
                dynamo=True,
                opset_version=request.opset,
                input_names=request.input_names,
                output_names=request.output_names,
                optimize=self.optimize,
                dynamic_shapes=dynamic_shapes(request),
                verbose=False,
                report=False,
            )
        check_dynamic(program.model_proto, request)
        return program.model_proto.SerializeToString()

    def is_unsupported(self, error: BaseException) -> bool:
        return bool(_GAP.search(f"{type(error).__name__}: {error}"))

    def upstream_fault(self, request: ExportRequest, error: str) -> str | None:
        """The part of torch the exporter runs before any torchlib function, when it alone
        raises what the export did: torch.export capturing the module, or torch's
        decompositions of the captured program as the exporter asks for them (functionalizing
        aten::polygamma_, or torch._refs.rsub making sub(2.5, x) of an int tensor, is torch's
        defect, not the ONNX translation's)."""
        import torch
        from torch.onnx._internal.exporter import _core, _registration

        from fuzzer.convert.base import fails_the_same
        from oracles import Kind

        # the exporter wraps each step's error and names the step: its own words then say which
        # step failed (and that steps 1 and 2 belong to torch.export), where the wrapped error's
        # text is not kept in the first line
        captured = "Failed to export the model with torch.export" in error
        decomposed = "Failed to decompose the FX graph" in error
        with torch.no_grad():
            try:
                program = torch.export.export(request.module, tuple(request.args), dynamic_shapes=dynamic_shapes(request))
            except Exception as e:
                return "torch.export" if captured or fails_the_same(Kind.EXPORT_CRASH, e, error) else None
            try:  # the exporter's own step 2: decompositions, then explicit type promotion
                _core._prepare_exported_program_for_export(program, registry=_registration.ONNXRegistry.from_torchlib())
            except Exception as e:
                return "torch's decompositions" if decomposed or fails_the_same(Kind.EXPORT_CRASH, e, error) else None
            if self.optimize:
                # the exporter's last step runs onnxscript's optimizer on the translated model: an
                # export that passes without it crashed in one of that optimizer's rules (review 11:
                # _broadcast_to_matmul indexing the shape of a 0-d bilinear input)
                try:
                    plain = torch.onnx.export(request.module, request.args, dynamo=True, opset_version=request.opset,
                                              input_names=request.input_names, output_names=request.output_names,
                                              optimize=False, dynamic_shapes=dynamic_shapes(request), verbose=False,
                                              report=False)
                except Exception:  # noqa: BLE001 - the translation itself fails: the exporter's
                    return None
                # named only when the onnxscript-optimizer transformer fails the same way on that
                # model, so that its path files the crash (the exporter also runs onnxscript's
                # fusions, which that transformer does not: a fusion's crash stays the exporter's)
                from fuzzer.plugin import load_plugin

                try:
                    load_plugin("converter", "onnxscript-optimizer").transform(plain.model_proto.SerializeToString(), request.opset)
                except Exception as e:  # noqa: BLE001 - any failure is evidence; fails_the_same judges it
                    from oracles import normalize_error

                    return EXPORTERS_OPTIMIZER if fails_the_same(Kind.CONVERT_CRASH, e, normalize_error(Kind.CONVERT_CRASH, error)) else None
                return None
        return None

    def upstream_wrong(self, request: ExportRequest) -> str | None:
        """torch.export's program or the program as the exporter decomposes it, run eagerly,
        when it already fails or computes otherwise than the module: a decomposition that
        multiplies a bool source by alpha and index_puts an int64 into a bool tensor (review 7)
        is torch's defect, and the ONNX model merely translates it. A guard the decomposition
        takes on a size (adaptive pooling for sizes divisible by its output) and the exporter
        drops is the exporter's: a guard failure counts for nothing here."""
        import torch
        from torch.onnx._internal.exporter import _fx_passes, _registration

        def same(a, b) -> bool:
            a, b = (a if isinstance(a, (tuple, list)) else (a,)), (b if isinstance(b, (tuple, list)) else (b,))
            return len(a) == len(b) and all(
                x.shape == y.shape and x.dtype == y.dtype
                and torch.allclose(x.double(), y.double(), rtol=tolerance(x), atol=tolerance(x), equal_nan=True)
                for x, y in zip(a, b))

        def tolerance(x) -> float:  # two orders of rounding of the output's type, at least 1e-3
            return max(1e-3, 100 * torch.finfo(x.dtype).eps) if x.is_floating_point() else 0.0

        args = tuple(request.args)
        with torch.no_grad():
            try:
                want = request.module(*args)
                program = torch.export.export(request.module, args, dynamic_shapes=dynamic_shapes(request))
            except Exception:  # not this question's: an export crash has upstream_fault
                return None
            try:
                if not same(program.module()(*args), want):
                    return "torch.export"
            except Exception as e:
                return None if "Guard failed" in str(e) else "torch.export"
            try:
                with torch.fx.experimental._config.patch(backed_size_oblivious=True):  # as the exporter decomposes
                    decomposed = _fx_passes.decompose_with_registry(program, _registration.ONNXRegistry.from_torchlib())
                got = decomposed.module()(*args)
            except Exception as e:
                return None if "Guard failed" in str(e) else "torch's decompositions"
            if not same(got, want):
                return "torch's decompositions"
        return self._optimizer_wrong(request, want, same) if self.optimize else None

    def _optimizer_wrong(self, request: ExportRequest, want, same) -> str | None:
        """The optimizer the exporter runs last (onnxscript's optimize_ir, then its fusions),
        when the export without it computes the module's result on a runtime that runs it and
        the export with it does not there (review 17: its ScatterAllStatic rule dropping a
        ScatterND's reduction was blamed on the translation), or when the export with it is an
        invalid model and the plain one is not (review 21). EXPORTERS_OPTIMIZER when onnxscript's
        optimizer transformer alone makes the plain model wrong or invalid too (its path files the
        defect under its rule); EXPORTERS_FUSIONS when that transformer's output is valid and
        computes the result and only the exporter's whole optimization does not; None without
        that evidence."""
        import torch

        from fuzzer.plugin import load_plugin

        def computed(model: bytes, runtime: str):
            # in a process of its own: these are models no case ran, and a runtime may die on one
            from fuzzer.run.alone import run_alone

            ran = run_alone(runtime, model, {n: a.numpy() for n, a in zip(request.input_names, request.args)}, outputs=True)
            if ran.outputs is None:
                raise RuntimeError(ran.raised or "the runtime did not run the model")
            return tuple(torch.from_numpy(np.array(g)) for g in ran.outputs)

        def right(model: bytes, runtime: str) -> bool | None:  # None: the runtime does not run it
            try:
                return same(computed(model, runtime), want)
            except Exception:  # noqa: BLE001 - a refusal is no witness either way
                return None

        import onnx

        def valid(model: bytes) -> bool:
            from oracles.evidence import model_faults

            return not model_faults(onnx.load_model_from_string(model))

        try:
            with torch.no_grad():
                plain = torch.onnx.export(request.module, request.args, dynamo=True, opset_version=request.opset,
                                          input_names=request.input_names, output_names=request.output_names,
                                          optimize=False, dynamic_shapes=dynamic_shapes(request), verbose=False,
                                          report=False).model_proto.SerializeToString()
            optimized = self.export(request)
        except Exception:  # noqa: BLE001 - the evidence could not be had
            return None
        if not valid(optimized):
            # The optimized model is invalid. The optimization broke it when the plain export is
            # valid, within the spec's input constraints and right on a strict runtime (review 21:
            # onnxscript's FuseSuccessiveClip naming two fused bounds alike, one initializer lost).
            # The constraints matter: torchlib's any over axis 0 of a 0-d input computes its axes,
            # which the checker cannot see and ONNX Runtime without constant folding runs; the
            # optimizer only folds them where the checker sees them (bugs/dynamo-invalid-model-d5918f).
            from oracles.evidence import constraint_breaks

            feeds = {n: a.numpy() for n, a in zip(request.input_names, request.args)}
            if not valid(plain) or constraint_breaks(onnx.load_model_from_string(plain), feeds) \
                    or right(plain, "onnxruntime-noopt") is not True:
                return None
            try:
                alone = load_plugin("converter", "onnxscript-optimizer").transform(plain, request.opset)
            except Exception:  # noqa: BLE001 - its crash is its own path's signature
                return None
            if not valid(alone):  # the optimizer's transformer alone breaks it too
                return EXPORTERS_OPTIMIZER
            # the fusions are named only when what the optimizer alone made is right, too
            return EXPORTERS_FUSIONS if right(alone, "onnxruntime-noopt") is True else None
        for runtime in ("onnxruntime-noopt", "onnx-reference"):
            if right(plain, runtime) is not True or right(optimized, runtime) is not False:
                continue
            try:
                alone = load_plugin("converter", "onnxscript-optimizer").transform(plain, request.opset)
            except Exception:  # noqa: BLE001 - its crash is its own path's signature
                alone = None
            judged = right(alone, runtime) if alone is not None else None
            if judged is None:  # the optimizer alone crashed or made what the runtime refuses: no evidence
                return None
            return EXPORTERS_OPTIMIZER if judged is False else EXPORTERS_FUSIONS
        return None

    def repro_source(self) -> str:
        """A standalone export_model() for bug repros (imports torch only)."""
        return f'''
def export_model(model, args, input_names, output_names, opset, dynamic=None):
    # dynamic: {{input name: {{axis: symbol}}}}, the dims the case exported as dynamic
    import torch
    dims = {{}}
    shapes = None
    if dynamic:
        shapes = tuple({{int(a): dims.setdefault(s, torch.export.Dim(s)) for a, s in dynamic.get(n, {{}}).items()}} or None
                       for n in input_names)
    with torch.no_grad():
        program = torch.onnx.export(model, args, dynamo=True, opset_version=opset,
                                    input_names=input_names, output_names=output_names,
                                    optimize={self.optimize!r}, dynamic_shapes=shapes, verbose=False, report=False)
    return program.model_proto.SerializeToString()
'''


class DynamoNoOptExporter(DynamoExporter):
    name = "dynamo-noopt"
    optimize = False
