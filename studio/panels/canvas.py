"""The canvas: the image being made, updated at every step, then the chosen result with its seed on it, or a job's
several results as a grid (click one to focus it)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy

from ..images import grid_columns, tile, to_pixmap

STEP = 1.25  # zoom factor of one wheel notch or Ctrl+= / Ctrl+-
MAX_PIXEL = 16.0  # the most screen pixels an image pixel may cover
SHARP = 2.0  # from this many screen pixels per image pixel, pixels are drawn as squares, not smoothed


class Canvas(QLabel):
    """Shows pixels fitted to the view, or zoomed (wheel, Ctrl+= / Ctrl+-, double-click for actual pixels) and
    panned by dragging, with a caption (seed, step) drawn over them; the zoom stays while new pixels arrive.
    Comparing, a pinned image shows right of a divider that follows the mouse, at the same zoom and place.
    A grid (`show_grid`) lays several images out to fill the view; a click on one emits `cell_clicked`."""

    cell_clicked = Signal(int)  # the index of the grid cell clicked

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("canvas")
        self.setToolTip("The image being made, then the result. Wheel: zoom · drag: pan · double-click: actual "
                        "pixels. A job of several images shows them side by side: click one to see it alone")
        self._grid: tuple[list, list[str], str] | None = None  # images (None: still to come), labels, caption
        self.cells: list[tuple] = []  # the grid's cells (x, y, w, h) in the shown pixmap's pixels; clickable
        self._press: QPointF | None = None
        self._view: tuple[QRect, float, int, int] = (QRect(), 1.0, 0, 0)  # part shown, scale, left, top
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(256, 256)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._pixmap: QPixmap | None = None
        self.caption = ""
        self.message = ""  # the text shown when there are no pixels
        self.magnification = 1.0  # × the fitted scale; 1 is fitted
        self.centre = QPointF(0.5, 0.5)  # the view's centre, as fractions of the image
        self._drag: tuple[QPointF, QPointF] | None = None  # mouse position and centre when the drag began
        self._compare: QPixmap | None = None
        self.compare_caption = ""
        self.split = 0.5  # the divider, as a fraction of the shown image's width
        self._before: tuple[QPixmap | None, str, str] | None = None  # what previews cover: pixmap, caption, text
        self.live = ""  # what the live preview on the canvas is of ('' while none is): step previews leave it be
        self.setMouseTracking(True)  # comparing, the divider follows the mouse
        self.overlay = QLabel(self, objectName="canvasCaption")
        self.overlay.setStyleSheet("QLabel#canvasCaption { background: rgba(0, 0, 0, 150); color: white;"
                                   " padding: 3px 8px; border-radius: 4px; }")
        self.overlay.hide()

    def show_pixels(self, pixels: np.ndarray, caption: str = "") -> None:
        self._before, self._grid, self.cells, self.live = None, None, [], ""
        self._show(to_pixmap(pixels), caption)

    def show_grid(self, images: list, labels: list[str], caption: str) -> None:
        """Several images side by side, as large as the view allows (None: one still to come, shown blank)."""
        self._before, self.live = None, ""
        self._grid = (list(images), list(labels), caption)
        self._show_grid()

    def show_preview(self, pixels: np.ndarray, caption: str) -> None:
        """A step's guess of the image being made ((H, W, 3), or (B, H, W, 3) for a job of several: a grid);
        `end_preview` brings back what it covered. A live preview on the canvas is a better guess: it stays."""
        if not self.live:
            self._preview(pixels, caption)

    def show_live(self, pixels: np.ndarray, caption: str, tag: str) -> None:
        """The live decoder's guess at the image the hand points at (`tag` names what it is of), shown as a
        preview until the full render replaces it."""
        self._preview(pixels, caption)
        self.live = tag

    def _preview(self, pixels: np.ndarray, caption: str) -> None:
        if self._before is None:
            self._before = (self._pixmap, self.caption, self.message, self._grid, self.cells)
        self.cells = []  # a preview is not clickable
        if pixels.ndim == 4 and pixels.shape[0] > 1:
            self._grid = None
            columns = grid_columns(len(pixels), self.width(), self.height())
            self._show(to_pixmap(tile(list(pixels), columns)[0]), caption)
        else:
            self._show(to_pixmap(pixels[0] if pixels.ndim == 4 else pixels), caption)

    @property
    def previewing(self) -> bool:
        return self._before is not None

    def end_preview(self) -> None:
        """A job stopped without a result: show again what its previews covered."""
        if self._before is None:
            return
        pixmap, caption, text, grid, cells = self._before
        self._before, self.live = None, ""
        if pixmap is None:
            self.show_message(text)
        else:
            self._grid, self.cells = grid, cells
            self._show(pixmap, caption)

    def _show_grid(self) -> None:
        images, labels, caption = self._grid
        shapes = [im.shape for im in images if im is not None]
        aspect = shapes[0][1] / shapes[0][0] if shapes else 1.0
        pixels, self.cells = tile(images, grid_columns(len(images), self.width(), self.height(), aspect))
        self._show(to_pixmap(pixels), caption)

    @property
    def grid_shown(self) -> bool:
        return self._grid is not None and self._before is None

    def cell_centre(self, index: int) -> QPointF:
        """Where grid cell `index` is on the widget (for a click)."""
        part, s, left, top = self._view
        x, y, w, h = self.cells[index]
        return QPointF(left + (x + w / 2 - part.x()) * s, top + (y + h / 2 - part.y()) * s)

    def _show(self, pixmap: QPixmap, caption: str) -> None:
        self._pixmap, self.caption = pixmap, caption
        self.setToolTip(caption)
        self._fit()

    def compare_with(self, pixels: np.ndarray | None, caption: str = "") -> None:
        """Pin an image to compare with whatever the canvas shows next; None stops comparing."""
        self._compare = to_pixmap(pixels) if pixels is not None else None
        self.compare_caption = caption if pixels is not None else ""
        self.split = 0.5
        self._fit()

    @property
    def comparing(self) -> bool:
        return self._compare is not None

    def show_message(self, text: str) -> None:
        self._pixmap, self.caption, self._before, self.message, self.live = None, "", None, text, ""
        self._grid, self.cells = None, []
        self.overlay.hide()
        self.clear()
        self.setText(text)

    # --- zoom and pan ---------------------------------------------------------------------------
    def fit_scale(self) -> float:
        """Screen pixels per image pixel when the image is fitted to the view."""
        if self._pixmap is None or self._pixmap.isNull():
            return 1.0
        return min(self.width() / self._pixmap.width(), self.height() / self._pixmap.height())

    def scale(self) -> float:
        return self.fit_scale() * self.magnification

    def zoom(self, factor: float, at: QPointF | None = None) -> None:
        """Zoom by `factor`, keeping the image point under `at` (view coordinates; default the centre) in place."""
        if self._pixmap is None:
            return
        fit = self.fit_scale()
        before = self.scale()
        self.magnification = min(max(self.magnification * factor, 1.0), max(MAX_PIXEL / fit, 1.0))
        if at is not None:
            offset = QPointF(at.x() - self.width() / 2, at.y() - self.height() / 2)
            w, h = self._pixmap.width(), self._pixmap.height()
            under = QPointF(self.centre.x() + offset.x() / before / w, self.centre.y() + offset.y() / before / h)
            after = self.scale()
            self.centre = QPointF(under.x() - offset.x() / after / w, under.y() - offset.y() / after / h)
        self._fit()

    def fit(self) -> None:
        """The whole image, as large as the view allows."""
        self.magnification, self.centre = 1.0, QPointF(0.5, 0.5)
        self._fit()

    def actual_pixels(self) -> None:
        """One image pixel to one screen pixel (or fitted, if the image is smaller than that in the view)."""
        self.magnification = max(1.0 / self.fit_scale(), 1.0)
        self._fit()

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt API
        notches = event.angleDelta().y() / 120
        if notches:
            self.zoom(STEP ** notches, event.position())

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.magnification > 1.0:
            self.fit()
        else:
            self.actual_pixels()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        self._press = event.position() if event.button() == Qt.MouseButton.LeftButton else None
        if event.button() == Qt.MouseButton.LeftButton and self.magnification > 1.0:
            self._drag = (event.position(), QPointF(self.centre))
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._drag is None and self._compare is not None and self.pixmap() is not None:
            left = (self.width() - self.pixmap().width()) / 2
            self.split = min(max((event.position().x() - left) / max(self.pixmap().width(), 1), 0.0), 1.0)
            self._fit()
        if self._drag is not None and self._pixmap is not None:
            start, centre = self._drag
            s = self.scale()
            moved = event.position() - start
            self.centre = QPointF(centre.x() - moved.x() / s / self._pixmap.width(),
                                  centre.y() - moved.y() / s / self._pixmap.height())
            self._fit()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        self._drag = None
        self.unsetCursor()
        press, self._press = self._press, None
        if press is None or event is None or not self.cells or (event.position() - press).manhattanLength() > 4:
            return
        part, s, left, top = self._view
        x, y = part.x() + (event.position().x() - left) / s, part.y() + (event.position().y() - top) / s
        for i, (cx, cy, w, h) in enumerate(self.cells):
            if cx <= x < cx + w and cy <= y < cy + h:
                return self.cell_clicked.emit(i)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self.grid_shown and self.cells:
            images = self._grid[0]
            shapes = [im.shape for im in images if im is not None]
            aspect = shapes[0][1] / shapes[0][0] if shapes else 1.0
            if grid_columns(len(images), self.width(), self.height(), aspect) != self._columns():
                return self._show_grid()  # another layout fills the new size better
        self._fit()

    def _columns(self) -> int:
        return len({x for x, *_ in self.cells})

    # --- drawing --------------------------------------------------------------------------------
    def visible(self) -> QRectF:
        """The part of the image in view, in image pixels; the centre is kept inside the image's bounds."""
        w, h = self._pixmap.width(), self._pixmap.height()
        s = self.scale()
        vw, vh = min(self.width() / s, w), min(self.height() / s, h)
        cx = min(max(self.centre.x() * w, vw / 2), w - vw / 2)
        cy = min(max(self.centre.y() * h, vh / 2), h - vh / 2)
        self.centre = QPointF(cx / w, cy / h)
        return QRectF(cx - vw / 2, cy - vh / 2, vw, vh)

    def _fit(self) -> None:
        if self._pixmap is None:
            return
        part = self.visible().toAlignedRect().intersected(self._pixmap.rect())
        s = self.scale()
        mode = Qt.TransformationMode.FastTransformation if s >= SHARP else Qt.TransformationMode.SmoothTransformation
        source = self._pixmap if part == self._pixmap.rect() else self._pixmap.copy(part)
        shown = source.scaled(round(part.width() * s), round(part.height() * s), Qt.AspectRatioMode.KeepAspectRatio,
                              mode)
        if self._compare is not None:
            self._wipe(shown, part, mode)
        if self.cells and self._grid is not None:
            self._label_cells(shown, part, s)
        self.setPixmap(shown)
        self._view = (part, s, (self.width() - shown.width()) // 2, (self.height() - shown.height()) // 2)
        zoomed = self.magnification > 1.0
        text = f"{self.caption} · {100 * s:.0f}%" if zoomed and self.caption else self.caption
        if self._compare is not None:
            text = f"{text}  |  {self.compare_caption}"
        self.overlay.setText(text)
        self.overlay.setVisible(bool(text))
        self.overlay.adjustSize()
        left = (self.width() - shown.width()) // 2 + 8
        bottom = (self.height() + shown.height()) // 2 - self.overlay.height() - 8
        if self.cells:  # a grid: the caption goes on top, the cells' seeds are at their bottoms
            bottom = (self.height() - shown.height()) // 2 + 8
        self.overlay.move(max(left, 0), max(bottom, 0))

    def _label_cells(self, shown: QPixmap, part: QRect, s: float) -> None:
        """Each grid cell's label (its seed) at its bottom left, at screen size whatever the images' size."""
        painter = QPainter(shown)
        font = QFont()
        font.setPixelSize(12)
        painter.setFont(font)
        for (x, y, w, h), label in zip(self.cells, self._grid[1]):
            if not label:
                continue
            box = painter.fontMetrics().boundingRect(label).adjusted(-5, -2, 5, 2)
            box.moveTo(round((x - part.x()) * s) + 6, round((y + h - part.y()) * s) - box.height() - 6)
            painter.fillRect(box, QColor(0, 0, 0, 150))
            painter.setPen(QColor("white"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        painter.end()

    def _wipe(self, shown: QPixmap, part: QRect, mode: Qt.TransformationMode) -> None:
        """Paint the pinned image, over the same part of the picture, into `shown` right of the divider."""
        k = self._compare.width() / self._pixmap.width()  # the pinned image may have another size
        other = self._compare.copy(QRect(round(part.x() * k), round(part.y() * k), round(part.width() * k),
                                         round(part.height() * k)))
        other = other.scaled(shown.size(), Qt.AspectRatioMode.IgnoreAspectRatio, mode)
        x = round(self.split * shown.width())
        painter = QPainter(shown)
        painter.drawPixmap(QRect(x, 0, shown.width() - x, shown.height()), other,
                           QRect(x, 0, shown.width() - x, shown.height()))
        painter.setPen(QPen(QColor(255, 255, 255, 220), 2))
        painter.drawLine(x, 0, x, shown.height())
        painter.end()
