"""Headless commands: generate, vary, interpolate, textdiff, batch, grid, info, train, eval.

The command line is parsed and checked before torch is imported (parser, outputs, quick); only commands that
run a model import the engine's heavy half (commands).
"""
from __future__ import annotations

import sys

from ..errors import UserError
from .parser import build_parser, check


def main(argv: list[str] | None = None) -> int:
    """Run one command; 0 = done, 2 = user error, 1 = internal failure, 130 = interrupted."""
    try:
        if argv and argv[0] in ("train", "eval", "distil"):
            return _training(argv)
        args = build_parser().parse_args(argv)
        check(args)
        from . import quick
        if args.command in quick.COMMANDS:
            quick.COMMANDS[args.command](args)
            return 0
        from .commands import COMMANDS, InternalError
        try:
            COMMANDS[args.command](args)
        except InternalError as err:
            print(f"error: internal failure: {err}", file=sys.stderr)
            return 1
        return 0
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing unfinished was written", file=sys.stderr)
        return 130


def _training(argv: list[str]) -> int:
    if argv[0] == "train":
        from ..training.command import main as train_main
        train_main(argv[1:])
    elif argv[0] == "distil":
        from ..training.live import main as distil_main
        distil_main(argv[1:])
    else:
        from ..training.evaluate import main as eval_main
        eval_main(argv[1:])
    return 0
