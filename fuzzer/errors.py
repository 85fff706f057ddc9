"""Errors and exit codes.

Three kinds of failure are kept apart: a user error (bad option, unknown plugin,
corrupt model) is an OnnxfuzzUsageError, shown as one line and exit code 2; a bug
in onnxfuzz itself is any other exception and crashes loudly; a failure of a
system under test is never an exception here, it is data (a Verdict).
"""
from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    FOUND = 1  # a failure was found or reproduced, where that is the question asked
    USAGE = 2  # bad usage or bad input


class OnnxfuzzError(Exception):
    """Root of onnxfuzz's own exceptions."""


class UsageError(OnnxfuzzError):
    """Bad input from the user: reported in one line, exit code 2."""


class PluginUnavailable(OnnxfuzzError):
    """A plugin whose packages are missing or broken."""


class Rejected(OnnxfuzzError):
    """An op spec cannot be applied to the value it was offered; the generator tries another."""


class OlderFormMissing(NotImplementedError):
    """A node of a direct ONNX model has no form at the target opset (an op, attribute, dtype or
    operand older versions lack): the model must be built at a newer opset."""


def causes(error: BaseException):
    """error, then the exceptions it was raised from or while handling, in turn (each once)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__
