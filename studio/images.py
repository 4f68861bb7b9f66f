"""The one place where engine pixels (uint8 numpy) become Qt images."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap


def to_qimage(pixels: np.ndarray) -> QImage:
    """(H, W, 3) uint8 → an RGB888 QImage that owns its memory."""
    rgb = np.ascontiguousarray(pixels, dtype=np.uint8)
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def to_pixmap(pixels: np.ndarray) -> QPixmap:
    """(H, W, 3) uint8 → QPixmap for display."""
    return QPixmap.fromImage(to_qimage(pixels))


def from_qimage(image: QImage) -> np.ndarray:
    """Any QImage (e.g. pasted from the clipboard) → (H, W, 3) uint8."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, stride = rgb.height(), rgb.width(), rgb.bytesPerLine()
    data = np.frombuffer(rgb.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return data[:, : 3 * w].reshape(h, w, 3).copy()


def thumbnail(path: str, size: int = 128) -> np.ndarray:
    """A small (h, w, 3) uint8 copy of an image file, for the gallery."""
    from PIL import Image
    with Image.open(path) as im:
        im = im.convert("RGB")
        im.thumbnail((size, size))
        return np.asarray(im)


def grid_columns(n: int, width: int, height: int, aspect: float = 1.0) -> int:
    """How many columns show `n` images of width/height `aspect` largest in a width × height view."""
    best, columns = 0.0, 1
    for c in range(1, max(n, 1) + 1):
        rows = -(-n // c)
        side = min(width / c / aspect, height / rows)
        if side > best + 1e-9:
            best, columns = side, c
    return columns


def tile(images: list, columns: int, gap: int = 8, background: int = 32) -> tuple[np.ndarray, list[tuple]]:
    """Images ((H, W, 3) uint8, or None for one still to come) in a grid of `columns`, `gap` px apart → the grid's
    pixels and each cell's (x, y, w, h) in them. Cells are as large as the largest image; smaller ones are centred."""
    shapes = [im.shape[:2] for im in images if im is not None] or [(64, 64)]
    h, w = max(s[0] for s in shapes), max(s[1] for s in shapes)
    rows = -(-len(images) // columns)
    out = np.full((rows * h + (rows - 1) * gap, columns * w + (columns - 1) * gap, 3), background, np.uint8)
    cells = []
    for i, im in enumerate(images):
        x, y = (i % columns) * (w + gap), (i // columns) * (h + gap)
        cells.append((x, y, w, h))
        if im is None:
            out[y: y + h, x: x + w] = background + 16  # a placeholder: this image is still to come
        else:
            ih, iw = im.shape[:2]
            oy, ox = y + (h - ih) // 2, x + (w - iw) // 2
            out[oy: oy + ih, ox: ox + iw] = im[..., :3]
    return out, cells
