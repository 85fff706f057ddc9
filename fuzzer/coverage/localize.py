"""Name the rule at fault: which ONNX Runtime transformer or onnxoptimizer pass makes a check fail.

ONNX Runtime: a session created with `disabled_optimizers=[...]` skips the named
transformers (fuzzer.coverage.onnxruntime reads which ones modified the graph from
the session's log). `ort_transformer_at_fault` bisects over those until the
failure disappears: the transformers that modified the graph in the failing
session, plus the one ORT was applying when session creation raised (a load
crash inside a transformer leaves "Applying graph transformer X" as its last
word). A rule-based transformer ("Level1_RuleBasedTransformer") is named as a
whole: ORT does not log which of its rewrite rules fired.

onnxoptimizer: `onnxoptimizer_pass_at_fault` runs each pass of the list alone;
when no pass fails alone, the shortest failing prefix of the list names its
last pass, at fault given the passes before it.

The check is the caller's: a function of one attempt that says whether the
failure still shows (a load that raises a given error, outputs that differ from
expected ones). `raises` and `differs` build the usual two.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from fuzzer.coverage.onnxruntime import captured_stderr, system, transformers_in
from fuzzer.ir.types import read_npz

_APPLYING = re.compile(r"Applying graph transformer (\S+) on step")


@dataclass
class Localization:
    """Where a failure comes from within one system's rules."""

    system: str
    #: the rules at fault (one, normally); [] when none could be named (see note)
    rules: list[str]
    #: the rules it chose among
    candidates: list[str]
    #: how many sessions or optimizer runs it took
    attempts: int
    #: how the answer was reached, or why there is none
    note: str


@dataclass
class Attempt:
    """One ORT session creation with some transformers disabled: what a check looks at."""

    disabled: list[str]
    session: Any = None
    #: what InferenceSession raised, if it did
    error: BaseException | None = None
    #: the session's creation log (verbose)
    log: str = ""
    #: the optimized model ORT saved (optimized_model_filepath), when it got that far
    optimized: bytes | None = None
    #: transformers the log says modified the graph
    modified: list[str] = field(default_factory=list)


def ort_attempt(model: bytes, level: str, disabled: list[str]) -> Attempt:
    """Create a session at level with the named transformers disabled, keeping its log and optimized model."""
    import onnxruntime as ort

    attempt = Attempt(list(disabled))
    with tempfile.TemporaryDirectory(prefix="onnxfuzz-localize-") as d:
        path = os.path.join(d, "optimized.onnx")
        opts = ort.SessionOptions()
        opts.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 0
        opts.optimized_model_filepath = path
        kwargs = {"disabled_optimizers": list(disabled)} if disabled else {}
        with captured_stderr() as log:
            try:
                attempt.session = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"], **kwargs)
            except Exception as e:
                attempt.error = e
        if os.path.exists(path):
            with open(path, "rb") as f:
                attempt.optimized = f.read()
    attempt.log = log[0]
    _, modified = transformers_in(attempt.log)
    attempt.modified = [t for t in _in_log_order(attempt.log) if t in modified]
    return attempt


def _in_log_order(log: str) -> list[str]:
    seen: list[str] = []
    for name in re.findall(r"GraphTransformer (\S+) modified", log):
        if name not in seen:
            seen.append(name)
    return seen


def _in_progress(log: str) -> str | None:
    """The transformer being applied when the log stops: the one that raised, when creation failed."""
    applying = _APPLYING.findall(log)
    if not applying:
        return None
    last = applying[-1]
    tail = log[log.rfind(f"Applying graph transformer {last}"):]
    return None if re.search(rf"GraphTransformer {re.escape(last)} modified", tail) else last


