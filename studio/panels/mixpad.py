"""The mixing pad: up to four sources at the corners; the point's bilinear weights mix their embeddings."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

CORNERS = {"a": (0.0, 0.0), "b": (1.0, 0.0), "c": (0.0, 1.0), "d": (1.0, 1.0)}


def corner_weights(x: float, y: float, present: set[str]) -> dict[str, float]:
    """Bilinear (generalised barycentric) weights of the square's corners at (x, y) in [0, 1]², renormalised
    over the corners that hold a source."""
    raw = {k: (cx * x + (1 - cx) * (1 - x)) * (cy * y + (1 - cy) * (1 - y)) for k, (cx, cy) in CORNERS.items()}
    kept = {k: v for k, v in raw.items() if k in present}
    total = sum(kept.values())
    return {k: v / total for k, v in kept.items()} if total > 0 else {}


class MixPad(QWidget):
    """Drag the point; `moved` fires while dragging, `released` when the artist lets go."""

    moved = Signal(float, float)
    released = Signal(float, float)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("mixPad")
        self.setFixedSize(110, 110)
        self.setToolTip("Mixing pad: right-click results “Use as A/B/C/D”, then drag the point")
        self.point = (0.5, 0.5)
        self.present: set[str] = set()

    def set_present(self, keys: set[str]) -> None:
        self.present = set(keys)
        self.update()

    def _area(self) -> QRectF:
        return QRectF(12, 12, self.width() - 24, self.height() - 24)

    def _to_unit(self, pos) -> tuple[float, float]:
        r = self._area()
        return (min(max((pos.x() - r.left()) / r.width(), 0.0), 1.0),
                min(max((pos.y() - r.top()) / r.height(), 0.0), 1.0))

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.mouseMoveEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.point = self._to_unit(event.position())
        self.update()
        self.moved.emit(*self.point)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.point = self._to_unit(event.position())
        self.update()
        self.released.emit(*self.point)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = self._area()
        p.setPen(QPen(QColor("#5f6368"), 1))
        p.setBrush(QColor("#17181a"))
        p.drawRect(r)
        for key, (cx, cy) in CORNERS.items():
            p.setPen(QColor("#e8eaed") if key in self.present else QColor("#5f6368"))
            p.drawText(QRectF(r.left() + cx * r.width() - 12, r.top() + cy * r.height() - 12, 24, 24),
                       Qt.AlignmentFlag.AlignCenter, key.upper())
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#8ab4f8"))
        p.drawEllipse(QPointF(r.left() + self.point[0] * r.width(), r.top() + self.point[1] * r.height()), 5, 5)
        p.end()
