"""Bad and odd input files, made on the fly (nothing binary is committed)."""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_header(width: int, height: int) -> bytes:
    """A well-formed PNG that declares width × height but carries almost no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + \
        _chunk(b"IEND", b"")


def _rgb(w: int = 48, h: int = 32) -> Image.Image:
    x = np.linspace(0, 255, w, dtype=np.uint8)
    return Image.fromarray(np.stack([np.tile(x, (h, 1))] * 3, -1))


def _bytes(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def make(kind: str, folder: Path) -> Path:
    """Write one case of the bad-input matrix; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "empty":
        p = folder / "empty.png"
        p.write_bytes(b"")
    elif kind == "truncated_png":
        p = folder / "truncated.png"
        p.write_bytes(_bytes(_rgb(), "PNG")[:60])
    elif kind == "truncated_jpeg":
        p = folder / "truncated.jpg"
        p.write_bytes(_bytes(_rgb(), "JPEG")[:200])
    elif kind == "text_as_png":
        p = folder / "notes.png"
        p.write_text("this is not an image\n")
    elif kind == "bomb":
        p = folder / "bomb.png"
        p.write_bytes(_png_header(30000, 30000))
    elif kind == "png16":
        p = folder / "sixteen.png"
        Image.fromarray((np.arange(32 * 48, dtype=np.uint16).reshape(32, 48) * 40)).save(p)
    elif kind == "cmyk_jpeg":
        p = folder / "cmyk.jpg"
        _rgb().convert("CMYK").save(p, format="JPEG")
    elif kind == "palette_transparent":
        p = folder / "palette.png"
        im = _rgb().convert("P")
        im.info["transparency"] = 0
        im.save(p, transparency=0)
    elif kind == "animated_gif":
        p = folder / "anim.gif"
        frames = [Image.new("RGB", (24, 24), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
        frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)
    elif kind == "greyscale":
        p = folder / "grey.png"
        _rgb().convert("L").save(p)
    elif kind == "extreme_aspect":
        p = folder / "strip.png"
        Image.new("RGB", (10000, 10), (200, 30, 30)).save(p)
    elif kind == "exif_rotated":
        p = folder / "rotated.jpg"
        exif = Image.Exif()
        exif[0x0112] = 6  # rotate 90° clockwise on display
        _rgb(48, 32).save(p, format="JPEG", exif=exif.tobytes())
    elif kind == "unsupported":
        p = folder / "drawing.psd"
        p.write_bytes(b"8BPS\x00\x02" + bytes(64))
    else:
        raise ValueError(kind)
    return p


GOOD = ("png16", "cmyk_jpeg", "palette_transparent", "animated_gif", "greyscale", "extreme_aspect", "exif_rotated")
BAD = {"empty": "empty file", "truncated_png": "image", "truncated_jpeg": "image", "text_as_png": "not a readable image",
       "bomb": "too large", "unsupported": "not a readable image"}
