"""`onnxfuzz check`: a user's ONNX model through every transformer and runtime, judged by the campaign's oracle.

The model runs on every selected runtime at several draws of inputs (or the
user's own); each transformer's output runs on the runtimes where the model
itself passed, so a transformer is never blamed for its input's faults. Each
failure is blamed with the campaign's rules (a runtime is at fault when another
runtime family runs the same model correctly; a transformer when its input runs
correctly on a runtime and its output does not, or its output is invalid),
reduced while it still holds, and can be filed as a bug folder.

Jobs run on the campaign's supervised workers (fuzzer.campaign.supervisor):
one job settles the reference and judges the model itself; then one job per
transformer, reusing that reference.
"""
from __future__ import annotations

import io
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fuzzer.check.model import MODEL, ModelSpec, opset_of
from fuzzer.errors import UsageError
from oracles import Kind, Stage, Verdict
from oracles.evidence import runtime_family
from oracles.verdict import normalize_error, path_family

__all__ = ["CRASHES", "Blame", "CheckReport", "Checker", "Row", "blame", "load_inputs", "load_model"]


@dataclass
class Blame:
    system: str | None  # None: ambiguous, not filed
    role: str  # runtime | transformer | ""
    reason: str
    #: the runtime that runs the model correctly where the blamed one fails: a reduction keeps it passing
    witness: str | None = None


@dataclass
class Row:
    verdict: Verdict
    blame: Blame | None = None
    reduced: dict | None = None  # what reduction made of it: nodes before/after, where it was written
    filed: str | None = None

    @property
    def transformer(self) -> str | None:
        steps = self.verdict.path.split(">")
        return steps[1] if len(steps) > 1 else None

    def key(self) -> tuple:
        """One failure, whatever draw or opset showed it: (path, runtime family, kind, normalized error).
        A transformer's fault is one whichever runtime showed it."""
        v = self.verdict
        runtime = "" if self.blame is not None and self.blame.role == "transformer" else runtime_family(v.runtime)
        return (path_family(v.path), runtime, v.kind.value, normalize_error(v.kind, v.error))

    def to_json(self) -> dict:
        v = self.verdict
        out = {"path": v.path, "runtime": v.runtime, "kind": v.kind.value, "stage": v.stage.value,
               "error": v.error, "stats": v.stats}
        if self.blame is not None:
            out["blame"] = self.blame.__dict__
        if self.reduced is not None:
            out["reduced"] = self.reduced
        if self.filed is not None:
            out["filed"] = self.filed
        return out


@dataclass
class CheckReport:
    model: str
    opset: int
    nodes: int
    runtimes: list[str]
    transformers: list[str]
    draws: int
    reference: str
    mode: str
    rows: list[Row] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failures(self) -> list[Row]:
        return [r for r in self.rows if r.verdict.kind.is_failure]

    def to_json(self) -> dict:
        return {"model": self.model, "opset": self.opset, "nodes": self.nodes, "runtimes": self.runtimes,
                "transformers": self.transformers, "draws": self.draws, "reference": self.reference,
                "mode": self.mode, "seconds": round(self.seconds, 2), "failures": len(self.failures),
                "rows": [r.to_json() for r in self.rows]}


def load_model(path: Path):
    """The ModelProto at path, checked. Raises UsageError for anything that is not a valid model."""
    import onnx

    if not path.exists():
        raise UsageError(f"{path}: no such file")
    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except Exception as e:
        raise UsageError(f"{path}: not a valid ONNX model: {type(e).__name__}: {str(e).splitlines()[0][:200]}") from None
    from fuzzer.check.reference import input_types

    try:
        input_types(model)
    except ValueError as e:
        raise UsageError(f"{path}: {e}") from None
    return model


