"""Run one model on one runtime in a process of its own: a runtime may die on it (a Rust panic,
a segfault), which must not cost the process that asks (the localizer, blame)."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: the child: argv is the runtime's name and a folder holding model.onnx and inputs.npz; it prints
#: the first line of what loading and running raised, if anything did
_CHILD = """
import sys
from pathlib import Path
from fuzzer.ir.types import read_npz
from fuzzer.plugin import load_plugin
rt = load_plugin("runtime", sys.argv[1])
folder = Path(sys.argv[2])
feeds = read_npz(folder / "inputs.npz")
try:
    session = rt.load((folder / "model.onnx").read_bytes())
    got = rt.run(session, {n: feeds[n] for n in rt.input_names(session) if n in feeds})
    if len(sys.argv) > 3:  # the outputs are wanted: written beside the model, in order
        import numpy as np
        np.savez(folder / "outputs.npz", *[np.asarray(g) for g in got])
except Exception as e:
    print("RAISED", f"{type(e).__name__}: {e}".splitlines()[0])
"""


@dataclass
class Alone:
    """How one run went: the child's exit code (negative: killed by that signal; None: it hung),
    what it printed, and the first line of what it raised ("" when it raised nothing)."""

    returncode: int | None
    output: str
    raised: str
    #: what the run computed, in output order, when asked for (outputs=True) and it ran; else None
    outputs: list | None = None

    @property
    def died(self) -> bool:
        return self.returncode is not None and self.returncode < 0


def run_alone(runtime: str, model: bytes, feeds: dict, timeout: float = 120, outputs: bool = False,
              env: dict[str, str] | None = None) -> Alone:
    """Load model on runtime and run it on feeds, in a fresh interpreter with a TMPDIR of its own
    (removed after: what a runtime leaves there when it dies goes too); with outputs, what it
    computed comes back too. env: more environment for the child (a runtime's settings)."""
    from fuzzer.ir.types import read_npz

    with tempfile.TemporaryDirectory(prefix="onnxfuzz-alone-") as d:
        (Path(d) / "model.onnx").write_bytes(model)
        np.savez(Path(d) / "inputs.npz", **feeds)
        try:
            done = subprocess.run([sys.executable, "-c", _CHILD, runtime, d, *(["outputs"] if outputs else [])],
                                  capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {}), "TMPDIR": d})
        except subprocess.TimeoutExpired:
            return Alone(None, "", "")
        made = Path(d) / "outputs.npz"
        got = None
        if outputs and made.exists():
            arrays = read_npz(made)
            got = [arrays[f"arr_{k}"] for k in range(len(arrays))]
    said = [ln[len("RAISED "):] for ln in done.stdout.splitlines() if ln.startswith("RAISED ")]
    return Alone(done.returncode, done.stderr + done.stdout, said[-1] if said else "", got)
