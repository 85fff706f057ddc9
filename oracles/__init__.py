"""Differential oracles: turn the results of one test case into verdicts."""
from oracles.compare import Comparison, compare
from oracles.judge import DELTA, Reference, judge_error, judge_outputs, sensitivity_delta
from oracles.model import judge_model
from oracles.verdict import Kind, Stage, Verdict, normalize_error

__all__ = [
    "DELTA", "Comparison", "Kind", "Reference", "Stage", "Verdict",
    "compare", "judge_error", "judge_model", "judge_outputs", "normalize_error", "sensitivity_delta",
]
