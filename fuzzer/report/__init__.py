"""Step 7: the bug report: whose bug it is, a standalone repro in the system's idiom, a folder under bugs/.

The campaign's HTML report lives here too (snapshot.py reads a workdir, html.py renders it);
it is imported only by `onnxfuzz report`, so plotly never loads in a campaign's workers."""
from fuzzer.report.blame import Blame, blame
from fuzzer.report.writer import Filed, file_bug, run_repro

__all__ = ["Blame", "Filed", "blame", "file_bug", "run_repro"]
