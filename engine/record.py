"""The `unclip` record: what a saved image carries to be made again, written and read here only.

A PNG holds it as JSON in its `unclip` text chunk beside the AUTOMATIC1111-style `parameters` text. Job
files (JSON Lines), `info`, the studio's restore and batch all read it through `read_png` / `migrate` /
`settings_of`. Schema 1 (no "schema" key) predates layout guidance and decoder candidates, schema 2 the
upsamplers' edge padding; `read_png` migrates them. A job line is a record too, whose missing settings mean the
model's defaults (not migrated).
"""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from .errors import UserError
from .requests import EmbeddingToImage, ImageVariation, Request, Settings

ENGINE_VERSION = "0.1.0"
SCHEMA = 3
SETTING_FIELDS = {f.name for f in dataclasses.fields(Settings)}


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _read_umask()  # read once, at import: os.umask is process-wide and not thread-safe


def describe(model, request: Request, s: Settings, index: int, image_embed, upsampler_steps: list[int]) -> dict:
    """The record of one image of a request, served with resolved settings `s`."""
    meta = {
        "schema": SCHEMA, "kind": request.kind, "prompt": request.prompt, "seed": request.seeds[index],
        "index": index, "settings": dataclasses.asdict(s), "size": [s.size, s.size],
        "upsampler_steps": upsampler_steps,
        "model": {"id": model.model_id, "name": model.config.name, "hash": model.fingerprint},
        "device": model.device.type, "dtype": str(model.dtype).removeprefix("torch."),
        "engine_version": ENGINE_VERSION,
    }
    if isinstance(request, ImageVariation):
        meta["source"] = {"name": request.source_name, "sha256": request.source_sha256, "amount": request.amount}
    if isinstance(request, EmbeddingToImage):
        meta["source"] = {"label": request.label, "image_embed": image_embed.float().cpu().tolist()}
    return meta


def frame_fields(index: int, position: float, count: int, key: str | None = None) -> dict:
    """What a strip frame adds to its image's record: which frame, where on the path, of how many, which strip."""
    return {"frame": index, "position": float(position), "frames": count, "job": key}


def migrate(meta: dict) -> dict:
    """A record of any schema as the current one (older settings filled with what they meant then)."""
    meta = dict(meta)
    raw = meta.get("settings")
    if meta.get("schema", 1) < 2 and isinstance(raw, dict):
        s = dict(raw)
        if "layout_guidance" not in s:  # before layout guidance: the decoder's guidance throughout
            s["layout_guidance"] = s.get("decoder_guidance")
        candidates = s.setdefault("decoder_candidates", 1)
        if "accept_cosine" not in s and candidates != 1:  # before the accept rule: the closest of all draws
            s["accept_cosine"] = 1.0
        meta["settings"] = s
    s = meta.get("settings")
    if isinstance(s, dict) and s.get("upsampler_steps") is None and "upsampler_plan" not in s \
            and isinstance(meta.get("upsampler_steps"), list) and meta["upsampler_steps"]:
        meta["settings"] = {**s, "upsampler_plan": meta["upsampler_steps"]}  # before plans: the steps each ran
    if meta.get("schema", 1) < 3 and isinstance(meta.get("settings"), dict):
        meta["settings"] = {**meta["settings"], "upsampler_padding": "zero"}  # before it: the bare image
    meta["schema"] = SCHEMA
    return meta


def settings_of(record: dict, where: str = "record") -> Settings:
    """The Settings a record asks for; unknown or invalid values are one-line user errors naming `where`."""
    raw = record.get("settings", {}) or {}
    if not isinstance(raw, dict):
        raise UserError(f"{where}: settings must be an object")
    unknown = set(raw) - SETTING_FIELDS
    if unknown:
        raise UserError(f"{where}: unknown settings {', '.join(sorted(unknown))}")
    try:
        return Settings(**raw)
    except UserError as err:
        raise UserError(f"{where}: {err}") from None


def parameters_text(meta: dict) -> str:
    """The A1111 `parameters` text: prompt on the first line, then `Key: value` pairs."""
    meta = migrate(meta)
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


def write_png(path: str | Path, image: np.ndarray, meta: dict) -> Path:
    """Write (H, W, 3) uint8 with both text chunks, atomically (temp file, fsync, rename), with the umask's mode."""
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
        os.chmod(tmp, 0o666 & ~UMASK)  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_png(path: str | Path) -> dict:
    """The record of a PNG the studio wrote, migrated to the current schema (parsed as JSON, never evaluated)."""
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
    meta = migrate(meta)
    meta.setdefault("parameters", text.get("parameters", ""))
    return meta
