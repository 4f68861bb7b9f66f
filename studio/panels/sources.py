"""The drop zone: drag an image file in (or open one) to make variations of it."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QLabel


class SourceDropZone(QLabel):
    """Accepts dropped image files; emits their path."""

    image_dropped = Signal(str)

    def __init__(self) -> None:
        super().__init__("Drop an image here for variations\n(or double-click to open)")
        self.setObjectName("sourceDropZone")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAcceptDrops(True)
        self.setMinimumHeight(80)
        self.setStyleSheet("QLabel#sourceDropZone { border: 2px dashed #888; border-radius: 8px; color: #aaa; }")

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.image_dropped.emit(url.toLocalFile())
                break

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt API
        path, _ = QFileDialog.getOpenFileName(self, "Open image", "", "Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif)")
        if path:
            self.image_dropped.emit(path)
