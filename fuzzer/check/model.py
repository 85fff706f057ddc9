"""One check job on a worker: a user's model (or one transformer's output of it) on every runtime.

This is `run_case` for a model onnxfuzz did not generate, and it runs on the
campaign's supervised workers, so a runtime that segfaults, hangs or eats
memory costs one (path, runtime) pair, never the check. The verdicts are the
campaign's (oracles.judge_outputs / judge_error, with each plugin's kernel-gap
test), judged at every draw of inputs; a pair's verdict is its first failing
draw, or a pass carrying the worst mismatch statistics over all draws.

The base job (no transformer) also settles the reference the other jobs use:
  float64    the reference evaluator on a float64 copy, confirmed by another
             runtime family passing against it;
  model      the same, on the model itself (it computes in ints, or its float64
             copy is not a valid model);
  agreement  two runtime families that agree with each other where the
             reference evaluator is missing, fails, or is outvoted;
  none       nothing to judge against: every row is unstable.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass, field, replace

import numpy as np

from fuzzer.case import CaseResult, Job, Progress, _noop
from fuzzer.check import reference as refs
from fuzzer.plugin import load_plugin
from fuzzer.run.base import feeds_for
from oracles import Kind, Stage, Verdict, compare, judge_error, judge_model, judge_outputs
from oracles.evidence import runtime_family

#: the path name of the user's model as given
MODEL = "model"
#: a draw whose float64 truth is not finite is redrawn at most this often
REDRAWS = 5


@dataclass(kw_only=True)
class ModelSpec(Job):
    """A check job: what fuzzer.campaign's supervisor sends a worker instead of a CaseSpec."""

    model: bytes
    runtimes: list[str]
    #: at most one: each transformer's output is its own job
    transformers: list[str] = field(default_factory=list)
    #: the user's own inputs (npz bytes), used as the first draw
    inputs_npz: bytes | None = None
    draws: int = 3
    #: settled by the base job and handed to the transformer jobs: [(feeds, Reference)], mode, note
    settled: tuple | None = None

    def run(self, progress: Progress = _noop) -> CaseResult:
        """What a campaign worker calls for a job that is not a CaseSpec."""
        return run_model_check(self, progress)


def opset_of(model) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


def run_model_check(spec: ModelSpec, progress: Progress = _noop) -> CaseResult:
    import onnx

    t0 = time.perf_counter()
    model = onnx.load_model_from_string(spec.model)
    opset = opset_of(model)
    result = CaseResult(spec.case_id, spec.seed, "judged", ops=sorted({n.op_type for n in model.graph.node}))
    base = f"{MODEL}@{opset}"
    if spec.settled is None:
        _settle(spec, model, base, result, progress)
        if spec.transformers:  # one job for both (a reduction candidate): on the runtimes the model passed
            passed = [v.runtime for v in result.verdicts if v.kind is Kind.PASS]
            _transform_and_run(replace(spec, runtimes=passed), model, base, opset, result.notes["settled"][0],
                               result, progress)
    else:
        draws, mode, note = spec.settled
        result.notes.update(mode=mode, reference=note, draws=len(draws))
        _transform_and_run(spec, model, base, opset, draws, result, progress)
    result.total_seconds = time.perf_counter() - t0
    return result


def _draws(spec: ModelSpec, model) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(spec.seed)
    out = []
    if spec.inputs_npz is not None:
        # the user's inputs (checked against the model beforehand), or a reduction candidate's
        # kept ones: an input a cut made new is drawn
        given = dict(np.load(io.BytesIO(spec.inputs_npz)))
        out.append({**refs.draw_feeds(model, rng), **given})
    while len(out) < spec.draws:
        out.append(refs.draw_feeds(model, rng))
    return out


