"""Where the command line writes: checked before any work, never creating a folder the user did not name."""
from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import UserError

IMAGES = (".png",)
ANIMATIONS = (".gif", ".webp", ".mp4")  # a strip's --out may also be SHEET.png or a folder


def default_folder() -> Path:
    """The user's pictures folder (platformdirs) / unCLIP Studio; $UNCLIP_STUDIO_OUTPUT overrides it."""
    env = os.environ.get("UNCLIP_STUDIO_OUTPUT")
    if env:
        return Path(env).expanduser()
    import platformdirs
    return Path(platformdirs.user_pictures_dir()) / "unCLIP Studio"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "image"


def _parent_exists(path: Path) -> None:
    if not path.parent.is_dir():
        raise UserError(f"--out: folder {path.parent} does not exist (create it first)")


def checked(out: str | None, suffixes: tuple[str, ...]) -> Path:
    """--out as a path: a file with one of `suffixes` in an existing folder, or a folder (made if its parent is
    there); no --out is the default folder."""
    if not out:
        return default_folder()
    path = Path(out).expanduser()
    if path.is_dir():
        return path
    if path.suffix:
        if path.suffix.lower() not in suffixes:
            raise UserError(f"--out {out}: unknown file type {path.suffix!r}: use "
                            f"{', '.join(suffixes)} or a folder")
        _parent_exists(path)
        return path
    if path.exists():
        raise UserError(f"--out must be a folder here: {out}")
    _parent_exists(path)
    return path


def image_paths(out: str | None, stem: str, seeds: tuple[int, ...], file_ok: bool) -> list[Path]:
    """One PNG per seed: FILE.png (FILE-SEED.png for several) or FOLDER/STEM-SEED.png."""
    target = checked(out, IMAGES if file_ok else ())
    if target.suffix.lower() == ".png" and not target.is_dir():
        if len(seeds) == 1:
            return [target]
        return [target.with_name(f"{target.stem}-{s}.png") for s in seeds]
    return [target / f"{stem}-{s}.png" for s in seeds]
