"""The repro script's own plumbing: it must never report a reproduction it did not see."""
import subprocess
import sys
import textwrap

import ml_dtypes
import numpy as np
import torch

from fuzzer.report.repro import TEMPLATE


def _template_part(start: str, end: str | None = None) -> str:
    text = TEMPLATE[TEMPLATE.index(start):TEMPLATE.index(end) if end else None]
    return text.replace("{{", "{").replace("}}", "}")  # the template escapes braces for str.format


def test_bfloat16_inputs_come_back_from_the_npz_bit_exact(tmp_path):
    """np.load returns ml_dtypes' bfloat16 as raw 2-byte records, which torch.from_numpy refuses:
    two filed bugs' repros crashed on that and exited 1, which read as 'reproduces'."""
    namespace = {"np": np, "torch": torch}
    exec(_template_part("def to_torch", "def main"), namespace)
    x = np.array([1.5, -2.25, 3e38, 0.0], dtype=ml_dtypes.bfloat16)
    np.savez(tmp_path / "inputs.npz", x=x, y=np.arange(3, dtype=np.int64))
    data = np.load(tmp_path / "inputs.npz")
    assert data["x"].dtype.kind == "V"
    t = namespace["to_torch"](data["x"])
    assert t.dtype == torch.bfloat16 and t.float().tolist() == x.astype(np.float32).tolist()
    assert namespace["to_torch"](data["y"]).tolist() == [0, 1, 2]


def test_a_failure_of_the_script_itself_exits_3_not_1(tmp_path):
    script = tmp_path / "repro.py"
    script.write_text(textwrap.dedent('''\
        import os, subprocess, sys
        DIES = False
        def main():
            raise RuntimeError("a bug in the repro's own plumbing")
        ''') + _template_part('if __name__ == "__main__":'))
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert p.returncode == 3, p.stdout + p.stderr
    assert "not a reproduction" in p.stdout and "plumbing" in p.stderr
