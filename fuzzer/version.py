"""Version numbers that make a (version, seed) pair replay the same test case.

GENERATOR_VERSION is not bumped by hand: it is derived from the source of
everything that decides what a seed generates (the op specs, the generator,
its mutations and input drawing, the choice source, the IR). Change one spec
and the version changes, so a recorded (version, seed) either replays exactly
or is refused by `check_replayable` with a clear message.
"""
from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

from fuzzer.errors import UsageError

try:
    __version__ = metadata.version("onnxfuzz")
except metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+src"

_PACKAGE = Path(__file__).resolve().parent
#: the sources that determine generation, relative to the package: folders (every .py in them)
#: and files
#: (materialize/defaults.py: which defaults a direct model spells out follows from the graph)
GENERATION_SOURCES = ("ops", "generate", "ir", "choices.py", "materialize/defaults.py")


def generation_files(root: Path = _PACKAGE) -> list[Path]:
    files: list[Path] = []
    for name in GENERATION_SOURCES:
        p = root / name
        files.extend(sorted(p.rglob("*.py")) if p.is_dir() else [p])
    return files


def generator_version(root: Path = _PACKAGE) -> int:
    """A 48-bit number hashed from the generation sources under root (their paths and bytes):
    it fits the store's INTEGER column, and two trees agree on it exactly when they generate
    alike."""
    h = hashlib.sha256()
    for f in generation_files(root):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return int(h.hexdigest()[:12], 16)


GENERATOR_VERSION = generator_version()


def check_replayable(recorded, where: str) -> None:
    """Raise UsageError (one line, exit 2) unless `recorded`, the generator version stored with
    a case, is this one; None (a record from before versions were stored) is refused too."""
    try:
        same = recorded is not None and int(recorded) == GENERATOR_VERSION
    except (TypeError, ValueError):
        same = False
    if not same:
        raise UsageError(f"{where} was recorded by generator version {recorded}, this onnxfuzz is "
                         f"{GENERATOR_VERSION}: its seed would not replay the same case; use the onnxfuzz "
                         "checkout that recorded it")


__all__ = ["GENERATOR_VERSION", "GENERATION_SOURCES", "__version__", "check_replayable", "generation_files",
           "generator_version"]
