"""Write a campaign's HTML report."""
from __future__ import annotations

from pathlib import Path

from fuzzer.cli.base import Command, positive_int


class Report(Command):
    """Write a campaign's report: one self-contained HTML page, to open in a browser.

    It shows bugs filed and cases/s over time, verdicts per plugin, op x dtype coverage,
    and every bug filed from the campaign with a link to its folder. plotly.js is inlined,
    so the page works offline. The campaign database is opened read-only, so this can run
    while the campaign does: run it again to refresh the page (it is replaced in one step),
    and give --refresh N to make an open page reload itself. Exit code 0, 2 on bad usage
    (no campaign database in --workdir).
    """

    name = "report"

    def add_arguments(self, p):
        p.add_argument("--workdir", type=Path, default=Path("onnxfuzz-work"), help="campaign directory (default ./onnxfuzz-work)")
        p.add_argument("--out", type=Path, default=None, help="the HTML file to write (default WORKDIR/report.html)")
        p.add_argument("--bugs-dir", type=Path, default=None,
                       help="also list the bugs filed under this folder (the store names those this campaign filed)")
        p.add_argument("--refresh", type=positive_int, default=None, metavar="SECONDS",
                       help="the page reloads itself every SECONDS (for a page written again during a campaign)")

    def run(self, args) -> int:
        import os

        from fuzzer.errors import UsageError
        from fuzzer.report.html import render
        from fuzzer.report.snapshot import take

        out = args.out if args.out is not None else args.workdir / "report.html"
        if args.bugs_dir is not None and not args.bugs_dir.is_dir():
            raise UsageError(f"--bugs-dir {args.bugs_dir} is not a directory")
        page = render(take(args.workdir, args.bugs_dir), out, args.refresh)
        partial = out.with_name(f".{out.name}.partial")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(page, encoding="utf-8")
            os.replace(partial, out)  # a browser reloading it never reads half a page
        except OSError as e:
            raise UsageError(f"cannot write {out}: {e.strerror or e}") from None
        print(f"wrote {out} ({len(page) / 1e6:.1f} MB)")
        return 0
