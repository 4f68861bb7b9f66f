"""The canvas: the image being made, updated at every step, then the chosen result."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy

from ..images import to_pixmap


class Canvas(QLabel):
    """Shows pixels scaled to fit, keeping their aspect ratio."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("canvas")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(256, 256)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._pixmap: QPixmap | None = None
        self.caption = ""

    def show_pixels(self, pixels: np.ndarray, caption: str = "") -> None:
        self._pixmap, self.caption = to_pixmap(pixels), caption
        self.setToolTip(caption)
        self._fit()

    def show_message(self, text: str) -> None:
        self._pixmap = None
        self.clear()
        self.setText(text)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._pixmap is not None:
            self.setPixmap(self._pixmap.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                               Qt.TransformationMode.SmoothTransformation))
