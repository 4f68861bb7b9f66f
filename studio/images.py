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