def load_inputs(path: Path | None, model) -> bytes | None:
    """The user's --inputs npz as bytes, checked against the model's inputs."""
    if path is None:
        return None
    from fuzzer.check.reference import input_types

    try:
        given = dict(np.load(str(path)))
    except Exception as e:
        raise UsageError(f"{path}: not a readable .npz file: {type(e).__name__}: {e}") from None
    types = input_types(model)
    missing = sorted(set(types) - set(given))
    if missing:
        raise UsageError(f"{path} lacks values for the model's inputs {missing}")
    for name, t in types.items():
        a = given[name]
        if a.dtype != t.dtype.numpy:
            raise UsageError(f"{path}: input {name!r} is {a.dtype}, the model declares {t.dtype}")
    buf = io.BytesIO()
    np.savez(buf, **{n: given[n] for n in types})
    return buf.getvalue()


class Checker:
    """Runs check jobs on supervised workers; a context manager (it owns worker processes)."""

    def __init__(self, runtimes: list[str], transformers: list[str], draws: int = 3, seed: int = 0, workers: int = 1,
                 stage_timeout: float = 60.0, memory_limit_mb: int = 4096) -> None:
        from fuzzer.campaign.supervisor import Supervisor

        self.runtimes, self.transformers, self.draws, self.seed = runtimes, transformers, draws, seed
        self._tmp = tempfile.TemporaryDirectory(prefix="onnxfuzz-check-")
        self.supervisor = Supervisor(workers, Path(self._tmp.name), stage_timeout, memory_limit_mb, diversity=False)
        self.supervisor.start()
        self._ids = 0
        #: the last check's [(feeds, Reference)]: the draw a failure showed at, for its reduction
        self.draws_used: list = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.supervisor.stop()
        self._tmp.cleanup()

    def _run(self, specs: list[ModelSpec]) -> list:
        pending = list(reversed(specs))
        results = {r.case_id: r for r in self.supervisor.run(lambda: pending.pop() if pending else None,
                                                             time.monotonic() + 24 * 3600, grace=60)}
        return [results.get(s.case_id) for s in specs]

    def _spec(self, model: bytes, **fields) -> ModelSpec:
        self._ids += 1
        return ModelSpec(case_id=self._ids, seed=self.seed, model=model, **{"runtimes": self.runtimes, "draws": self.draws, **fields})

    def check(self, model, name: str = "model.onnx", inputs_npz: bytes | None = None) -> CheckReport:
        """The report on model: its rows, each failure blamed."""
        t0 = time.perf_counter()
        data = model.SerializeToString()
        (base,) = self._run([self._spec(data, inputs_npz=inputs_npz)])
        settled = base.notes.get("settled") if base is not None else None
        if settled is None:  # the reference job itself died: transformers can still crash or emit invalid models
            why = (base.error or "").strip().splitlines()[-1:] if base is not None else ["no result"]
            settled = ([], "none", f"no reference: the reference job failed ({why[0] if why else ''})")
        passed = [v.runtime for v in (base.verdicts if base else []) if v.kind is Kind.PASS]
        jobs = [self._spec(data, runtimes=passed, transformers=[t], settled=settled, inputs_npz=inputs_npz)
                for t in self.transformers]
        results = [base, *self._run(jobs)]
        report = CheckReport(name, opset_of(model), len(model.graph.node), self.runtimes, self.transformers,
                             len(settled[0]), settled[2], settled[1])
        for r in results:
            if r is None:
                continue
            report.rows += [Row(v) for v in r.verdicts]
            if r.status == "error" and r.error:
                report.rows.append(Row(Verdict(Kind.UNSTABLE, Stage.JUDGE, MODEL, "", [],
                                               f"onnxfuzz failed on this job: {r.error.strip().splitlines()[-1]}")))
        cache: dict = {}

        def model_of(path: str):  # the model a row's path ran: the evidence about it (fetched once, on demand)
            if path not in cache:
                cache[path] = model if ">" not in path else self.transformed(model, path)
            return cache[path]

        for row in report.failures:
            row.blame = blame(row, report.rows, model_of, _shapes(settled[0]), settled[0][0][0] if settled[0] else None)
        report.seconds = time.perf_counter() - t0
        self.draws_used = settled[0]
        return report

    def rerun(self, row: Row, candidate, feeds: dict | None):
        """The job that tells whether candidate still shows row's failure: the failing runtime and
        its witness, through row's transformer, at the given feeds (a single draw) where given."""
        runtimes = [row.verdict.runtime] if row.verdict.runtime else []
        witness = row.blame.witness if row.blame is not None else None
        if witness and witness not in runtimes:
            runtimes.append(witness)
        npz = None
        if feeds:
            from fuzzer.check.reference import input_types

            names = set(input_types(candidate))
            buf = io.BytesIO()
            np.savez(buf, **{k: v for k, v in feeds.items() if k in names})
            npz = buf.getvalue()
        transformers = [row.transformer] if row.transformer else []
        spec = self._spec(candidate.SerializeToString(), runtimes=runtimes or self.runtimes, transformers=transformers,
                          inputs_npz=npz, draws=1 if npz else self.draws)
        (result,) = self._run([spec])
        return result

    def transformed(self, model, path: str):
        """model after the transformer of path (a ModelProto), or None where it fails to convert it."""
        import onnx

        transformer = path.split(">")[1]
        data = model.SerializeToString()
        spec = self._spec(data, runtimes=[], transformers=[transformer], draws=1,
                          settled=([], "none", "the transformer's output only"), keep_models=frozenset({path}))
        (result,) = self._run([spec])
        out = result.models.get(path) if result is not None else None
        return onnx.load_model_from_string(out) if out is not None else None

    def holds(self, row: Row, candidate, feeds: dict | None) -> bool:
        """Does candidate still show row's failure (same path, runtime, kind and normalized error),
        with row's witness still passing?"""
        return self.matching(row, self.rerun(row, candidate, feeds)) is not None

    @staticmethod
    def matching(row: Row, result) -> Verdict | None:
        """result's verdict that is row's failure again, or None (also when the witness stopped passing)."""
        if result is None:
            return None
        want = row.verdict
        same = [v for v in result.verdicts if path_family(v.path) == path_family(want.path) and v.runtime == want.runtime
                and v.kind is want.kind and normalize_error(v.kind, v.error) == normalize_error(want.kind, want.error)]
        if not same:
            return None
        witness = row.blame.witness if row.blame is not None else None
        if witness:
            wpath = want.path if row.blame.role == "runtime" else want.path.split(">")[0]
            # against a crash, a witness only has to run the model: with no reference left to judge its
            # values by (a reduced model the reference evaluator cannot run), unstable will do
            ok = (Kind.PASS, Kind.UNSTABLE) if want.kind in CRASHES else (Kind.PASS,)
            if not any(v.kind in ok for v in result.verdicts
                       if v.runtime == witness and path_family(v.path) == path_family(wpath)):
                return None
        return same[0]


