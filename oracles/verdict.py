"""Verdicts: what the oracles conclude about one (converter path, runtime) pair.

A verdict is data, never an exception. Every failing verdict carries a
signature, the key by which failures are deduplicated: symptom, stage,
converter path, runtime, the ops at fault and the normalized error.
"""
from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any


class Kind(str, enum.Enum):
    PASS = "pass"
    UNSUPPORTED = "unsupported"  # a documented gap (missing kernel, unsupported op): not a bug
    UNSTABLE = "unstable"  # the case's own float32 and float64 results disagree: not a bug
    EXPORT_CRASH = "export_crash"
    CONVERT_CRASH = "convert_crash"  # an ONNX-to-ONNX transformer raised
    INVALID_MODEL = "invalid_model"  # the checker or strict shape inference rejects the model
    LOAD_CRASH = "load_crash"
    RUN_CRASH = "run_crash"
    HANG = "hang"
    OOM = "oom"
    SHAPE_MISMATCH = "shape_mismatch"
    DTYPE_MISMATCH = "dtype_mismatch"
    VALUE_MISMATCH = "value_mismatch"
    NAN_INF = "nan_inf"  # non-finite where the ground truth is finite

    @property
    def is_failure(self) -> bool:
        return self not in (Kind.PASS, Kind.UNSUPPORTED, Kind.UNSTABLE)

    def __str__(self) -> str:
        return self.value


class Stage(str, enum.Enum):
    EXPORT = "export"
    CONVERT = "convert"
    CHECK = "check"
    LOAD = "load"
    RUN = "run"
    JUDGE = "judge"

    def __str__(self) -> str:
        return self.value


CRASH_AT = {Stage.EXPORT: Kind.EXPORT_CRASH, Stage.CONVERT: Kind.CONVERT_CRASH, Stage.CHECK: Kind.INVALID_MODEL, Stage.LOAD: Kind.LOAD_CRASH, Stage.RUN: Kind.RUN_CRASH}


@dataclass
class Verdict:
    kind: Kind
    stage: Stage
    path: str  # the converters the model went through, e.g. "torchscript@17"
    runtime: str  # "" when the failure happened before any runtime
    ops: list[str] = field(default_factory=list)  # the ops at fault, best known
    error: str = ""  # the raw message, or a one-line mismatch summary
    stats: dict[str, Any] = field(default_factory=dict)  # numeric mismatch statistics
    seconds: float = 0.0

    @property
    def signature(self) -> str | None:
        if not self.kind.is_failure:
            return None
        key = "|".join(
            [self.kind.value, self.stage.value, path_family(self.path), self.runtime, ",".join(sorted(set(self.ops))), normalize_error(self.kind, self.error)]
        )
        return hashlib.sha1(key.encode()).hexdigest()[:16]

    def to_json(self) -> dict:
        d = asdict(self)
        d["kind"], d["stage"], d["signature"] = self.kind.value, self.stage.value, self.signature
        return d


def path_family(path: str) -> str:
    # the opset is part of how a case was run, not of which bug it is: "torchscript@17" -> "torchscript"
    return ">".join(step.split("@")[0] for step in path.split(">"))


_NOISE = [
    (re.compile(r"0x[0-9a-fA-F]+"), "<addr>"),
    (re.compile(r"(/[\w.\-]+)+\.(py|cc|cpp|h)(:\d+)?"), "<file>"),
    (re.compile(r"'[^']*'|\"[^\"]*\""), "<name>"),
    (re.compile(r"\b[xvc]\d+(_\d+)?\b"), "<value>"),
    (re.compile(r"[-+]?\d+(\.\d+)?(e[-+]?\d+)?"), "<n>"),
    # a list of numbers is one thing whatever its length (a perm, a shape)
    (re.compile(r"<n>(\s*,\s*<n>)+"), "<n>..."),
    (re.compile(r"\s+"), " "),
]


def normalize_error(kind: Kind, error: str) -> str:
    """An error message with names, numbers, paths and addresses taken out.

    Two failures with the same cause then have the same text even when they
    come from different graphs. Numeric mismatches normalize to their kind:
    their cause is told apart by ops and path, not by the size of the error.
    """
    if kind in (Kind.VALUE_MISMATCH, Kind.NAN_INF, Kind.SHAPE_MISMATCH, Kind.DTYPE_MISMATCH, Kind.HANG, Kind.OOM):
        return kind.value
    # The first line names the cause; later ones are context or cascades (the checker
    # appends "Input 0 expected to have type but instead is null" for every node downstream).
    lines = [ln for ln in error.strip().splitlines() if ln.strip()]
    text = lines[0] if lines else ""
    text = text.split(" (op_type:", 2)
    text = " (op_type:".join(text[:2])
    for pattern, repl in _NOISE:
        text = pattern.sub(repl, text)
    return text.strip()[:300]
