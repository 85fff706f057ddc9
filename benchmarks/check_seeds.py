"""`onnxfuzz check` on real architecture blocks: the seeds, exported by both torch exporters at a few opsets.

Prints, per model, the time the check took, its reference and every failing row
with its blame; the figures in the closing note of the check issue come from here.

    python benchmarks/check_seeds.py [--seeds a,b] [--exports torchscript@13,torchscript@17,dynamo@18] [--no-reduce]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path


def main() -> None:
    import onnx

    from fuzzer.check import Checker
    from fuzzer.plugin import select
    from seeds import SEEDS
    from seeds.export import export_seed

    p = argparse.ArgumentParser()
    p.add_argument("--seeds", default=",".join(SEEDS))
    p.add_argument("--exports", default="torchscript@13,torchscript@17,dynamo@18")
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    runtimes = [r.name for r in select("runtime", None)]
    transformers = [c.name for c in select("converter", None) if c.kind == "transformer"]
    print(f"runtimes: {', '.join(runtimes)}\ntransformers: {', '.join(transformers)}")
    findings: Counter = Counter()
    out = Path(tempfile.mkdtemp(prefix="onnxfuzz-check-seeds-"))
    with Checker(runtimes, transformers, workers=args.workers) as checker:
        for seed in args.seeds.split(","):
            for export in args.exports.split(","):
                exporter, opset = export.split("@")
                t0 = time.perf_counter()
                try:
                    data = export_seed(seed, exporter, int(opset))
                except Exception as e:
                    print(f"\n{seed} {export}: export failed: {type(e).__name__}: {str(e)[:150]}")
                    continue
                model = onnx.load_model_from_string(data)
                onnx.save(model, str(out / f"{seed}-{exporter}{opset}.onnx"))
                exported = time.perf_counter() - t0
                report = checker.check(model, f"{seed} {export}")
                kinds = Counter(r.verdict.kind.value for r in report.rows)
                print(f"\n{seed} {export}: {report.nodes} nodes, export {exported:.1f} s, check {report.seconds:.1f} s, "
                      f"{len(report.rows)} rows {dict(kinds)}; reference: {report.reference}")
                for r in report.failures:
                    v = r.verdict
                    who = f"{r.blame.system or 'ambiguous'} ({r.blame.reason})" if r.blame else ""
                    print(f"  {v.kind.value} {v.path} / {v.runtime or '-'}: {v.error.strip().splitlines()[0][:160]} -> {who}")
                    findings[(r.key(), r.blame.system if r.blame else None)] += 1
    print(f"\nmodels written to {out}")
    print(f"{len(findings)} distinct failures:")
    for (key, who), n in findings.most_common():
        print(f"  {n:3d}x {who}: {key}")


if __name__ == "__main__":
    main()
