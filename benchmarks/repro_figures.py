"""Figures of the bug folders' repros, as a maintainer meets them (issue 15's targets).

    python benchmarks/repro_figures.py [BUGS_DIR]

Prints, over the folders not withdrawn: the median non-blank lines of repro.py for
ONNX-level systems (runtimes, transformers; target <= 40) and for exporters (target <= 50),
how many ONNX-level repros import torch (target 0), and how many tf2onnx repros import and
run tf2onnx (target: all).
"""
from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path


def main(bugs: Path) -> None:
    onnx_level, exporter, torch_in_onnx, tf_total, tf_runs = [], [], [], 0, 0
    for case in sorted(bugs.glob("*/case.json")):
        bug = json.loads(case.read_text())["bug"]
        if bug.get("withdrawn"):
            continue
        src = (case.parent / "repro.py").read_text()
        lines = sum(1 for line in src.splitlines() if line.strip())
        if bug["role"] == "exporter":
            exporter.append(lines)
        else:
            onnx_level.append(lines)
            if re.search(r"^\s*(import torch|from torch)", src, re.M):
                torch_in_onnx.append(case.parent.name)
        if bug["system"] == "tf2onnx":
            tf_total += 1
            tf_runs += bool(re.search(r"^import tf2onnx", src, re.M) and "tf2onnx.convert.from_function(" in src)
    print(f"ONNX-level repros: {len(onnx_level)}, median {statistics.median(onnx_level):.0f} non-blank lines "
          f"(max {max(onnx_level)}); importing torch: {len(torch_in_onnx)} {torch_in_onnx or ''}")
    print(f"exporter repros: {len(exporter)}, median {statistics.median(exporter):.0f} non-blank lines (max {max(exporter)})")
    print(f"tf2onnx repros that import and run tf2onnx: {tf_runs} of {tf_total}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "bugs"))
