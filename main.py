"""unCLIP Studio: `python main.py` opens the studio; subcommands (generate, vary, info, …) run headless."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Open the studio (no arguments, or only its options), or run a headless command."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and (not argv[0].startswith("-") or argv[0] in ("-h", "--help")):
        from engine.cli import main as cli_main  # parses and checks before torch is imported
        return cli_main(argv)
    from engine.cpu import keep_freed_memory
    keep_freed_memory()
    from studio.app import main as studio_main
    return studio_main(argv)


if __name__ == "__main__":
    sys.exit(main())
