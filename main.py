"""unCLIP Studio: `python main.py` opens the studio; subcommands (generate, vary, info, …) run headless."""
from __future__ import annotations

import sys

HEADLESS = {"generate", "vary", "interpolate", "textdiff", "batch", "grid", "info", "random-bundle", "train", "eval", "-h", "--help"}


def main(argv: list[str] | None = None) -> int:
    """Open the studio, or run a headless command."""
    argv = sys.argv[1:] if argv is None else argv
    from engine.cpu import keep_freed_memory
    keep_freed_memory()
    if argv and argv[0] in HEADLESS:
        from engine.cli import main as cli_main
        return cli_main(argv)
    from studio.app import main as studio_main
    return studio_main(argv)


if __name__ == "__main__":
    sys.exit(main())
