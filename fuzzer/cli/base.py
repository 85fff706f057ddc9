"""The shape of a subcommand: a class whose docstring is its help text."""
from __future__ import annotations

import argparse
import json
import sys
from typing import ClassVar


class Command:
    """(the first docstring line is the command's one-line help)"""

    name: ClassVar[str]

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        pass

    def run(self, args: argparse.Namespace) -> int:
        raise NotImplementedError


def emit_json(data) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def name_list(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("empty list")
    return names


def add_generator_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that generates graphs."""
    g = parser.add_argument_group("generator")
    g.add_argument("--max-nodes", type=positive_int, default=10, help="ops per graph at most (default 10)")
    g.add_argument("--min-nodes", type=positive_int, default=1, help="ops per graph at least (default 1)")
    g.add_argument("--ops", type=name_list, default=None, help="comma-separated op names to draw from (default: all)")
    g.add_argument("--dtypes", type=name_list, default=None, help="comma-separated dtypes (default: float32,float16,bfloat16,float64,int8,uint8,int32,int64,bool; float32 starts most graphs, the others enter as inputs, weights and casts)")
    g.add_argument("--control-flow", action="store_true", help="also draw control-flow ops (If, Loop, Scan, torch.cond)")
    g.add_argument("--dynamic", action="store_true",
                   help="export some input dims as dynamic and judge each model at more than one size")


def generator_config(args):
    from fuzzer.errors import UsageError
    from fuzzer.generate import DEFAULT_DTYPES, GenConfig
    from fuzzer.ir import DType

    dtypes = DEFAULT_DTYPES
    if args.dtypes:
        try:
            dtypes = frozenset(DType(d) for d in args.dtypes)
        except ValueError as e:
            raise UsageError(f"{e}; known dtypes: {', '.join(d.value for d in DType)}") from None
    return GenConfig(
        min_nodes=args.min_nodes,
        max_nodes=args.max_nodes,
        dtypes=dtypes,
        ops=tuple(args.ops) if args.ops else None,
        control_flow=args.control_flow,
        dynamic=args.dynamic,
    )
