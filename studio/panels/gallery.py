"""The gallery: every finished image of the session, with the seed that made it."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from ..images import to_pixmap
from ..state import Result


class Gallery(QListWidget):
    """A grid of results; selecting one shows it on the canvas."""

    result_selected = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("gallery")
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(96, 96))
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMinimumHeight(130)
        self.currentItemChanged.connect(lambda item, _: item and self.result_selected.emit(item.data(Qt.ItemDataRole.UserRole)))

    def add(self, result: Result) -> None:
        item = QListWidgetItem(QIcon(to_pixmap(result.pixels)), f"seed {result.seed}")
        item.setData(Qt.ItemDataRole.UserRole, result)
        item.setToolTip(f"{result.metadata.get('prompt', '')}\nseed {result.seed}\n{result.path}")
        self.addItem(item)
