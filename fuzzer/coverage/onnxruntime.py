"""Rules of ONNX Runtime: the graph transformers that modified a model, per optimization level.

ORT exposes no list of its transformers and no callback, but a session created
with log_severity_level=1 (INFO) writes one line per transformer it applies to
its stderr ("GraphTransformer ConstantFolding modified: 1 with status: OK"), the
unmodified ones included. (Level 0, VERBOSE, adds "Applying graph transformer
X" before each, which localization needs, and costs several times more.) So:
- the inventory of a level is every transformer named in the log of a session
  on a one-node model at that level (read from the installed ORT);
- a session's hits are the transformers its log says modified the graph.

The log is read by pointing file descriptor 2 at a temporary file while the
session is created (ORT logs from C++; nothing at Python level sees it). Run
calls are not logged at this severity. Creating a session this way cost about 0.6 ms
of CPU more on campaign models (half again a small session; VERBOSE costs more), and only
some sessions pay it: those whose model has an op type not yet seen at that level in
this process, and every Nth other one (ONNXFUZZ_COVERAGE_ORT_EVERY, default 8),
as long as captured sessions take at most a share of the process's time
(ONNXFUZZ_COVERAGE_ORT_SHARE, default 0.03).
The rule-based transformers ("Level1_RuleBasedTransformer") are one rule each
here: ORT does not log which of their rewrite rules fired.

While fd 2 is redirected, a crash of ORT inside session creation leaves its last
words in the temporary file rather than in the worker's log.
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
from typing import Iterator

from fuzzer import coverage

#: the graph optimization levels, by the GraphOptimizationLevel name, and the name a system uses
LEVELS = {"ORT_DISABLE_ALL": "disabled", "ORT_ENABLE_BASIC": "basic", "ORT_ENABLE_EXTENDED": "extended",
          "ORT_ENABLE_ALL": "all"}

_LINE = re.compile(r"GraphTransformer (\S+) modified: (\d)")


def system(level: str) -> str:
    """The coverage system of ORT's transformers at a GraphOptimizationLevel name."""
    return f"onnxruntime:transformers@{LEVELS[level]}"


@contextlib.contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """Point fd 2 at a temporary file for the block; the list it yields gets the text written there."""
    import sys

    sys.stderr.flush()
    out: list[str] = []
    with tempfile.TemporaryFile(mode="w+b") as f:
        saved = os.dup(2)
        os.dup2(f.fileno(), 2)
        try:
            yield out
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            f.seek(0)
            out.append(f.read().decode("utf-8", "replace"))


def transformers_in(log: str) -> tuple[set[str], set[str]]:
    """(every transformer the log names as applied, those that modified the graph)."""
    applied, modified = set(), set()
    for name, changed in _LINE.findall(log):
        applied.add(name)
        if changed == "1":
            modified.add(name)
    return applied, modified


#: the session log severity coverage reads: INFO carries the "modified" lines
INFO = 1


def session_log(model: bytes, level: str, disabled: list[str] | None = None, threads: int = 1):
    """(session, its creation log at VERBOSE) for model at a GraphOptimizationLevel name; raises what ORT raises."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 0
    kwargs = {"disabled_optimizers": list(disabled)} if disabled else {}
    with captured_stderr() as log:
        session = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"], **kwargs)
    return session, log[0]


def _one_node_model() -> bytes:
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "inventory",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


def inventory(level: str) -> dict:
    """The transformers the installed ORT applies at a level, read from its own log."""
    import onnxruntime as ort

    _, log = session_log(_one_node_model(), level)
    applied, _ = transformers_in(log)
    return {"version": ort.__version__, "rules": sorted(applied)}


class _Sampler:
    """Which sessions pay for the log: a model with an op type new at its level in this
    process, and every Nth other one."""

    def __init__(self) -> None:
        self.seen: dict[str, set[str]] = {}
        self.count = 0
        self.every = max(1, int(os.environ.get("ONNXFUZZ_COVERAGE_ORT_EVERY", "8")))

    def wants(self, level: str, ops: set[str]) -> bool:
        seen = self.seen.setdefault(level, set())
        if not ops <= seen:
            seen |= ops
            return True
        self.count += 1
        return self.count % self.every == 0


_SAMPLER = _Sampler()
#: captured sessions may take this share of the process's time: the log costs about half
#: again a small model's session creation (about 0.6 ms), so this bounds it near 2-3%
_BUDGET = coverage.Budget(float(os.environ.get("ONNXFUZZ_COVERAGE_ORT_SHARE", "0.03")))


def _op_types(model: bytes) -> set[str]:
    import onnx

    try:
        proto = onnx.load_model_from_string(model)
    except Exception:
        return set()
    return {f"{n.domain}::{n.op_type}" if n.domain else n.op_type for n in proto.graph.node}


def create_session(model: bytes, opts, level: str):
    """ort.InferenceSession(model, opts) on CPU, recording the transformers that modified the
    model when coverage is on and this session is sampled. opts must already hold the level."""
    import onnxruntime as ort

    # the budget first: a session it turns away leaves its op types new for a later one
    if not coverage.enabled() or not _BUDGET.allows() or not _SAMPLER.wants(level, _op_types(model)):
        return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    severity = opts.log_severity_level
    opts.log_severity_level = INFO
    try:
        with _BUDGET.charge(), captured_stderr() as log:
            session = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    finally:
        opts.log_severity_level = severity
    _, modified = transformers_in(log[0])
    coverage.hit(system(level), modified, lambda: inventory(level))
    return session