def _settle(spec: ModelSpec, model, base: str, result: CaseResult, progress: Progress) -> None:
    """The base job: the reference for each draw, the model on every runtime, judged."""
    rng = np.random.default_rng(spec.seed + 1)
    feeds = _draws(spec, model)
    wide = refs.widen(model)
    mode = "float64" if wide is not None else "model"
    draws: list = []
    note = ""
    try:
        for k, f in enumerate(feeds):
            ref = refs.float64_reference(model, wide, f, rng)
            tries = 0
            while ref is None and tries < REDRAWS and not (spec.inputs_npz is not None and k == 0):
                f = refs.draw_feeds(model, rng)
                ref, tries = refs.float64_reference(model, wide, f, rng), tries + 1
            if ref is not None:
                draws.append((f, ref))
    except Exception as e:  # the reference evaluator lacks an op or fails on it: judge by agreement
        note = f"the reference evaluator fails on this model ({type(e).__name__}: {str(e)[:200]})"
        draws, mode = [], "agreement"
    if not draws and mode != "agreement":
        note, mode = "every draw's float64 result is not finite", "agreement"
        draws = [(f, None) for f in feeds]
    elif mode == "agreement":
        draws = [(f, None) for f in feeds]
    outputs = {}
    for rname in spec.runtimes:
        verdict, outs = _on_runtime(rname, spec.model, base, draws, model, progress, spec.skip)
        if verdict is not None:
            result.verdicts.append(verdict)
        outputs[rname] = outs
    if mode != "agreement":
        confirmed = [v.runtime for v in result.verdicts if v.kind is Kind.PASS and runtime_family(v.runtime) != "onnx-reference"]
        # a model whose own float32 result strays from its float64 truth is unstable: runtimes that
        # agree with each other there prove nothing against the reference
        unstable = any(v.kind is Kind.UNSTABLE for v in result.verdicts)
        if confirmed or unstable or not any(outputs.values()):
            note = note or ("float64 reference evaluator" + (f", confirmed by {confirmed[0]}" if confirmed else
                                                             ", numerically unstable" if unstable else ", unconfirmed"))
            _finish(result, draws, mode, note)
            return
        note = "the reference evaluator's result is confirmed by no other runtime"
    agreed = _agreement(outputs, model)
    if agreed is None:
        if mode != "agreement" and draws and draws[0][1] is not None:
            _finish(result, draws, mode, note + "; no two runtime families agree either")
            return
        why = f"no reference: {note or 'no two runtime families agree'}"
        result.verdicts += [Verdict(Kind.UNSTABLE, Stage.JUDGE, base, r, [], why) for r in spec.runtimes if outputs.get(r)]
        _finish(result, [(f, None) for f, _ in draws], "none", note or "no two runtime families agree")
        return
    witness, pair = agreed
    note = (f"{note}; " if note else "") + f"agreement of {pair[0]} and {pair[1]}"
    draws = [(f, refs.agreement_reference(outs, refs.output_dtypes(model), refs.output_ops(model)))
             for (f, _), outs in zip(draws, outputs[witness])]
    # judged again against the agreement; a runtime that raised keeps its verdict
    raised = {v.runtime: v for v in result.verdicts if not outputs.get(v.runtime)}
    result.verdicts = [raised[r] if r in raised else _judge_draws(outputs[r], draws, base, r, None)
                       for r in spec.runtimes if r in raised or outputs.get(r)]
    _finish(result, draws, "agreement", note)


def _finish(result: CaseResult, draws: list, mode: str, note: str) -> None:
    result.notes.update(mode=mode, reference=note, draws=len(draws), settled=(draws, mode, note))
    if any(v.kind is Kind.UNSTABLE for v in result.verdicts) and not result.failures:
        result.status = "unstable"


def _agreement(outputs: dict[str, list], model) -> tuple[str, tuple[str, str]] | None:
    """(runtime whose outputs serve as truth, the agreeing pair) for the first two runtimes of
    different families, neither the reference evaluator, whose outputs agree at every draw."""
    dtypes, ops = refs.output_dtypes(model), refs.output_ops(model)
    names = [n for n, outs in outputs.items() if outs and runtime_family(n) != "onnx-reference"]
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if runtime_family(a) == runtime_family(b):
                continue
            ok = all(judge_outputs(refs.agreement_reference(oa, dtypes, ops), ob, MODEL, b).kind is Kind.PASS
                     for oa, ob in zip(outputs[a], outputs[b]))
            if ok:
                return a, (a, b)
    return None


