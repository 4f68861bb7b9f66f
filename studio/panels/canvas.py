"""The canvas: the image being made, updated at every step, then the chosen result with its seed on it."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy

from ..images import to_pixmap


class Canvas(QLabel):
    """Shows pixels scaled to fit, keeping their aspect ratio, with a caption (seed, step) drawn over them."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("canvas")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(256, 256)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._pixmap: QPixmap | None = None
        self.caption = ""
        self.overlay = QLabel(self, objectName="canvasCaption")
        self.overlay.setStyleSheet("QLabel#canvasCaption { background: rgba(0, 0, 0, 150); color: white;"
                                   " padding: 3px 8px; border-radius: 4px; }")
        self.overlay.hide()

    def show_pixels(self, pixels: np.ndarray, caption: str = "") -> None:
        self._pixmap, self.caption = to_pixmap(pixels), caption
        self.setToolTip(caption)
        self.overlay.setText(caption)
        self.overlay.setVisible(bool(caption))
        self._fit()

    def show_message(self, text: str) -> None:
        self._pixmap, self.caption = None, ""
        self.overlay.hide()
        self.clear()
        self.setText(text)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._pixmap is None:
            return
        scaled = self._pixmap.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation)
        self.setPixmap(scaled)
        self.overlay.adjustSize()
        left = (self.width() - scaled.width()) // 2 + 8
        bottom = (self.height() + scaled.height()) // 2 - self.overlay.height() - 8
        self.overlay.move(max(left, 0), max(bottom, 0))
