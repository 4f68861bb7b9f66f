"""Saved images: PNG with an AUTOMATIC1111-style `parameters` chunk and an exact `unclip` JSON chunk."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from .errors import UserError

ENGINE_VERSION = "0.1.0"


def parameters_text(meta: dict) -> str:
    """The A1111 `parameters` text: prompt on the first line, then `Key: value` pairs."""
    s = meta["settings"]
    pairs = [
        ("Steps", s["decoder_steps"]), ("Sampler", s["sampler"].upper()), ("CFG scale", s["decoder_guidance"]),
        ("Seed", meta["seed"]), ("Size", f"{meta['size'][0]}x{meta['size'][1]}"),
        ("Model hash", meta["model"]["hash"]), ("Model", meta["model"]["name"]),
        ("Prior steps", s["prior_steps"]), ("Prior CFG scale", s["prior_guidance"]),
        ("Upsampler steps", ", ".join(map(str, meta.get("upsampler_steps", [s["upsampler_steps"]])))),  # per stage
        ("Version", f"unclip-studio {meta['engine_version']}"),
    ]
    if s.get("layout_guidance") not in (None, s["decoder_guidance"]):
        pairs.insert(3, ("Layout CFG scale", s["layout_guidance"]))
    if s.get("decoder_candidates", 1) > 1:
        if s.get("accept_cosine") is not None:
            pairs.insert(3, ("Candidate accept cosine", s["accept_cosine"]))
        pairs.insert(3, ("Decoder candidates", s["decoder_candidates"]))
    return meta.get("prompt", "") + "\n" + ", ".join(f"{k}: {v}" for k, v in pairs if v != "")


def save_png(path: str | Path, image: np.ndarray, meta: dict) -> Path:
    """Write (H, W, 3) uint8 with both text chunks, atomically: temp file, fsync, rename."""
    path = Path(path)
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", parameters_text(meta))
    info.add_text("unclip", json.dumps(meta, sort_keys=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".png.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            Image.fromarray(image).save(f, format="PNG", pnginfo=info)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_png_metadata(path: str | Path) -> dict:
    """The `unclip` record of a PNG the studio wrote (parsed as JSON, never evaluated)."""
    try:
        with Image.open(path) as im:  # our chunks come before the pixels: `info` has them without decoding
            text = {k: v for k, v in im.info.items() if k in ("unclip", "parameters") and isinstance(v, str)}
            if "unclip" not in text:
                text = dict(getattr(im, "text", {}) or {})
    except FileNotFoundError:
        raise UserError(f"file not found: {path}")
    except Image.DecompressionBombError:
        raise UserError(f"image too large (possibly a decompression bomb): {path}") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise UserError(f"not a readable image: {path} ({err})") from None
    if "unclip" not in text:
        raise UserError(f"{path} carries no unCLIP Studio settings")
    try:
        meta = json.loads(text["unclip"])
    except json.JSONDecodeError as err:
        raise UserError(f"{path}: damaged settings chunk ({err})")
    if not isinstance(meta, dict):
        raise UserError(f"{path}: damaged settings chunk (not an object)")
    meta.setdefault("parameters", text.get("parameters", ""))
    return meta