def _on_runtime(rname: str, model_bytes: bytes, path: str, draws: list, model, progress: Progress, skip,
                precision: str | None = None) -> tuple[Verdict | None, list]:
    """(verdict, outputs per draw) of one runtime on one model; outputs are [] when it raised.
    The verdict is None where a draw has no reference yet (agreement mode decides later)."""
    if (path, rname) in skip:
        return None, []
    runtime = load_plugin("runtime", rname)
    progress(Stage.LOAD, path, rname)
    ops = sorted({n.op_type for n in model.graph.node})
    t0 = time.perf_counter()
    try:
        session = runtime.load(model_bytes)
        names = runtime.input_names(session)
    except Exception as e:
        return judge_error(Stage.LOAD, e, runtime.is_unsupported(e), path, rname, ops, time.perf_counter() - t0), []
    outs = []
    for k, (feeds, _) in enumerate(draws):
        progress(Stage.RUN, path, rname)
        t0 = time.perf_counter()
        try:
            outs.append(runtime.run(session, feeds_for(names, feeds, list(feeds))))
        except Exception as e:
            v = judge_error(Stage.RUN, e, runtime.is_unsupported(e), path, rname, ops, time.perf_counter() - t0)
            return (_on_draw(v, k, len(draws)), [])
    if any(ref is None for _, ref in draws):
        return None, outs
    return _judge_draws(outs, draws, path, rname, precision), outs


def _judge_draws(outs: list, draws: list, path: str, rname: str, precision: str | None) -> Verdict:
    """The first failing draw's verdict, or a pass with the worst statistics over the draws."""
    worst: dict = {}
    for k, (out, (_, ref)) in enumerate(zip(outs, draws)):
        v = judge_outputs(ref, out, path, rname, 0.0, precision)
        if v.kind is not Kind.PASS:
            return _on_draw(v, k, len(draws))
        for i, o in enumerate(out):
            tol, mask = ref.tolerance(i, precision=precision)
            c = compare(np.asarray(o, np.float64), ref.truth[i], tol, mask)
            if not worst or c.needed_scale > worst["needed_scale"]:
                worst = {**c.to_json(), "output": i, "draw": k}
    return Verdict(Kind.PASS, Stage.JUDGE, path, rname, [], "", worst, 0.0)


def _on_draw(v: Verdict, k: int, n: int) -> Verdict:
    if n == 1 or not v.kind.is_failure:
        return v
    return replace(v, error=f"{v.error}\non draw {k + 1} of {n}", stats={**v.stats, "draw": k})


def _transform_and_run(spec: ModelSpec, model, base: str, opset: int, draws: list, result: CaseResult,
                       progress: Progress) -> None:
    for tname in spec.transformers:
        transformer = load_plugin("converter", tname)
        path = f"{base}>{tname}"
        if (path, "") in spec.skip:
            continue
        progress(Stage.CONVERT, path, "")
        t0 = time.perf_counter()
        try:
            out = transformer.transform(spec.model, opset)
        except Exception as e:
            result.verdicts.append(judge_error(Stage.CONVERT, e, transformer.is_unsupported(e), path, "",
                                               result.ops, time.perf_counter() - t0))
            continue
        progress(Stage.CHECK, path, "")
        # the campaign's rules: a type gap the checker names is unsupported, and a transformer's
        # output written for one runtime family is neither checked nor run elsewhere
        verdict = judge_model(out, path)[0] if transformer.output_for is None else None
        if path in spec.keep_models:  # asked for (Checker.transformed): the output goes back to the client
            result.models[path] = out
        if verdict is not None:
            result.verdicts.append(verdict)
            continue
        import onnx

        tmodel = onnx.load_model_from_string(out)
        for rname in spec.runtimes:
            if transformer.output_for is not None and runtime_family(rname) != transformer.output_for:
                continue
            verdict, _ = _on_runtime(rname, out, path, draws, tmodel, progress, spec.skip, transformer.precision)
            if verdict is not None:
                result.verdicts.append(verdict)
