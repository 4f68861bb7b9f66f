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
