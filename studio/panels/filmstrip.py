"""The filmstrip under the strip slider: one cell per frame, a thumbnail where the frame is rendered (or a step
preview while it renders), an outline where it is queued, and a bright frame around the one shown."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..images import to_pixmap

THUMB = 48  # px: the side thumbnails are kept at
GAP = 3


class FilmStrip(QWidget):
    """What the strip holds at a glance; a click on a cell shows that frame (`frame_clicked`)."""

    frame_clicked = Signal(int)

    def __init__(self) -> None:
        super().__init__(objectName="filmStrip")
        self.setFixedHeight(34)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setToolTip("The strip's frames: pictures where rendered, outlined where still queued, the frame shown "
                        "framed in blue. Click one to show it")
        self.count = 0
        self.thumbs: dict[int, QPixmap] = {}  # rendered frames
        self.previews: dict[int, QPixmap] = {}  # frames being rendered: their latest step preview
        self.queued: set[int] = set()
        self.shown: int | None = None

    @property
    def rendered(self) -> set[int]:
        return set(self.thumbs)

    def set_strip(self, count: int, done: dict[int, np.ndarray]) -> None:
        """A new strip of `count` frames, with those already rendered."""
        self.count, self.previews, self.queued, self.shown = count, {}, set(), None
        self.thumbs = {i: self._small(p) for i, p in done.items()}
        self.update()

    def set_frame(self, index: int, pixels: np.ndarray) -> None:
        self.thumbs[index] = self._small(pixels)
        self.previews.pop(index, None)
        self.update()

    def set_preview(self, index: int, pixels: np.ndarray) -> None:
        self.previews[index] = self._small(pixels)
        self.update()

    def clear_previews(self) -> None:
        self.previews.clear()
        self.update()

    def set_queued(self, indices: set[int]) -> None:
        self.queued = set(indices)
        self.update()

    def set_shown(self, index: int | None) -> None:
        self.shown = index
        self.update()

    @staticmethod
    def _small(pixels: np.ndarray) -> QPixmap:
        return to_pixmap(pixels).scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                        Qt.TransformationMode.SmoothTransformation)

    def cell(self, index: int) -> QRectF:
        w = (self.width() - GAP * (self.count - 1)) / max(self.count, 1)
        return QRectF(index * (w + GAP), 0, w, self.height())

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        for i in range(self.count):
            if self.cell(i).contains(event.position()):
                return self.frame_clicked.emit(i)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        if not self.count:
            p.setPen(QColor("#6b6f75"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "the strip's frames show here: set A and B, then "
                                                                  "Render strip")
        for i in range(self.count):
            r = self.cell(i).adjusted(1, 1, -1, -1)
            pixmap = self.thumbs.get(i) or self.previews.get(i)
            p.fillRect(r, QColor("#17181a"))
            if pixmap is not None:
                side = min(r.width(), r.height())
                target = QRectF(r.center().x() - side / 2, r.top(), side, side) if r.width() > side else r
                p.setOpacity(1.0 if i in self.thumbs else 0.6)
                p.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
                p.setOpacity(1.0)
            colour = "#8ab4f8" if i == self.shown else "#9aa0a6" if i in self.queued else "#3c4043"
            pen = QPen(QColor(colour), 2 if i == self.shown else 1,
                       Qt.PenStyle.DashLine if i in self.queued and i not in self.thumbs else Qt.PenStyle.SolidLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(r)
        p.end()
