"""The `onnxfuzz` command: one module per subcommand."""
from __future__ import annotations

import argparse
import sys

from fuzzer.cli.base import Command
from fuzzer.cli.bugs import Bugs
from fuzzer.cli.check import Check
from fuzzer.cli.coverage import Coverage
from fuzzer.cli.doctor import Doctor
from fuzzer.cli.gen import Gen
from fuzzer.cli.reduce import Reduce
from fuzzer.cli.report import Report
from fuzzer.cli.run import Run
from fuzzer.cli.stats import Stats
from fuzzer.errors import ExitCode, OnnxfuzzError, PluginUnavailable, UsageError

COMMANDS: list[type[Command]] = [Run, Stats, Coverage, Gen, Check, Reduce, Bugs, Report, Doctor]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not the whole usage block
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(ExitCode.USAGE)


def parser() -> argparse.ArgumentParser:
    from fuzzer.version import __version__

    p = _Parser(prog="onnxfuzz", description="Differential fuzzing of ONNX converters and runtimes.")
    p.add_argument("--version", action="version", version=f"onnxfuzz {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for cls in COMMANDS:
        cmd = cls()
        doc = (cls.__doc__ or "").strip()
        sp = sub.add_parser(
            cls.name, help=doc.splitlines()[0], description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        cmd.add_arguments(sp)
        sp.set_defaults(_command=cmd)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (the console script passes it to sys.exit)."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2)
        return int(e.code or 0)
    try:
        return int(args._command.run(args))
    except (UsageError, PluginUnavailable) as e:
        print(f"onnxfuzz {args.command}: error: {e}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        return 130


def console_main() -> None:
    sys.exit(main())


__all__ = ["COMMANDS", "ExitCode", "OnnxfuzzError", "console_main", "main", "parser"]
