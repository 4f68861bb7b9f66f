"""The mixing pad: up to four sources at the corners (their thumbnails drawn there); the point's bilinear weights
mix their embeddings. One render per drag: moving only shows the weights, letting go renders; with a live decoder
moving shows a live preview of the mix (studio.live) and resting renders too."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

CORNERS = {"a": (0.0, 0.0), "b": (1.0, 0.0), "c": (0.0, 1.0), "d": (1.0, 1.0)}
THUMB = 26  # px: a corner's thumbnail


def corner_weights(x: float, y: float, present: set[str]) -> dict[str, float]:
    """Bilinear (generalised barycentric) weights of the square's corners at (x, y) in [0, 1]², renormalised
    over the corners that hold a source."""
    raw = {k: (cx * x + (1 - cx) * (1 - x)) * (cy * y + (1 - cy) * (1 - y)) for k, (cx, cy) in CORNERS.items()}
    kept = {k: v for k, v in raw.items() if k in present}
    total = sum(kept.values())
    return {k: v / total for k, v in kept.items()} if total > 0 else {}


def weights_text(weights: dict[str, float]) -> str:
    return " · ".join(f"{k.upper()} {v:.2f}" for k, v in sorted(weights.items()))


class MixPad(QWidget):
    """Drag the point; `moved` fires while dragging, `released` when the artist lets go."""

    moved = Signal(float, float)
    released = Signal(float, float)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("mixPad")
        self.setFixedSize(128, 128)
        self.setToolTip("Mixing pad: put sources on the corners (right-click results: Use as A/B/C/D), then drag "
                        "the point: the nearer a corner, the more of its picture; the mix renders when you let go "
                        "(with a live model, a quick preview follows the point and the mix renders when you rest)")
        self.point = (0.5, 0.5)
        self.present: set[str] = set()
        self.thumbnails: dict[str, QPixmap | None] = {}  # corner → its image's thumbnail (None: a text source)

    def set_present(self, keys: set[str]) -> None:
        self.present = set(keys)
        self.update()

    def set_thumbnail(self, key: str, pixmap: QPixmap | None) -> None:
        self.thumbnails[key] = pixmap
        self.update()

    def _area(self) -> QRectF:
        return QRectF(THUMB / 2 + 2, THUMB / 2 + 2, self.width() - THUMB - 4, self.height() - THUMB - 4)

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
            box = QRectF(r.left() + cx * r.width() - THUMB / 2, r.top() + cy * r.height() - THUMB / 2, THUMB, THUMB)
            thumb = self.thumbnails.get(key)
            if key in self.present and thumb is not None:
                p.drawPixmap(box, thumb, QRectF(thumb.rect()))
            else:
                p.setBrush(QColor("#2d2e31"))
                p.drawRect(box)
            p.setPen(QColor("#e8eaed") if key in self.present else QColor("#5f6368"))
            p.setBrush(Qt.BrushStyle.NoBrush)
            if key in self.present and thumb is not None:  # the letter in a corner of the picture
                tag = QRectF(box.left(), box.top(), 11, 12)
                p.fillRect(tag, QColor(0, 0, 0, 170))
                p.drawText(tag, Qt.AlignmentFlag.AlignCenter, key.upper())
            else:
                p.drawText(box, Qt.AlignmentFlag.AlignCenter, key.upper())
        p.setPen(QPen(QColor("#202124"), 1.5))
        p.setBrush(QColor("#8ab4f8"))
        p.drawEllipse(QPointF(r.left() + self.point[0] * r.width(), r.top() + self.point[1] * r.height()), 5, 5)
        p.end()


class MixPanel(QWidget):
    """The pad under its title, with the weights of the point and "Keep this mix"."""

    def __init__(self, pad: MixPad) -> None:
        super().__init__(objectName="mixPanel")
        self.pad = pad
        title = QLabel("Mixing pad", objectName="mixPadLabel")
        title.setToolTip(pad.toolTip())
        self.weights = QLabel("drag the point", objectName="mixWeightsLabel")
        self.weights.setWordWrap(True)
        self.keep = QPushButton("Keep this mix", objectName="keepMixButton")
        self.keep.setToolTip("Save the mix on the canvas to the gallery, with its sources and weights")
        self.keep.setEnabled(False)
        pad.moved.connect(lambda x, y: self.show_weights(corner_weights(x, y, pad.present)))
        side = QVBoxLayout()
        side.addWidget(title)
        side.addWidget(self.weights, 1)
        side.addWidget(self.keep)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(side, 1)
        row.addWidget(pad)

    def show_weights(self, weights: dict[str, float]) -> None:
        self.weights.setText(weights_text(weights) if len(weights) > 1 else "needs two sources or more")
