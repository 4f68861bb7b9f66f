"""Exports of exploration frames: animated GIF / WebP (Pillow), MP4 (optional ffmpeg), contact sheets, PNGs.

Every export carries the frames' `unclip` records: per-frame PNG chunks in a folder, one JSON list in the
GIF comment, the WebP XMP packet and the contact sheet's `unclip` chunk.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from .errors import UserError
from .record import UMASK, write_png

def sequence(frames: list[np.ndarray], pingpong: bool) -> list[np.ndarray]:
    """Frames in play order: ping-pong goes there and back without repeating the ends."""
    return frames + frames[-2:0:-1] if pingpong and len(frames) > 2 else list(frames)


def _record(metas: list[dict], fps: float, pingpong: bool) -> str:
    return json.dumps({"frames": metas, "fps": fps, "pingpong": pingpong}, sort_keys=True)


def _atomic(path: Path, write) -> Path:
    """Run write(tmp_path) then rename over `path`: a killed export leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~UMASK)  # mkstemp makes 0600: files get the user's umask
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def contact_sheet(frames: list[np.ndarray], columns: int | None = None, gap: int = 4) -> np.ndarray:
    """(H, W, 3) uint8 grid of the frames, left to right, top to bottom."""
    n = len(frames)
    cols = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    h, w, _ = frames[0].shape
    sheet = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap, 3), 24, np.uint8)
    for i, f in enumerate(frames):
        r, c = divmod(i, cols)
        sheet[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = f
    return sheet


def export(frames: list[np.ndarray], metas: list[dict], out: str | Path, fps: float = 8.0, loop: bool = True,
           pingpong: bool = False) -> list[Path]:
    """Write frames (H, W, 3) uint8 where `out` says (by suffix); returns the files written."""
    if not frames:
        raise UserError("no frames to export")
    if not 0 < fps <= 60:
        raise UserError(f"frame rate must be between 0 and 60 per second, got {fps}")
    out = Path(out)
    suffix = out.suffix.lower()
    record = _record(metas, fps, pingpong)
    played = [Image.fromarray(f) for f in sequence(frames, pingpong)]
    duration = int(round(1000 / fps))
    if suffix == ".gif":
        return [_atomic(out, lambda p: played[0].save(
            p, format="GIF", save_all=True, append_images=played[1:], duration=duration, loop=0 if loop else None,
            comment=record.encode()))]
    if suffix == ".webp":
        return [_atomic(out, lambda p: played[0].save(
            p, format="WEBP", save_all=True, append_images=played[1:], duration=duration, loop=0 if loop else 1,
            lossless=True, xmp=record.encode()))]
    if suffix == ".mp4":
        return [_atomic(out, lambda p: _mp4(played, p, fps))]
    if suffix == ".png":
        info = PngImagePlugin.PngInfo()
        info.add_text("unclip", record)
        sheet = Image.fromarray(contact_sheet(frames))
        return [_atomic(out, lambda p: sheet.save(p, format="PNG", pnginfo=info))]
    if out.exists() and not out.is_dir():
        raise UserError(f"--out must be a .gif, .webp, .mp4, .png (contact sheet) or a folder: {out}")
    return [write_png(out / f"frame-{i:03d}.png", f, m) for i, (f, m) in enumerate(zip(frames, metas))]


def _mp4(frames: list[Image.Image], path: Path, fps: float) -> None:
    try:
        import imageio.v3 as iio
        import imageio_ffmpeg  # noqa: F401 - the ffmpeg binary imageio uses
    except ImportError:
        raise UserError("MP4 export needs ffmpeg: pip install imageio imageio-ffmpeg "
                        "(or export .gif / .webp)") from None
    iio.imwrite(path, np.stack([np.asarray(f) for f in frames]), extension=".mp4", fps=fps, codec="libx264")


def read_record(path: str | Path) -> dict:
    """The frames' settings from an exported GIF, WebP or contact sheet."""
    with Image.open(path) as im:
        raw = im.info.get("comment") or im.info.get("xmp") or im.info.get("unclip")
    if raw is None:
        raise UserError(f"{path} carries no unCLIP Studio frame record")
    return json.loads(raw.decode() if isinstance(raw, bytes) else raw)
