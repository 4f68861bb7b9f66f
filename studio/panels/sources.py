"""The drop zone: drag an image file in (or open one) to make variations of it."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QLabel


class SourceDropZone(QLabel):
    """Accepts dropped image files; emits their path."""

    image_dropped = Signal(str)
    image_pasted = Signal(object)  # (H, W, 3) uint8

    def __init__(self) -> None:
        super().__init__("Drop an image here for variations\n(double-click to open, Ctrl+V to paste)")
        self.setObjectName("sourceDropZone")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAcceptDrops(True)
        self.setMinimumHeight(64)
        self.setToolTip("Drop a picture here (or double-click to open one, Ctrl+V to paste) to make variations of "
                        "it: new pictures that keep what it shows")
        self.setStyleSheet("QLabel#sourceDropZone { border: 2px dashed #888; border-radius: 8px; color: #aaa; }")

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.take(event.mimeData())

    def take(self, mime) -> bool:
        """A local file URL or raw image data (drop or paste); False when there is neither."""
        for url in mime.urls() if mime.hasUrls() else []:
            if url.isLocalFile():
                self.image_dropped.emit(url.toLocalFile())
                return True
        if mime.hasImage():
            from ..images import from_qimage
            image = mime.imageData()
            if image is not None and not image.isNull():
                self.image_pasted.emit(from_qimage(image))
                return True
        return False

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", "",
                                              "Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif *.tif *.tiff)")
        if path:
            self.image_dropped.emit(path)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.open_dialog()
