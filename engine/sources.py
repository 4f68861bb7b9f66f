"""Reading source images from disk: every failure becomes one clear UserError."""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import UserError

MAX_PIXELS = 64_000_000  # larger images are refused as possible decompression bombs


def load_image(path: str | Path) -> Image.Image:
    """An image file → RGB PIL image with EXIF orientation applied and transparency over white."""
    return load_image_with_notes(path)[0]


def load_image_with_notes(path: str | Path) -> tuple[Image.Image, list[str]]:
    """As `load_image`, with what the user should know about the reading (e.g. only the first frame used)."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"file not found: {path}")
    if path.is_dir():
        raise UserError(f"expected an image file, got a folder: {path}")
    if path.stat().st_size == 0:
        raise UserError(f"empty file (0 bytes): {path}")
    try:
        with Image.open(path) as im:
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise UserError(f"image too large ({w}×{h}); the limit is {MAX_PIXELS // 1_000_000} megapixels: {path}")
            frames = getattr(im, "n_frames", 1)
            notes = [f"{path.name}: animated, using the first of {frames} frames"] if frames > 1 else []
            im.seek(0)
            im = ImageOps.exif_transpose(im)
            im.load()
            return to_rgb(im), notes
    except UserError:
        raise
    except Image.DecompressionBombError:
        raise UserError(f"image too large (it declares more pixels than any picture needs; "
                        f"possibly a decompression bomb): {path}") from None
    except UnidentifiedImageError as err:
        raise UserError(f"not a readable image: {path} ({type(err).__name__})")
    except (OSError, SyntaxError, ValueError) as err:
        raise UserError(f"damaged or unsupported image: {path} ({err})")


def to_rgb(im: Image.Image) -> Image.Image:
    """Any PIL mode → RGB; transparent pixels become white."""
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        return im.point(lambda v: v / 256).convert("L").convert("RGB")
    return im.convert("RGB")