def ort_transformer_at_fault(model: bytes, fails: Callable[[Attempt], bool], level: str = "ORT_ENABLE_ALL",
                             attempt: Callable[[bytes, str, list[str]], Attempt] = ort_attempt) -> Localization:
    """The ORT transformer whose disabling makes `fails` false, found by bisection.

    Args:
        model: a serialized ModelProto.
        fails: says whether an Attempt still shows the failure.
        level: a GraphOptimizationLevel name.
        attempt: how to create a session (tests inject a fault through it).
    Returns:
        a Localization; its rules are empty when the failure does not show at all, still shows
        with every candidate disabled (a kernel's fault, not a transformer's), or needs several
        transformers disabled at once (then note says which set).
    """
    sys_name = system(level)
    first = attempt(model, level, [])
    count = 1
    if not fails(first):
        return Localization(sys_name, [], [], count, "the check does not fail with every transformer on")
    candidates = list(first.modified)
    stuck = running = _in_progress(first.log) if first.error is not None else None
    if stuck and stuck not in candidates:
        candidates.insert(0, stuck)
    if not candidates:
        return Localization(sys_name, [], [], count, "no transformer modified the graph: not a transformer's fault")
    while True:  # with these disabled, another transformer may take over the same rewrite and fail
        count += 1
        tried = attempt(model, level, candidates)
        if not fails(tried):
            break
        new = [t for t in tried.modified if t not in candidates]
        stuck = _in_progress(tried.log) if tried.error is not None else None
        if stuck and stuck not in candidates and stuck not in new:
            new.insert(0, stuck)
        if not new:
            return Localization(sys_name, [], candidates, count,
                                "still fails with every transformer that modified the graph disabled: not a transformer's fault")
        candidates += new
    pool = list(candidates)
    while len(pool) > 1:
        half = pool[:len(pool) // 2]
        count += 1
        pool = half if not fails(attempt(model, level, half)) else pool[len(pool) // 2:]
    count += 1
    if not fails(attempt(model, level, pool)):
        # an earlier transformer may only make the pattern a later one then rewrites wrongly
        # (CSE merges two Casts, and LayerNormFusion absorbs one into the fused node): then
        # disabling either clears it, and the one at fault is the last of them to rewrite
        alone = []
        for name in candidates:
            if name != pool[0]:
                count += 1
                if fails(attempt(model, level, [name])):
                    continue
            alone.append(name)
        if len(alone) > 1:
            last = running if running in alone else alone[-1]  # the one running when it failed is the last
            return Localization(sys_name, [last], candidates, count,
                                f"disabling any one of {alone} alone makes the failure disappear: {last}, the last "
                                "of them to modify the graph, makes the rewrite that breaks it, and the others its pattern")
        return Localization(sys_name, pool, candidates, count, f"disabling {pool[0]} alone makes the failure disappear (bisection)")
    # no single culprit: the smallest set whose disabling still clears it (each member needed)
    needed = list(candidates)
    for name in list(needed):
        count += 1
        if not fails(attempt(model, level, [t for t in needed if t != name])):
            needed.remove(name)
    return Localization(sys_name, needed, candidates, count,
                        f"the failure disappears only with all of {needed} disabled: each reaches it on its own")


def onnxoptimizer_pass_at_fault(model: bytes, passes: list[str], fails: Callable[[bytes | BaseException], bool],
                                fixed_point: bool = False) -> Localization:
    """The onnxoptimizer pass that makes `fails` true, by running each pass alone.

    Args:
        model: the serialized ModelProto the optimizer was given.
        passes: the pass list that produced the failure, in order.
        fails: given the optimized model's bytes, or what optimize() raised, says whether the failure shows.
    """
    import onnx
    import onnxoptimizer

    from fuzzer.coverage.onnxoptimizer import SYSTEM

    proto = onnx.load_model_from_string(model)

    def run(names: list[str]) -> bytes | BaseException:
        try:
            return onnxoptimizer.optimize(proto, names, fixed_point=fixed_point).SerializeToString()
        except Exception as e:
            return e

    count = 1
    if not fails(run(passes)):
        return Localization(SYSTEM, [], list(passes), count, "the check does not fail with the whole pass list")
    alone = []
    for name in passes:
        count += 1
        if fails(run([name])):
            alone.append(name)
    if alone:
        return Localization(SYSTEM, alone, list(passes), count, "fails with this pass alone")
    for end in range(1, len(passes) + 1):
        count += 1
        if fails(run(passes[:end])):
            # the last pass of the shortest failing prefix only shows what an earlier one did
            # (eliminate_consecutive_idempotent_ops, then any of eliminate_nop_concat,
            # eliminate_nop_reshape or eliminate_shape_op: reviews 12 and 13): the passes the
            # failure needs are those of the prefix that cannot be left out, in their order
            needed, dropped = passes[:end], True
            while dropped:  # until no pass left can go: every one of them is needed
                dropped = False
                for name in list(needed):
                    count += 1
                    fewer = [p for p in needed if p != name]
                    if fails(run(fewer)):
                        needed, dropped = fewer, True
            return Localization(SYSTEM, needed, list(passes), count,
                                f"no pass fails alone; it fails with {needed} together, and without any one of them "
                                f"it does not")
    return Localization(SYSTEM, [], list(passes), count, "no prefix of the pass list fails: fixed_point or ordering")


def raises(pattern: str) -> Callable[[Any], bool]:
    """A check that fails when the attempt raised (or is) an error whose text matches pattern."""
    rx = re.compile(pattern)

    def check(attempt) -> bool:
        error = attempt.error if isinstance(attempt, Attempt) else attempt
        return isinstance(error, BaseException) and bool(rx.search(f"{type(error).__name__}: {error}"))

    return check


def raises_running(pattern: str, model: bytes, inputs: dict) -> Callable[[Attempt], bool]:
    """A check that fails when the attempt's session, run on inputs, raises an error matching
    pattern (or its creation already did)."""
    loads = raises(pattern)
    names = None

    def check(attempt: Attempt) -> bool:
        nonlocal names
        if attempt.session is None:
            return loads(attempt)
        names = names or [i.name for i in attempt.session.get_inputs()]
        feeds = {n: inputs[n] for n in names} if all(n in inputs for n in names) else dict(zip(names, inputs.values()))
        try:
            attempt.session.run(None, feeds)
        except Exception as e:
            return loads(e)
        return False

    return check


def crashes_on(runtime: str, pattern: str, inputs: dict) -> Callable[[Any], bool]:
    """A check of a tool's output (a serialized model, or what the tool raised): it fails when the
    runtime the bug was filed on, loading it and running it on inputs, raises an error matching
    pattern. The filed runtime, not ONNX Runtime: a model the reference evaluator rightly refuses
    (a Reshape whose shape cannot hold its data) may run on a lenient ORT kernel."""
    from fuzzer.plugin import load_plugin

    plugin = load_plugin("runtime", runtime)
    matches = raises(pattern)

    def check(out) -> bool:
        if not isinstance(out, (bytes, bytearray)):
            return False
        try:
            session = plugin.load(bytes(out))
            names = plugin.input_names(session)
            feeds = {n: inputs[n] for n in names} if all(n in inputs for n in names) else dict(zip(names, inputs.values()))
            plugin.run(session, feeds)
        except Exception as e:
            return matches(e)
        return False

    return check


def differs(feeds: dict[str, np.ndarray], expected: list[np.ndarray], rtol: float = 1e-4, atol: float = 1e-5) -> Callable[[Attempt], bool]:
    """A check that fails when an ORT session's outputs differ from expected (or it cannot run)."""

    def check(attempt: Attempt) -> bool:
        if attempt.session is None:
            return True
        try:
            names = [i.name for i in attempt.session.get_inputs()]
            got = attempt.session.run(None, {n: feeds[n] for n in names})
        except Exception:
            return True
        if len(got) != len(expected):
            return True
        return any(g.shape != e.shape or not np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
                   for g, e in zip(got, expected))

    return check


def localize_bug(folder) -> Localization | None:
    """The rule at fault in a filed bug folder (bugs/<id>/: case.json, model.onnx, inputs.npz), for
    a bug of ONNX Runtime (a runtime at some optimization level, or its offline optimizer) or of an
    onnxoptimizer plugin; None for a system that exposes no rules here.

    The check is the bug's own symptom: a crash whose error starts like the filed one, or
    outputs that differ from ONNX Runtime's with every optimization disabled.
    """
    import json
    from pathlib import Path

    from fuzzer.plugin import load_plugin

    folder = Path(folder)
    bug = json.loads((folder / "case.json").read_text())["bug"]
    try:
        plugin = load_plugin("runtime" if bug["role"] == "runtime" else "converter", bug["system"])
    except Exception:
        return None
    level = getattr(plugin, "level", None)
    if level not in LEVELS_OF_ORT and not hasattr(plugin, "pass_list"):
        return None
    model = (folder / "model.onnx").read_bytes()
    first_line = bug["error"].strip().splitlines()[0] if bug["error"].strip() else ""
    crash = bug["kind"].endswith("_crash") and first_line
    check = raises(error_pattern(first_line)) if crash else None
    if crash and bug.get("stage") == "run" and level in LEVELS_OF_ORT:
        # a kernel refusing what a transformer made (FastGelu of a 0-d input after FastGeluFusion):
        # the session loads, and the filed error comes when it runs on the bug's inputs
        check = raises_running(error_pattern(first_line), model, filed_inputs(folder))
    if bug["kind"] == "invalid_model":  # what the tool writes fails the full checker
        check = invalid_output
    if level in LEVELS_OF_ORT:
        if check is None:
            feeds, expected = _noopt_outputs(model, filed_inputs(folder))
            check = differs(feeds, expected)
        return ort_transformer_at_fault(model, check, level)
    if hasattr(plugin, "pass_list"):
        passes = plugin.pass_list()
        if crash and bug.get("stage") in ("load", "run"):
            # the pass list's output is what fails to load or run, on the runtime it was filed on
            check = crashes_on(bug.get("runtime") or "onnxruntime-noopt", error_pattern(first_line), filed_inputs(folder))
        if check is None:
            feeds, expected = _noopt_outputs(model, filed_inputs(folder))

            def check(out) -> bool:
                if isinstance(out, BaseException):
                    return False
                return differs(feeds, expected)(ort_attempt(out, "ORT_DISABLE_ALL", []))
        return onnxoptimizer_pass_at_fault(model, passes, check, getattr(plugin, "fixed_point", False))
    return None


def invalid_output(out) -> bool:
    """Does a tool's output (an Attempt's optimized model, or a pass list's serialized model)
    fail the full checker? An error or no output is not this failure."""
    import onnx

    data = out.optimized if isinstance(out, Attempt) else out
    if not isinstance(data, (bytes, bytearray)) or not data:
        return False
    try:
        onnx.checker.check_model(onnx.load_model_from_string(data), full_check=True)
    except Exception:
        return True
    return False


def error_pattern(line: str) -> str:
    """A regex for an error line, blind to what minimizing a model (or a filed folder's plain
    names) changes: the names in parentheses ("Node (t5_q)") or quotes ("Node input 't4'") and
    numbers."""
    parts = re.split(r"(\([^)]*\)|'[^']*'|\"[^\"]*\"|\d+)", line[:160])

    def part(p: str) -> str:
        if p.startswith("("):
            return r"\([^)]*\)"
        if p.startswith("'"):
            return r"'[^']*'"
        if p.startswith('"'):  # tract quotes node names so: Failed analyse for node #6 "_n9"
            return r'"[^"]*"'
        return r"\d+" if p.isdigit() else re.escape(p)

    return "".join(part(p) for p in parts if p)


LEVELS_OF_ORT = ("ORT_DISABLE_ALL", "ORT_ENABLE_BASIC", "ORT_ENABLE_EXTENDED", "ORT_ENABLE_ALL")


def filed_inputs(folder) -> dict:
    """A bug folder's inputs (inputs.npz) at the size the bug failed at: a failure found with
    dynamic dims may show only at another size than the base one, whose arrays inputs.npz keeps
    as "<name>@<k>" for the plan's k-th size (fuzzer.report.writer)."""
    import json
    from pathlib import Path

    folder = Path(folder)
    given = read_npz(folder / "inputs.npz")
    plan = json.loads((folder / "case.json").read_text())["bug"].get("dynamic") or {}
    sizes = plan.get("sizes") or []
    failing = plan.get("failing_size")
    suffix = f"@{sizes.index(failing)}" if failing in sizes else None
    if suffix is not None and any(k.endswith(suffix) for k in given):
        return {k[: -len(suffix)]: v for k, v in given.items() if k.endswith(suffix)}
    return {k: v for k, v in given.items() if "@" not in k}


def _noopt_outputs(model: bytes, inputs):
    """(feeds, outputs) of ORT with every optimization disabled on the bug's inputs (a folder's
    filed_inputs, or an .npz path)."""
    session = ort_attempt(model, "ORT_DISABLE_ALL", []).session
    given = dict(inputs) if isinstance(inputs, dict) else read_npz(inputs)
    names = [i.name for i in session.get_inputs()]
    feeds = {n: given[n] for n in names} if all(n in given for n in names) else dict(zip(names, given.values()))
    return feeds, session.run(None, feeds)


if __name__ == "__main__":  # python -m fuzzer.coverage.localize BUG_FOLDER...: the rule at fault in each
    import sys

    for path in sys.argv[1:]:
        try:
            found = localize_bug(path)
        except Exception as e:  # a folder this cannot read says so and the others go on
            print(path, f"cannot localize: {type(e).__name__}: {e}"[:300])
            continue
        print(path, "-" if found is None else f"{found.system}: {found.rules or 'none'} ({found.note}; {found.attempts} attempts)")