def _shapes(draws: list) -> tuple[dict, list] | None:
    """(input shapes fed, output shapes the reference produced) at the first draw, for the IR rules."""
    if not draws or draws[0][1] is None:
        return None
    feeds, ref = draws[0]
    return {k: tuple(np.shape(a)) for k, a in feeds.items()}, [tuple(np.shape(t)) for t in ref.truth]


#: a refusal to load or run: against it, a witness only has to run the model
CRASHES = (Kind.LOAD_CRASH, Kind.RUN_CRASH)


def blame(row: Row, rows: list[Row], model_of=None, shapes=None, feeds: dict | None = None) -> Blame:
    """Who is at fault for a failing row, by the campaign's rules (oracles.evidence), from the other
    rows of the same check and, where model_of is given, the models themselves.

    A runtime is at fault when a runtime of another family (or its own kin at other settings) runs
    the same model correctly; against a refusal to load or run, not the lenient reference evaluator
    alone, and kernel gaps witness nothing. A transformer is at fault when its output is invalid
    (the full checker, the IR rules it skips, an op's input constraints) or fails to convert, or
    when its output fails on a runtime that ran its input correctly and on every other runtime
    that genuinely runs it. A checker failure inside an op's function body that the op alone
    shows too is the ONNX spec's ("onnx (function body of <Op>)"). The user's own model is never
    blamed: a fault of it is reported, not filed.

    model_of: path -> ModelProto (or None), the model a row's path ran; shapes: (fed input shapes
    by name, correctly produced output shapes), for the IR rules; feeds: the inputs of the first
    draw, for the values that reach an op's constrained inputs.
    """
    from oracles.evidence import (REFUSALS, constraint_breaks, function_body_fault, model_faults, on_same_model,
                                  type_contradiction)

    v = row.verdict
    t = row.transformer
    fed, produced = shapes if shapes is not None else (None, None)

    def model(path: str):
        return model_of(path) if model_of is not None else None

    if t is not None and not v.runtime:
        what = "fails to convert it" if v.kind is Kind.CONVERT_CRASH else "emits a model the checker rejects"
        if v.kind is Kind.INVALID_MODEL:
            out = model(v.path)
            spec = function_body_fault(out, v.error) if out is not None else None
            if spec is not None:
                op, dtype = spec
                return Blame("onnx", "spec", f"onnx (function body of {op}): {op} alone at {dtype} fails the full checker "
                                             f"inside its function body, however it is built; {t} only emitted the op")
        base = v.path.split(">")[0]
        ran = [r.verdict.runtime for r in rows if r.verdict.path == base and r.verdict.kind is Kind.PASS]
        ran.sort(key=lambda name: runtime_family(name) == "onnx-reference")  # a strict runtime first
        if not ran:
            return Blame(None, "", f"{t} {what}, but its input runs correctly on no runtime")
        return Blame(t, "transformer", f"its input passes the checker and runs correctly on {ran[0]}; {t} {what}", ran[0])
    made = model(v.path)
    if made is not None:
        faults = model_faults(made, fed, produced)
        if faults:
            given = model(v.path.split(">")[0]) if t is not None else None
            if t is not None and not (given is not None and set(faults) <= set(model_faults(given, fed, produced))):
                return Blame(t, "transformer", f"the model {t} wrote is invalid: {'; '.join(faults)}")
            return Blame(None, "", f"the model itself is invalid: {'; '.join(faults)}")
    others = [(r.verdict.runtime, r.verdict.kind) for r in rows if r.verdict.path == v.path and r.verdict.runtime]
    found = on_same_model(v.kind, v.runtime, others, made, feeds)
    contradiction = type_contradiction(made, v.error) if (
        found.at == "model" and not found.broken and made is not None and v.kind in REFUSALS) else ""
    if contradiction:  # as the campaign's blame has it
        return Blame(v.runtime, "runtime", f"{contradiction} ({found.reason})")
    if found.at == "runtime":
        subject = "the transformed model" if t else "the same model"
        return Blame(v.runtime, "runtime", found.reason.replace("the same model", subject), found.witness)
    if t is None:
        what = "the model itself is at fault" if found.at == "model" else "no runtime is shown at fault"
        return Blame(None, "", f"{what}: {found.reason}")
    if found.at == "model":
        given = model(v.path.split(">")[0])
        if v.kind in REFUSALS and given is not None and constraint_breaks(given, feeds):
            return Blame(None, "", f"{found.reason}; the model given to {t} breaks them already")
        return Blame(t, "transformer", f"its input runs correctly on {v.runtime}; its output fails there: {found.reason}")
    if found.at == "alone" and v.kind not in REFUSALS:
        return Blame(t, "transformer", f"its input runs correctly on {v.runtime}; its output computes wrongly there "
                                       f"({found.reason})")
    return Blame(None, "", found.reason)
