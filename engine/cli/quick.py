"""Commands that need no model, answered without importing torch: info and grid."""
from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import UserError
from ..jobs import grid
from ..record import parameters_text, read_png


def _floats(text: str | None) -> list[float | None]:
    if not text:
        return [None]
    try:
        return [float(x) for x in text.split(",")]
    except ValueError:
        raise UserError(f"expected comma-separated numbers, got {text!r}") from None


def _seed_list(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise UserError(f"--seeds takes numbers and ranges such as 0-9 or 1,5,7, got {text!r}")
        lo, hi = int(match.group(1)), int(match.group(2) or match.group(1))
        if hi < lo or hi - lo > 100_000:
            raise UserError(f"bad seed range {part!r}")
        out += list(range(lo, hi + 1))
    return out


def cmd_grid(args) -> None:
    base = {"size": args.size} if args.size else {}
    records = grid(args.prompts, _seed_list(args.seeds), _floats(args.prior_guidance),
                   _floats(args.decoder_guidance), base)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise UserError(f"--out: folder {out.parent} does not exist (create it first)")
    out.write_text("".join(json.dumps(r) + "\n" for r in records))
    print(f"{args.out}: {len(records)} jobs")


def cmd_info(args) -> None:
    meta = read_png(args.image)
    print(meta.pop("parameters", "") or parameters_text(meta))
    print(json.dumps(meta, indent=2, sort_keys=True))


COMMANDS = {"grid": cmd_grid, "info": cmd_info}
